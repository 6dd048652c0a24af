"""What the explorer computes per interaction, numpy in and numpy out, so the page does no tensor
math of its own. Single inputs are (C, H, W) images and (D,) codes; batches add a leading N.
"""

import functools

import numpy as np
import torch

from .evaluate import encode_all
from .latent import active_units, interpolate, prior_samples, reparameterize, seeded_eps, traversal
from .models import LatentModel
from .objective import kl_per_dim, reconstruction_per_example


def _t(a) -> torch.Tensor:
    return torch.tensor(np.asarray(a), dtype=torch.float32)  # a copy: the page keeps some arrays read-only


@torch.inference_mode()
def encode(model: LatentModel, image: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(mu (D,), sigma (D,) or None for an AE) for one image (C, H, W)."""
    enc = model.encode(_t(image)[None])
    sigma = None if enc.log_sigma is None else enc.log_sigma.exp()[0].numpy()
    return enc.mu[0].numpy(), sigma


@torch.inference_mode()
def decode(model: LatentModel, z: np.ndarray) -> np.ndarray:
    """Decoded images in [0, 1]: (C, H, W) for z (D,), (N, C, H, W) for z (N, D)."""
    z = _t(z)
    out = model.decode(z.reshape(-1, z.shape[-1])).numpy()
    return out[0] if z.ndim == 1 else out


@torch.inference_mode()
def reconstruction_nats(model: LatentModel, image: np.ndarray, z: np.ndarray) -> float:
    """BCE of image (C, H, W) under the decoding of z (D,), summed over pixels, in nats."""
    return reconstruction_per_example(model.decode_logits(_t(z)[None]), _t(image)[None]).item()


def kl_nats(mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """KL per dimension in nats, (…, D), computed in float64 from the values a person set."""
    mu, sigma = np.asarray(mu, dtype=np.float64), np.asarray(sigma, dtype=np.float64)
    return kl_per_dim(torch.from_numpy(mu), torch.from_numpy(np.log(sigma))).numpy()


@functools.lru_cache(maxsize=1024)
def eps_for(seed: int, latent_dim: int, k: int | None = None) -> np.ndarray:
    """eps ~ N(0, I) from a seed: (D,), or (k, D) for k draws. Read-only: kept for later calls."""
    shape = (latent_dim,) if k is None else (k, latent_dim)
    eps = seeded_eps(seed, shape).numpy().astype(np.float64)
    eps.flags.writeable = False
    return eps


def split_codes(model: LatentModel, images) -> tuple[np.ndarray, np.ndarray | None]:
    """The encoder's (mu (N, D), sigma (N, D) or None) for a whole split."""
    mu, log_sigma = encode_all(model, torch.as_tensor(images))
    return mu.numpy(), None if log_sigma is None else log_sigma.exp().numpy()


def z_from(mu: np.ndarray, sigma: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """z = mu + sigma * eps (the seed's reparameterization) for values a person set; any shape."""
    mu, sigma, eps = (torch.from_numpy(np.array(a, dtype=np.float64)) for a in (mu, sigma, eps))
    return reparameterize(mu, sigma.log(), eps).numpy()


def prior_decodings(model: LatentModel, n: int, seed: int) -> np.ndarray:
    """Decodings of n draws of z ~ N(0, I), (n, C, H, W): the same draws for any model of that D."""
    return decode(model, prior_samples(n, model.card.latent_dim, seed).numpy())


def interpolation_codes(z0: np.ndarray, z1: np.ndarray, steps: int, spherical: bool = False) -> np.ndarray:
    """(steps, D) codes from z0 to z1, endpoints included."""
    return interpolate(_t(z0).double(), _t(z1).double(), steps, spherical).numpy()


def traversal_codes(base: np.ndarray, dim: int, values: np.ndarray) -> np.ndarray:
    """(S, D) copies of base with dimension dim set to each of values (S,)."""
    return traversal(_t(base).double(), dim, _t(values).double()).numpy()


def decode_grid(model: LatentModel, extent: tuple[float, float, float, float], n: int) -> np.ndarray:
    """Decodings of an n x n grid over the latent plane (x0, x1, y0, y1) of a 2-D model, as one
    image (H * n, W * n), top row at y1: the classic manifold picture."""
    x0, x1, y0, y1 = extent
    xs, ys = np.linspace(x0, x1, n), np.linspace(y1, y0, n)
    z = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    images = decode(model, z).mean(axis=1)  # (n * n, H, W)
    h, w = images.shape[1:]
    return images.reshape(n, n, h, w).transpose(0, 2, 1, 3).reshape(n * h, n * w)


def factor_alignment(mu: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """|correlation| of each latent dimension (mu over a split, (N, D)) with each generating factor
    (N, F), (D, F). Orientation-like factors should be passed as cos/sin columns."""
    a = (mu - mu.mean(0)) / (mu.std(0) + 1e-12)
    b = (factors - factors.mean(0)) / (factors.std(0) + 1e-12)
    return np.abs(a.T @ b) / len(mu)


def active_mask(mu: np.ndarray, threshold: float = 0.01) -> np.ndarray:
    """(D,) bool: Burda et al.'s active units, from the encoder's means over a split (N, D)."""
    return active_units(torch.from_numpy(np.asarray(mu, dtype=np.float64)), threshold).numpy()
