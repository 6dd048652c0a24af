"""Working in z: the reparameterization, seeded noise, and paths through the latent space."""

import torch


def reparameterize(mu: torch.Tensor, log_sigma: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """z = mu + sigma * eps with sigma = exp(log_sigma). Gradients reach mu and log_sigma; eps is data."""
    return mu + torch.exp(log_sigma) * eps


def seeded_eps(seed: int, shape: tuple[int, ...]) -> torch.Tensor:
    """eps ~ N(0, I), the same for the same seed on every machine and run."""
    return torch.randn(shape, generator=torch.Generator().manual_seed(int(seed)))


def prior_samples(n: int, latent_dim: int, seed: int) -> torch.Tensor:
    """n draws of z ~ N(0, I), shape (n, D)."""
    return seeded_eps(seed, (n, latent_dim))


def traversal(z: torch.Tensor, dim: int, values: torch.Tensor) -> torch.Tensor:
    """Copies of z (D,) with z[dim] set to each of values (S,): shape (S, D)."""
    out = z.expand(len(values), -1).clone()
    out[:, dim] = values
    return out


def interpolate(z0: torch.Tensor, z1: torch.Tensor, steps: int, spherical: bool = False) -> torch.Tensor:
    """steps points from z0 to z1 (both (D,)), endpoints included: shape (steps, D).

    spherical follows the great circle (slerp): between two codes of one length it keeps that length, where
    the straight line cuts through the middle of the ball, which N(0, I)'s samples (near length sqrt(D)) avoid.
    """
    t = torch.linspace(0, 1, steps).unsqueeze(1)  # (steps, 1)
    if not spherical:
        return (1 - t) * z0 + t * z1
    cos = torch.dot(z0, z1) / (z0.norm() * z1.norm()).clamp_min(1e-12)
    omega = torch.arccos(cos.clamp(-1, 1))
    if omega.abs() < 1e-6:
        return (1 - t) * z0 + t * z1
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)


def active_units(mu: torch.Tensor, threshold: float = 0.01) -> torch.Tensor:
    """Burda et al. (2016): unit u is active if Cov_x(E_q[z_u | x]) > threshold.

    mu is (N, D), the encoder's means over a data set; returns a (D,) bool mask.
    """
    return mu.var(dim=0) > threshold
