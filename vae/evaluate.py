"""A trained model's figures on a split: reconstruction, KL, negative ELBO, active units (nats per example)."""

import torch

from .data import Dataset, dataset_of
from .latent import active_units
from .models import LatentModel
from .objective import kl_per_dim, reconstruction_per_example


@torch.inference_mode()
def encode_all(model: LatentModel, images: torch.Tensor, batch_size: int = 256):
    """The encoder's output for every image: (mu (N, D), log_sigma (N, D) or None)."""
    parts = [model.encode(images[i : i + batch_size]) for i in range(0, len(images), batch_size)]
    mu = torch.cat([p.mu for p in parts])
    log_sigma = None if parts[0].log_sigma is None else torch.cat([p.log_sigma for p in parts])
    return mu, log_sigma


@torch.inference_mode()
def evaluate(model: LatentModel, data: Dataset | None = None, seed: int = 0) -> dict:
    """Test-split figures in nats per example (means over the split):
    reconstruction (BCE summed over pixels, from one sampled z for a VAE), KL summed over
    dimensions, negative ELBO (reconstruction + KL, whatever beta was trained with), active units.
    """
    card = model.card
    data = data or dataset_of(card, "test")
    mu, log_sigma = encode_all(model, data.images)
    if log_sigma is None:
        z = mu
    else:
        z = mu + log_sigma.exp() * torch.randn(mu.shape, generator=torch.Generator().manual_seed(seed))
    rec = torch.cat([
        reconstruction_per_example(model.decode_logits(z[i : i + 1024]), data.images[i : i + 1024])
        for i in range(0, len(z), 1024)
    ]).mean().item()
    metrics = {
        "split": data.split,
        "examples": len(data),
        "reconstruction_nats": rec,
        "active_units": int(active_units(mu).sum()),
        "latent_dim": card.latent_dim,
    }
    if log_sigma is not None:
        kl_dims = kl_per_dim(mu, log_sigma).mean(dim=0)
        metrics |= {
            "kl_nats": kl_dims.sum().item(),
            "neg_elbo_nats": rec + kl_dims.sum().item(),
            "loss_nats": rec + card.beta * kl_dims.sum().item(),
            "kl_per_dim_nats": [round(v, 5) for v in kl_dims.tolist()],
        }
    return metrics

