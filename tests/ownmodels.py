"""Your own data and models, for tests: IDX files of random images, and models trained on them with the
command line (one epoch: the tests need a pair, not a good one)."""

import struct

import numpy as np

from vae.__main__ import main


def idx_bytes(array: np.ndarray) -> bytes:
    magic = 2051 if array.ndim == 3 else 2049
    return struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(np.uint8).tobytes()


def write_idx(folder, n=64, side=28, seed=0):
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for split, count in (("train", n), ("t10k", n // 4)):
        (folder / f"{split}-images-idx3-ubyte").write_bytes(idx_bytes(rng.integers(0, 256, (count, side, side))))
        (folder / f"{split}-labels-idx1-ubyte").write_bytes(idx_bytes(rng.integers(0, 10, count)))
    return folder


def train_cli(out, *args):
    assert main(["train", "--dataset", "idx", "--latent-dim", "2", "--epochs", "1", "--batch-size", "16",
                 "--quiet", "-o", str(out), *args]) == 0
