"""A room's models, and what the server computes from a drawing: the pixels are decoded from the link's draw=
text (live/drawing.py) and encoded here, in torch, with the room's pair; a code a client sends is never used.

A pair is named by its slug, `{dataset}-z{D}` as links write it (page.pair_slug): its AE and its beta-1 VAE,
shipped models loaded read-only (vae.load_pretrained checks each file's sha256). Your own models (--models)
are not offered to a board: a room outlives a page's session, and every replica must load the same pair.
"""

import base64
import threading
from functools import lru_cache

import numpy as np
import torch

import vae
from live.drawing import pixels
from vae import explore
from vae.judge import JUDGED_DATASETS, probabilities

DEFAULT_PAIR = "mnist-z8"  # the app's default pair (page.DEFAULT_PAIR, "mnist, D=8"), as a slug
_encoding = threading.Semaphore(2)  # drawings encoded at once: this machine's 2 cores; more would only queue


@lru_cache(maxsize=1)
def shipped_cards() -> dict:
    """name -> card of every shipped model (read from the manifest)."""
    return {c.name: c for c in vae.list_pretrained()}


@lru_cache(maxsize=1)
def pair_names() -> dict[str, tuple[str, str]]:
    """slug -> (the AE's name, its beta-1 VAE's name), for every shipped pair."""
    cards = shipped_cards()
    pairs = {}
    for c in cards.values():
        twin = vae.TrainConfig(dataset=c.dataset, kind="vae", latent_dim=c.latent_dim).model_name
        if c.kind == "ae" and twin in cards:
            pairs[f"{c.dataset}-z{c.latent_dim}"] = (c.name, twin)
    return pairs


def card(slug: str):
    """The pair's AE's card: its dataset and image shape (C, H, W)."""
    return shipped_cards()[pair_names()[slug][0]]


@lru_cache(maxsize=8)
def pair_models(slug: str) -> tuple[torch.nn.Module, torch.nn.Module]:
    """(AE, VAE) of a shipped pair, in eval mode; raises KeyError for an unknown slug, CheckpointError for a
    damaged file. The first call reads and checks two files: called in a worker thread."""
    ae_name, vae_name = pair_names()[slug]
    return vae.load_pretrained(ae_name).eval(), vae.load_pretrained(vae_name).eval()


def read_drawing(slug: str, text: str) -> np.ndarray | None:
    """The drawing's pixels (C, H, W) in [0, 1], or None if text is not a drawing for the pair's size."""
    return pixels(text, card(slug))


def pixels_text(images: np.ndarray) -> str:
    """Pixels in [0, 1] as base64url of one byte each (round(255 x)), in (C, H, W) order: what a page shows."""
    return base64.urlsafe_b64encode(np.round(np.clip(images, 0, 1) * 255).astype(np.uint8).tobytes()).decode()


def encode(slug: str, x: np.ndarray) -> dict:
    """What a drawing's record holds from its pixels x (C, H, W): the AE's code "ae_z", the VAE's "mu" and
    "sigma" (D,); the pictures "input", "ae" (the AE's reconstruction) and "vae_mu" (the VAE's decoding of mu),
    each pixels_text of (C, H, W) "shape"; and the judge's reading of the drawing, "digit" and its
    probability "p" (both None for a dataset with no judge). Runs in a worker thread, one torch thread."""
    ae, vm = pair_models(slug)
    with _encoding:
        torch.set_num_threads(1)  # a drawing's tiny models gain nothing from threads; a class shares 2 cores
        ae_z, _ = explore.encode(ae, x)
        mu, sigma = explore.encode(vm, x)
        pictures = {"ae": explore.decode(ae, ae_z), "vae_mu": explore.decode(vm, mu)}
        digit = p = None
        if ae.card.dataset in JUDGED_DATASETS:
            try:
                probs = probabilities(x[None], ae.card.dataset)[0]
                digit, p = int(probs.argmax()), round(float(probs.max()), 4)
            except vae.CheckpointError:  # a shipped judge missing or damaged: the board colours no digit
                pass
    return {"ae_z": _floats(ae_z), "mu": _floats(mu), "sigma": _floats(sigma),
            "shape": list(x.shape), "input": pixels_text(x), "ae": pixels_text(pictures["ae"]),
            "vae_mu": pixels_text(pictures["vae_mu"]), "digit": digit, "p": p}


def _floats(a: np.ndarray) -> list[float]:
    return [float(v) for v in a]
