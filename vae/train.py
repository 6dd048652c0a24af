"""Training: the loop that fits an AE or a VAE to a dataset from a TrainConfig.

An AE and a VAE of the same dataset and latent size are built from the same recipe (architecture,
data, seed, optimiser, epochs), so the only differences between them are the seed's two.
"""

import platform
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from . import checkpoints
from .config import ARCHITECTURES, TrainConfig
from .data import load_dataset
from .errors import InputError
from .models import LatentModel, ModelCard, build_model, convert_ae_to_vae
from .objective import batch_loss


def initial_model(cfg: TrainConfig, image_shape) -> LatentModel:
    if cfg.init_from:
        source = Path(cfg.init_from)
        if source.suffix == ".safetensors":
            ae = checkpoints.load_checkpoint(source)
        else:
            ae = checkpoints.load_pretrained(cfg.init_from)
        c = ae.card
        if (c.kind, c.dataset, c.latent_dim) != ("ae", cfg.dataset, cfg.latent_dim) or cfg.kind != "vae":
            raise InputError(f"--init-from needs a trained AE of the same dataset and latent size to turn into a "
                             f"VAE; {c.name} is a {c.kind} on {c.dataset} with D={c.latent_dim}, and this run "
                             f"trains a {cfg.kind} on {cfg.dataset} with D={cfg.latent_dim}")
        model = convert_ae_to_vae(ae.requires_grad_(True), name=cfg.model_name)
    else:
        torch.manual_seed(cfg.seed)
        card = ModelCard(
            name=cfg.model_name, kind=cfg.kind, dataset=cfg.dataset, image_shape=tuple(image_shape),
            latent_dim=cfg.latent_dim, architecture=ARCHITECTURES[cfg.dataset],
        )
        model = build_model(card)
    model.card.beta = cfg.beta if cfg.kind == "vae" else 1.0  # an AE has no KL term to weigh
    model.card.training = {**asdict(cfg), "versions": versions()}
    return model


def training_images(cfg: TrainConfig) -> tuple[torch.Tensor, int]:
    """The images to train on (N, C, H, W) and the size of the training split they come from: the
    whole split, or a seeded sample of cfg.train_size images of it (in the split's order). Only the
    sample outlives this call: MNIST's 60,000 training images (188 MB) are not kept while training."""
    images = load_dataset(cfg.dataset, "train", root=cfg.data_root).images
    if cfg.train_size is None or cfg.train_size >= len(images):
        return images, len(images)
    keep = torch.randperm(len(images), generator=torch.Generator().manual_seed(cfg.seed))[: cfg.train_size]
    return images[keep.sort().values], len(images)


def train(cfg: TrainConfig, progress: bool = True, on_epoch=None, max_seconds: float | None = None) -> LatentModel:
    """Adam on batch means of reconstruction + beta * KL. on_epoch(epoch, stats) after each epoch, with
    stats the epoch's means (loss, reconstruction, kl: nats per example) and its wall time (seconds);
    training stops there if it returns True. With max_seconds, training stops after the epoch that
    passes it. card.training says how many epochs ran, and on how many of the split's images. The weights
    end rounded to float16 values, as loading rounds them (checkpoints.round_to_float16): the figures a card
    records are those of the model as it is served."""
    if cfg.data_root:  # the card records where the data is, so evaluate finds it from any folder
        cfg = replace(cfg, data_root=str(Path(cfg.data_root).resolve()))
    x_all, split_size = training_images(cfg)
    n = len(x_all)
    model = initial_model(cfg, x_all.shape[1:]).train()
    model.card.training |= {"train_examples": n, "train_split_examples": split_size}
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    order = torch.Generator().manual_seed(cfg.seed)  # batch order
    noise = torch.Generator().manual_seed(cfg.seed + 1)  # eps of the VAE
    bar = tqdm(range(cfg.epochs), desc=cfg.model_name, disable=not progress, unit="epoch")
    start = time.perf_counter()
    for epoch in bar:
        epoch_start = time.perf_counter()
        sums = torch.zeros(3)
        for idx in torch.randperm(n, generator=order).split(cfg.batch_size):
            terms = batch_loss(model, x_all[idx], cfg.beta, generator=noise)
            optimizer.zero_grad(set_to_none=True)
            terms.loss.backward()
            optimizer.step()
            sums += torch.stack([t.detach() for t in terms]) * len(idx)
        stats = dict(zip(("loss", "reconstruction", "kl"), (sums / n).tolist()))
        bar.set_postfix({k: f"{v:.2f}" for k, v in stats.items()})
        model.card.training["epochs_run"] = epoch + 1
        if on_epoch and on_epoch(epoch, stats | {"seconds": time.perf_counter() - epoch_start}):
            break
        if max_seconds is not None and time.perf_counter() - start > max_seconds:
            break
    return checkpoints.round_to_float16(model).eval()


def versions() -> dict:
    import safetensors

    return {"python": platform.python_version(), "torch": torch.__version__,
            "numpy": np.__version__, "safetensors": safetensors.__version__}

