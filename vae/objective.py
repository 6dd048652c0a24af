"""The objective: L_VAE = L_AE + beta * KL(q(z|x) || N(0, I)).

Every figure here is per example: summed over pixels or latent dimensions, then averaged over the
batch. Names say which: *_per_example tensors have shape (N,), batch_* are means over N.
"""

from typing import NamedTuple

import torch
import torch.nn.functional as F


def kl_per_dim(mu: torch.Tensor, log_sigma: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, sigma^2) || N(0, 1)) per dimension, in nats: the seed's
    1/2 (mu^2 + sigma^2 - 2 log sigma - 1), written in log sigma.

    sigma^2 - 1 - 2 log sigma is computed as expm1(2 log sigma) - 2 log sigma, which keeps full
    precision near sigma = 1 (a collapsed dimension), where the plain form cancels to noise.
    """
    return 0.5 * (mu.square() + torch.expm1(2 * log_sigma) - 2 * log_sigma)


def kl_per_example(mu: torch.Tensor, log_sigma: torch.Tensor) -> torch.Tensor:
    """(N,) nats, summed over the D latent dimensions."""
    return kl_per_dim(mu, log_sigma).sum(dim=-1)


def reconstruction_per_example(x_logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """(N,) nats: Bernoulli negative log-likelihood (binary cross-entropy) summed over pixels."""
    bce = F.binary_cross_entropy_with_logits(x_logits, x, reduction="none")
    return bce.flatten(1).sum(dim=1)


class BatchLoss(NamedTuple):
    loss: torch.Tensor  # batch mean of reconstruction + beta * KL, per example
    reconstruction: torch.Tensor  # batch mean, nats per example
    kl: torch.Tensor  # batch mean, nats per example (0 for an AE)


def batch_loss(model, x: torch.Tensor, beta: float = 1.0, eps=None, generator=None) -> BatchLoss:
    """One minibatch's objective. For an AE the KL term does not exist and the loss is L_AE."""
    out = model(x, eps=eps, generator=generator)
    rec = reconstruction_per_example(out.x_logits, x).mean()
    if out.encoding.log_sigma is None:
        kl = torch.zeros((), dtype=rec.dtype)
    else:
        kl = kl_per_example(out.encoding.mu, out.encoding.log_sigma).mean()
    return BatchLoss(rec + beta * kl, rec, kl)
