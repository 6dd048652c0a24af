"""Datasets, all offline: MNIST shipped as IDX files, scikit-learn's bundled digits, sprites drawn in
code, local IDX files.

Every image is float32 (N, C, H, W) in [0, 1] with ink high, the way the models are trained.
Splits are fixed by a seed, so a test image has the same index on every machine.
"""

import gzip
import importlib.util
import io
import struct
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from .errors import InputError

DATASETS = ("mnist", "digits", "sprites", "idx")
SPLIT_SEED = 0


@dataclass(frozen=True)
class Dataset:
    name: str
    split: str  # "train" | "test"
    images: torch.Tensor  # (N, C, H, W) float32 in [0, 1]
    labels: np.ndarray  # (N,) int
    label_names: tuple[str, ...]
    factors: np.ndarray | None = None  # (N, F) generating factors, sprites only
    factor_names: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.images.shape[1:])


def load_dataset(name: str, split: str, root: str | Path | None = None) -> Dataset:
    """name in DATASETS; split "train" or "test"; root is the IDX folder for name "idx"."""
    if split not in ("train", "test"):
        raise InputError(f"split must be 'train' or 'test', not {split!r}")
    if name == "mnist":
        return _mnist(split)
    if name == "digits":
        return _digits(split)
    if name == "sprites":
        return _sprites(split)
    if name == "idx":
        if root is None:
            raise InputError("the idx dataset needs a folder of MNIST-format files (root=...)")
        return load_idx_folder(root, split)
    raise InputError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")


# ---- mnist --------------------------------------------------------------------------------------

MNIST_DIR = Path(__file__).with_name("mnist")
MNIST_SHA256 = {  # of the shipped .gz files; vae/mnist/PROVENANCE.md says how they were made
    "train-images-idx3-ubyte.gz": "7ff28fd295f802eefc6d40e461175dfe4b969b1842b2abc8c6dc8c20711cf79f",
    "train-labels-idx1-ubyte.gz": "81a978ae83d39ffdba0db3ce2fcaf80a8921e9629e874428996a2b03242d4b2a",
    "t10k-images-idx3-ubyte.gz": "197e111ae341b0770be9011ac5e622d0e6cd1c640b32eb0de5dc1dd26cc6e182",
    "t10k-labels-idx1-ubyte.gz": "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b",
}


def _mnist(split: str) -> Dataset:
    """MNIST's standard split in its files' order: 60,000 train, 10,000 test (test #0 is a 7). The test
    split is kept (every page reads it); the training split, 188 MB as floats, is read again each time a
    training asks for it (a second or so), so that a server does not hold it for good."""
    return _mnist_test() if split == "test" else _read_mnist("train")


@lru_cache(maxsize=1)
def _mnist_test() -> Dataset:
    return _read_mnist("test")


def _read_mnist(split: str) -> Dataset:
    return replace(load_idx_folder(MNIST_DIR, split), name="mnist")


# ---- digits -------------------------------------------------------------------------------------


DIGITS_SPLIT = Path(__file__).with_name("digits_test_split.txt")


def digits_csv() -> Path:
    """scikit-learn's bundled digits file, found without importing scikit-learn (~80 MB a server saves)."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("the digits dataset ships inside scikit-learn: pip install -r requirements.txt")
    return Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"


@lru_cache(maxsize=2)
def _digits(split: str) -> Dataset:
    table = np.loadtxt(digits_csv(), delimiter=",")  # 1797 rows: 64 pixels (0..16), then the digit
    x = (table[:, :64] / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    labels = table[:, 64].astype(int)
    test = np.loadtxt(DIGITS_SPLIT, dtype=int).ravel()  # stratified 80/20, fixed (see the file)
    idx = test if split == "test" else np.setdiff1d(np.arange(len(x)), test)
    names = tuple(str(d) for d in range(10))
    return Dataset("digits", split, torch.from_numpy(x[idx]), labels[idx], names)


# ---- sprites ------------------------------------------------------------------------------------

SPRITE_SIZE = 32  # dSprites is 64x64; 32x32 keeps three conv models within the CPU training budget
SPRITE_SHAPES = ("square", "ellipse", "heart")
SPRITE_FACTORS = ("shape", "scale", "orientation", "x", "y")
SPRITE_COUNTS = {"train": 20000, "test": 2000}


def render_sprites(factors: np.ndarray, size: int = SPRITE_SIZE, supersample: int = 3) -> np.ndarray:
    """Draw sprites from factors (N, 5): shape index, scale in (0, 1], orientation (radians),
    x and y in [0, 1] (centre position within the frame). Returns (N, size, size) in [0, 1].

    Each pixel is the covered fraction of a supersample x supersample grid, so edges are smooth.
    """
    chunk = 64  # keeps the (n, s, s) intermediates small and in cache
    if len(factors) > chunk:
        parts = [render_sprites(factors[i : i + chunk], size, supersample) for i in range(0, len(factors), chunk)]
        return np.concatenate(parts)
    n = len(factors)
    s = size * supersample
    grid = ((np.arange(s) + 0.5) / s).astype(np.float32)  # pixel centres in [0, 1]
    shape, scale, angle, cx, cy = (factors[:, i].astype(np.float32).reshape(n, 1, 1) for i in range(5))
    margin = 0.2  # centres stay where the largest sprite still fits in the frame
    cx, cy = margin + cx * (1 - 2 * margin), margin + cy * (1 - 2 * margin)
    radius = 0.18 * scale
    dx, dy = grid[None, None, :] - cx, grid[None, :, None] - cy  # (n, 1, s), (n, s, 1)
    cos, sin = np.cos(angle), np.sin(angle)
    u = (cos * dx + sin * dy) / radius  # (n, s, s) in the sprite's own frame, unit size
    v = (-sin * dx + cos * dy) / radius
    inside = np.empty((n, s, s), dtype=bool)
    for k, is_shape in enumerate(shape[:, 0, 0] == i for i in range(3)):
        uk, vk = u[is_shape], v[is_shape]
        if k == 0:
            inside[is_shape] = (np.abs(uk) <= 0.8) & (np.abs(vk) <= 0.8)
        elif k == 1:
            inside[is_shape] = uk**2 + (vk / 0.55) ** 2 <= 1
        else:  # heart curve (x^2 + y^2 - 1)^3 <= x^2 y^3, pointing down
            hx, hy = uk * 1.1, -vk * 1.1 + 0.2
            inside[is_shape] = (hx**2 + hy**2 - 1) ** 3 - hx**2 * hy**3 <= 0
    return inside.reshape(n, size, supersample, size, supersample).mean(axis=(2, 4)).astype(np.float32)


def sample_sprite_factors(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack(
        [
            rng.integers(0, len(SPRITE_SHAPES), n),
            rng.uniform(0.5, 1.0, n),
            rng.uniform(0, 2 * np.pi, n),
            rng.uniform(0, 1, n),
            rng.uniform(0, 1, n),
        ],
        axis=1,
    )


@lru_cache(maxsize=2)
def _sprites(split: str) -> Dataset:
    seed = {"train": SPLIT_SEED + 1, "test": SPLIT_SEED + 2}[split]
    factors = sample_sprite_factors(SPRITE_COUNTS[split], seed)
    images = torch.from_numpy(render_sprites(factors))[:, None]  # (N, 1, 32, 32)
    labels = factors[:, 0].astype(int)
    return Dataset("sprites", split, images, labels, SPRITE_SHAPES, factors, SPRITE_FACTORS)


# ---- IDX (MNIST format) -------------------------------------------------------------------------

IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def read_idx(path: str | Path) -> np.ndarray:
    """One IDX file (plain or .gz) of unsigned bytes, header checked against the data."""
    path = Path(path)
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise InputError(f"{path.name}: cannot be read ({e})") from None
    return parse_idx(raw, path.name)


def parse_idx(raw: bytes, name: str) -> np.ndarray:
    """The array in an IDX file's bytes: (N,) labels or (N, H, W) images, uint8."""
    if len(raw) < 4:
        raise InputError(f"{name}: too short for an IDX header ({len(raw)} bytes)")
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])  # the magic number, byte by byte
    if zero != 0:
        raise InputError(f"{name}: magic number {raw[:4].hex()} is not IDX (2049 labels, 2051 images)")
    if dtype != 0x08:
        raise InputError(f"{name}: element type {dtype:#x} is not unsigned byte (0x08)")
    if ndim not in (1, 3):
        raise InputError(f"{name}: header says {ndim} dimensions; labels have 1 (2049), images 3 (2051)")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise InputError(f"{name}: header is cut short")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    if any(d == 0 for d in dims):
        raise InputError(f"{name}: a dimension is zero {dims}")
    size = int(np.prod(dims, dtype=np.int64))
    if len(raw) - header != size:
        raise InputError(f"{name}: header promises {size} bytes of data, file has {len(raw) - header}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def _find_idx(root: Path, stem: str) -> Path:
    for candidate in (root / stem, root / f"{stem}.gz", root / stem.replace("-idx", ".idx")):
        if candidate.exists():
            return candidate
    raise InputError(f"{root}: no {stem} (or {stem}.gz) in this folder")


def load_idx_folder(root: str | Path, split: str) -> Dataset:
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: not a folder")
    image_file, label_file = (_find_idx(root, stem) for stem in IDX_FILES[split])
    images, labels = read_idx(image_file), read_idx(label_file)
    if images.ndim != 3:
        raise InputError(f"{image_file.name}: holds labels, not images")
    if labels.ndim != 1:
        raise InputError(f"{label_file.name}: holds images, not labels")
    if len(images) != len(labels):
        raise InputError(f"{image_file.name} has {len(images)} images but {label_file.name} has {len(labels)} labels")
    x = torch.from_numpy(images.astype(np.float32) / 255.0)[:, None]
    names = tuple(str(i) for i in range(int(labels.max()) + 1))
    return Dataset("idx", split, x, labels.astype(int), names)


def dataset_of(card, split: str, data_root: str | Path | None = None) -> Dataset:
    """The split of the data a model was trained on. For an idx model the folder is data_root if
    given, else the one recorded in its card; its images must have the card's shape.
    Raises InputError naming the model and the folder when that data cannot be used."""
    if card.dataset != "idx":
        return load_dataset(card.dataset, split)
    recorded = card.training.get("data_root")
    root = data_root or recorded
    if root is None:
        raise InputError(f"{card.name} was trained on IDX files, but its card does not say where they are; "
                         "pass --data-root DIR")
    if not Path(root).is_dir():
        said = "the folder given" if data_root else "its card's data folder"
        raise InputError(f"{card.name}: {said}, {root}, is gone (moved or deleted); pass --data-root DIR "
                         "to point at the IDX files it was trained on")
    data = load_dataset("idx", split, root=root)
    if data.image_shape != tuple(card.image_shape):
        have, want = ("×".join(map(str, s[1:])) for s in (data.image_shape, card.image_shape))
        raise InputError(f"{card.name}: the IDX files in {root} hold {have} images, but it was trained on {want}")
    return data


# ---- uploads ------------------------------------------------------------------------------------

MAX_UPLOAD_BYTES = 200 << 20  # Streamlit's own limit (.streamlit/config.toml); phone photos are 3-8 MB
MAX_UPLOAD_PIXELS = 64_000_000  # a 48-megapixel phone's photos fit; a decompression bomb declares far more
WORKING_SIDE = 2048  # a photo is scaled to fit this before it is converted: its digit needs far fewer pixels
MIN_SIDE = 8  # the 8x8 digits are the smallest images here
BLANK_CONTRAST = 0.04  # of [0, 1]: an image whose darkest and lightest pixels are closer holds no stroke


def image_from_bytes(data: bytes, card) -> torch.Tensor:
    """An uploaded image converted like the model's dataset: grayscale, ink high, in [0, 1],
    cropped to its content (digits) and resized to the card's (H, W); for MNIST, placed as MNIST's
    digits were (see _like_mnist). Returns (1, C, H, W).

    Raises InputError, with a message fit for the page, for anything that is not a usable image:
    not an image, damaged, too large, too small, or holding no digit (blank).
    """
    if not data:
        raise InputError("The file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError(f"The file is {len(data) / 2**20:.0f} MB; the limit is {MAX_UPLOAD_BYTES >> 20} MB.")
    try:
        with Image.open(io.BytesIO(data)) as im:
            w, h = im.size
            if w * h > MAX_UPLOAD_PIXELS:
                raise InputError(f"The image declares {w}×{h} pixels; the limit is {MAX_UPLOAD_PIXELS / 1e6:.0f} "
                                 "million.")
            if min(w, h) < MIN_SIDE:
                raise InputError(f"The image is {w}×{h} pixels: too small to hold a digit (at least "
                                 f"{MIN_SIDE}×{MIN_SIDE}).")
            im.seek(0)  # first frame of a GIF or animated WebP
            im.draft(im.mode, (WORKING_SIDE, WORKING_SIDE))  # a JPEG decodes at 1/2 .. 1/8 scale: fast, small
            if max(im.size) > WORKING_SIDE:
                im = im.copy()
                im.thumbnail((WORKING_SIDE, WORKING_SIDE), Image.Resampling.BOX)
            gray = _grayscale(im)
    except InputError:
        raise
    except Image.DecompressionBombError:
        raise InputError(f"The image declares too many pixels; the limit is {MAX_UPLOAD_PIXELS / 1e6:.0f} "
                         "million.") from None
    except UnidentifiedImageError:
        raise InputError("This file is not an image that can be read (PNG, JPEG, BMP, GIF, WebP).") from None
    except (OSError, ValueError, SyntaxError, EOFError) as e:
        raise InputError(f"The image is damaged or truncated ({e}).") from None
    if np.ptp(gray) < BLANK_CONTRAST:
        raise InputError("The image is blank: it holds no digit.")
    x = _like_dataset(gray, card)
    if not x.max() > 0:
        raise InputError("The image holds no digit: once its background is taken away, nothing is left.")
    return x


def _grayscale(im: Image.Image) -> np.ndarray:
    """(H, W) float in [0, 1]; transparent pixels count as background."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.asarray(im, dtype=np.float64)
        return a / (65535.0 if a.max() > 255 else 255.0)
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = np.asarray(im.convert("RGBA"), dtype=np.float64) / 255.0
        alpha = rgba[..., 3]
        gray = rgba[..., :3] @ [0.299, 0.587, 0.114]
        if alpha.min() < 1.0:
            # transparent pixels become the colour opposite to the visible strokes' mean
            ink = gray[alpha > 0.5].mean() if (alpha > 0.5).any() else 0.0
            gray = alpha * gray + (1 - alpha) * (1.0 if ink < 0.5 else 0.0)
        return gray
    return np.asarray(im.convert("L"), dtype=np.float64) / 255.0


def _like_dataset(gray: np.ndarray, card) -> torch.Tensor:
    c, h, w = card.image_shape
    x = convert(gray, conversion(card.dataset, (h, w)), (h, w))
    return torch.from_numpy(np.repeat(x[None, None], c, axis=1).astype(np.float32))  # (1, C, H, W)


# ---- the conversion: an upload, or a drawing, made like the dataset's images ----------------------------
# One definition, written twice: here, and in live/js/convert.js for the drawing pad, which converts a
# drawing as it is drawn. Its settings come from conversion() on both sides; tests hold the two within 1/255.

MNIST_BOX = 20  # MNIST's digits were scaled to fit 20x20, then centred by mass in 28x28
INK_FLOOR = 0.15  # of the ink's range: shading and grain on paper, not ink
CROP_LEVEL = 0.2  # of the brightest pixel: what counts as content when a digit is cropped
CONTENT_MARGIN = {"digits": 0.0, "idx": 0.15}  # the 8x8 digits fill their frame; an IDX set's, like MNIST's, less


def conversion(dataset: str, shape: tuple[int, int]) -> dict:
    """How an image becomes one of dataset's: {"place": "mnist" | "crop" | "keep", ...its settings}.
    - mnist: the paper taken away, the digit's box fitted in MNIST_BOX, placed by its centre of mass;
    - crop: a square around the content, with a margin, resized to the frame;
    - keep: the whole frame resized, so a sprite keeps its position and size."""
    if dataset == "mnist" and tuple(shape) == (28, 28):
        return {"place": "mnist", "box": MNIST_BOX, "ink_floor": INK_FLOOR}
    if dataset == "sprites":
        return {"place": "keep"}
    return {"place": "crop", "margin": CONTENT_MARGIN.get(dataset, 0.0), "level": CROP_LEVEL}


PAD_PX = 112  # a drawing pad's own pixels: 4 per MNIST pixel, and a conversion within a millisecond
# The pen's width on the pad, so that a drawing fitted to the dataset's frame has its strokes: MNIST's are
# 2-3 px of 28 (a digit ~80 px tall on the pad, scaled to 20); the 8x8 digits' and the sprites' are broad.
BRUSH_PX = {"mnist": 9, "idx": 9, "digits": 16, "sprites": 22}


def drawing_pad(dataset: str, shape: tuple[int, int]) -> dict:
    """What a drawing pad for dataset's images of shape (H, W) needs (live/js/pad.js): {"conversion": how its
    drawing becomes an input, "pad": its side in its own pixels, "brush": the pen's width in them}. The
    explorer's pad and the class board's student page are sent the same."""
    return {"conversion": conversion(dataset, shape), "pad": PAD_PX, "brush": BRUSH_PX.get(dataset, 9)}


def convert(gray: np.ndarray, how: dict, shape: tuple[int, int]) -> np.ndarray:
    """gray (H, W) in [0, 1] -> (h, w) float64 in [0, 1], light ink on dark, the brightest stroke at 1."""
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if border.mean() > 0.5:  # dark ink on light paper: the datasets are light ink on dark
        gray = 1.0 - gray
    if how["place"] == "mnist":
        x = _like_mnist(gray, how, shape[0])
    else:
        if how["place"] == "crop":
            gray = _crop_to_content(gray, how["margin"], how["level"])
        x = area_resize(gray, *shape)
    return x / x.max() if x.max() > 0 else x  # the strongest stroke full ink, as in the datasets


def area_resize(image: np.ndarray, h: int, w: int) -> np.ndarray:
    """(h, w): each output pixel the mean of the input over the area it covers, for any scale (a scanner's
    anti-aliasing when shrinking; blocks with blended edges when growing)."""
    return _area_weights(h, image.shape[0]) @ image @ _area_weights(w, image.shape[1]).T


def _area_weights(n_out: int, n_in: int) -> np.ndarray:
    """(n_out, n_in): the share of output pixel i's span, [i, i + 1) * n_in / n_out, that input pixel r covers."""
    scale = n_in / n_out
    edges = np.arange(n_out + 1) * scale
    pixels = np.arange(n_in)
    covered = np.minimum(edges[1:, None], pixels[None, :] + 1) - np.maximum(edges[:-1, None], pixels[None, :])
    return np.clip(covered, 0, None) / scale


def _like_mnist(gray: np.ndarray, how: dict, side: int) -> np.ndarray:
    """(side, side) as MNIST's digits were made (LeCun et al.): the paper taken away, the digit's bounding
    box scaled to fit the box keeping its aspect ratio, and placed so its centre of mass is the centre."""
    paper = np.median(gray)  # paper is most of a photo: what is left after it is ink
    ink = np.clip((gray - paper) / max(gray.max() - paper, 1e-6), 0, 1)
    ink[ink < how["ink_floor"]] = 0
    ys, xs = np.nonzero(ink)
    if len(ys) == 0:
        return np.zeros((side, side))
    box = ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    scale = how["box"] / max(box.shape)
    digit = area_resize(box, max(1, round(box.shape[0] * scale)), max(1, round(box.shape[1] * scale)))
    rows, cols = np.indices(digit.shape)
    mass = digit.sum()
    cy, cx = (rows * digit).sum() / mass, (cols * digit).sum() / mass
    top = int(np.clip(round((side - 1) / 2 - cy), 0, side - digit.shape[0]))
    left = int(np.clip(round((side - 1) / 2 - cx), 0, side - digit.shape[1]))
    out = np.zeros((side, side))
    out[top : top + digit.shape[0], left : left + digit.shape[1]] = digit
    return out


def _crop_to_content(gray: np.ndarray, margin: float, level: float) -> np.ndarray:
    """Square crop around the content (pixels above level x the brightest), with margin (a fraction of
    the side) on every side."""
    ys, xs = np.nonzero(gray > level * gray.max()) if gray.max() > 0 else ((), ())
    if len(ys) == 0:
        return gray
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    side = max(y1 - y0, x1 - x0)
    side_with_margin = int(np.ceil(side / (1 - 2 * margin)))
    out = np.zeros((side_with_margin, side_with_margin))
    oy, ox = (side_with_margin - (y1 - y0)) // 2, (side_with_margin - (x1 - x0)) // 2
    out[oy : oy + y1 - y0, ox : ox + x1 - x0] = gray[y0:y1, x0:x1]
    return out


def sprite_factor_features(factors: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """Sprite factors (N, 5) as columns a linear measure can see, with the factor each column
    belongs to: shape one-hot; scale; orientation as cos/sin of 1, 2 and 4 times the angle (a
    square repeats every quarter turn, an ellipse every half); x; y."""
    shape, scale, angle, x, y = factors.T
    columns = [shape == k for k in range(len(SPRITE_SHAPES))] + [scale]
    columns += [f(m * angle) for m in (1, 2, 4) for f in (np.cos, np.sin)] + [x, y]
    names = ("shape",) * len(SPRITE_SHAPES) + ("scale",) + ("orientation",) * 6 + ("x", "y")
    return np.stack(columns, axis=1).astype(np.float64), names
