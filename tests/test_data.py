"""Offline datasets, IDX parsing, and uploads converted like the dataset."""

import gzip
import io
import struct

import numpy as np
import pytest
import torch
from conftest import tiny_card
from ownmodels import idx_bytes
from PIL import Image, ImageDraw

from vae import InputError, ModelCard, image_from_bytes, load_dataset
from vae.data import MAX_UPLOAD_BYTES, SPRITE_FACTORS, read_idx, render_sprites


def test_digits_shapes_ranges_and_stratified_fixed_split():
    train, test = load_dataset("digits", "train"), load_dataset("digits", "test")
    assert train.images.shape == (1437, 1, 8, 8) and test.images.shape == (360, 1, 8, 8)
    assert train.images.dtype == torch.float32
    assert 0 <= train.images.min() and train.images.max() == 1
    assert np.bincount(test.labels).min() >= 35  # stratified: ~36 of each digit
    load_dataset.__globals__["_digits"].cache_clear()
    again = load_dataset("digits", "test")
    assert torch.equal(again.images, test.images) and np.array_equal(again.labels, test.labels)


def test_digits_are_scikit_learns_with_its_stratified_split():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    train_idx, test_idx = train_test_split(range(1797), test_size=0.2, stratify=bunch.target, random_state=0)
    train, test = load_dataset("digits", "train"), load_dataset("digits", "test")
    np.testing.assert_array_equal(test.images.numpy().reshape(-1, 64), bunch.data[sorted(test_idx)] / 16)
    np.testing.assert_array_equal(train.labels, bunch.target[sorted(train_idx)])


def test_sprites_factors_and_determinism():
    test = load_dataset("sprites", "test")
    assert test.images.shape == (2000, 1, 32, 32) and test.factor_names == SPRITE_FACTORS
    assert test.factors.shape == (2000, 5) and set(test.labels) == {0, 1, 2}
    assert 0 <= test.images.min() and test.images.max() <= 1
    again = render_sprites(test.factors[:20])
    np.testing.assert_array_equal(again, test.images[:20, 0].numpy())
    # the factors are the truth: a bigger scale draws more ink, a move in x moves the centre of mass
    base = np.array([[0, 0.5, 0.0, 0.5, 0.5]])
    big = render_sprites(base.copy() + [[0, 0.5, 0, 0, 0]])
    assert big.sum() > render_sprites(base).sum() * 2
    cols = np.arange(32)
    left, right = render_sprites(base - [[0, 0, 0, 0.4, 0]]), render_sprites(base + [[0, 0, 0, 0.4, 0]])
    assert (left[0].sum(0) @ cols) / left.sum() + 10 < (right[0].sum(0) @ cols) / right.sum()


def write_idx_folder(folder, n=12, gz=False):
    rng = np.random.default_rng(0)
    for split, n_split in (("train", n), ("t10k", n // 2)):
        for kind, arr in (("images-idx3", rng.integers(0, 256, (n_split, 28, 28))),
                          ("labels-idx1", rng.integers(0, 10, n_split))):
            data = idx_bytes(arr)
            name = f"{split}-{kind}-ubyte" + (".gz" if gz else "")
            (folder / name).write_bytes(gzip.compress(data) if gz else data)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_folder_loads(tmp_path, gz):
    write_idx_folder(tmp_path, gz=gz)
    train, test = load_dataset("idx", "train", root=tmp_path), load_dataset("idx", "test", root=tmp_path)
    assert train.images.shape == (12, 1, 28, 28) and test.images.shape == (6, 1, 28, 28)
    assert 0 <= train.images.min() and train.images.max() <= 1


@pytest.mark.parametrize("mangle, words", [
    (lambda b: b[:3], "too short"),
    (lambda b: b"\x01\x02" + b[2:], "magic"),
    (lambda b: struct.pack(">I", 2052) + b[4:], "dimensions"),
    (lambda b: b[:2] + b"\x0d" + b[3:], "element type"),
    (lambda b: b[:-5], "promises"),
    (lambda b: b + b"\x00", "promises"),
    (lambda b: b[:3] + b"\x02" + b[4:], "dimensions"),
    (lambda b: b[:4] + struct.pack(">I", 0) + b[8:], "zero"),
])
def test_idx_bad_headers(tmp_path, mangle, words):
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(mangle(idx_bytes(np.zeros((3, 4, 4)))))
    with pytest.raises(InputError, match=words):
        read_idx(path)


def test_idx_bad_gzip_and_count_mismatch(tmp_path):
    bad = tmp_path / "x.gz"
    bad.write_bytes(b"\x1f\x8bnot really gzip")
    with pytest.raises(InputError, match="cannot be read"):
        read_idx(bad)
    write_idx_folder(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(5)))
    with pytest.raises(InputError, match="6 images but"):
        load_dataset("idx", "test", root=tmp_path)
    with pytest.raises(InputError, match="not a folder"):
        load_dataset("idx", "train", root=tmp_path / "nowhere")
    (tmp_path / "train-labels-idx1-ubyte").unlink()
    with pytest.raises(InputError, match="no train-labels"):
        load_dataset("idx", "train", root=tmp_path)


def png(array, mode=None, fmt="PNG", **save) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array, mode=mode).save(buf, format=fmt, **save)
    return buf.getvalue()


def a_dark_digit_on_white(size=64):
    a = np.full((size, size), 255, dtype=np.uint8)
    a[size // 4 : 3 * size // 4, size // 2 - 3 : size // 2 + 3] = 0  # a "1"
    return a


def test_upload_is_converted_like_the_dataset():
    card = tiny_card("vae", "digits")
    x = image_from_bytes(png(a_dark_digit_on_white()), card)
    assert x.shape == (1, 1, 8, 8) and x.dtype == torch.float32
    assert x.max() == 1 and x[0, 0, :, 0].max() < 0.2  # ink high, background low
    assert x[0, 0, :, 3:5].mean() > 0.5  # the stroke is centred after cropping to content


@pytest.mark.parametrize("fmt, convert", [
    ("PNG", "RGBA"), ("PNG", "P"), ("PNG", "LA"), ("JPEG", "RGB"), ("BMP", "RGB"), ("GIF", "P"),
    ("WEBP", "RGB"), ("PNG", "I;16"),
])
def test_upload_formats_and_modes(fmt, convert):
    if convert == "I;16":
        im = Image.fromarray(a_dark_digit_on_white().astype(np.uint16) * 257)
    else:
        im = Image.fromarray(a_dark_digit_on_white()).convert(convert)
    buf = io.BytesIO()
    im.save(buf, format=fmt)
    x = image_from_bytes(buf.getvalue(), tiny_card("vae", "digits"))
    assert x.shape == (1, 1, 8, 8) and torch.isfinite(x).all()
    assert x[0, 0, :, 3:5].mean() > 0.5 and x[0, 0, :, 0].max() < 0.3, (fmt, convert, x)


def test_transparent_png_with_black_strokes():
    rgba = np.zeros((32, 32, 4), dtype=np.uint8)
    rgba[8:24, 14:18] = (0, 0, 0, 255)  # opaque black stroke, transparent elsewhere
    x = image_from_bytes(png(rgba, fmt="PNG"), tiny_card("vae", "digits"))
    assert x[0, 0, :, 3:5].mean() > 0.5 and x[0, 0, :, 0].max() < 0.3


def test_bad_uploads_are_input_errors():
    card = tiny_card("vae", "digits")
    good = png(a_dark_digit_on_white())
    for data, words in ((b"", "empty"), (b"hello, not an image", "not an image"),
                        (good[: len(good) // 2], "damaged"), (b"\0" * (MAX_UPLOAD_BYTES + 1), "limit")):
        with pytest.raises(InputError, match=words):
            image_from_bytes(data, card)


def test_decompression_bomb_is_refused_before_decoding():
    buf = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buf, format="PNG")  # 400 Mpx in a few tens of kB
    assert len(buf.getvalue()) < 200_000
    with pytest.raises(InputError, match="limit"):
        image_from_bytes(buf.getvalue(), tiny_card("vae", "digits"))


def test_a_large_phone_photo_is_scaled_down_and_converted():
    """A 24-megapixel JPEG of a digit on paper, over 20 MB (noise keeps it from compressing), as phones send."""
    rng = np.random.default_rng(0)
    paper = rng.normal(235, 12, (4000, 6000)).clip(0, 255).astype(np.uint8)
    im = Image.fromarray(paper)
    ImageDraw.Draw(im).line([(2600, 900), (3300, 900), (2850, 3100)], fill=20, width=180)  # a 7
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=100, subsampling=0)
    assert len(buf.getvalue()) > 20_000_000
    card = ModelCard(name="m", kind="vae", dataset="mnist", image_shape=(1, 28, 28), latent_dim=2,
                     architecture={"type": "mlp", "hidden": [8]})
    x = image_from_bytes(buf.getvalue(), card)[0, 0].numpy()
    rows, cols = np.nonzero(x > 0.2)
    assert rows.max() - rows.min() + 1 in (19, 20, 21) and x[[0, -1], :].max() == 0  # fitted to 20x20, on black
