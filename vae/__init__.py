"""Latent explorer backend: an autoencoder and a variational autoencoder that differ only by the
seed's two changes (heads g, h with z = mu + sigma * eps; a KL term in the loss), their data,
training, shipped weights, and pure figure builders. No streamlit here. The training loop
(vae.train) is imported by what trains, never by what serves a page."""

from .checkpoints import (
    ModelFile,
    ModelPair,
    find_pairs,
    list_pretrained,
    load_checkpoint,
    load_pretrained,
    save_checkpoint,
)
from .config import TrainConfig
from .data import Dataset, image_from_bytes, load_dataset
from .errors import CheckpointError, InputError, VaeError
from .evaluate import evaluate
from .latent import active_units, interpolate, prior_samples, reparameterize, seeded_eps, traversal
from .models import (
    Autoencoder,
    Encoding,
    ModelCard,
    VariationalAutoencoder,
    build_model,
    convert_ae_to_vae,
)
from .objective import batch_loss, kl_per_dim, kl_per_example, reconstruction_per_example

__all__ = [
    "Autoencoder", "CheckpointError", "Dataset", "Encoding", "InputError", "ModelCard", "ModelFile", "ModelPair",
    "TrainConfig",
    "VaeError", "VariationalAutoencoder", "active_units", "batch_loss", "build_model",
    "convert_ae_to_vae", "evaluate", "find_pairs", "image_from_bytes", "interpolate", "kl_per_dim",
    "kl_per_example", "list_pretrained", "load_checkpoint", "load_dataset", "load_pretrained",
    "prior_samples", "reconstruction_per_example", "reparameterize", "save_checkpoint",
    "seeded_eps", "traversal",
]
