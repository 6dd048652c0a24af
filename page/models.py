"""The models and data the page shows: cached loaders shared by every session (shipped models, yours from
--models), encodings kept per input, a model's test split, its codes and active units."""

import argparse
import sys
import threading
from collections import OrderedDict
from functools import lru_cache

import numpy as np
import streamlit as st

import vae
from vae import explore
from vae.checkpoints import pretrained_dir
from vae.data import dataset_of


def load_model(name: str):
    """A shipped model, or one of yours (--models), loaded once per server and shared read-only by
    every session. Raises vae.CheckpointError for a file that is missing, damaged or tampered with."""
    path = your_models()[0].get(name)
    if path is not None:
        return _load_checkpoint(str(path))
    return _load_model(name, str(pretrained_dir()))


@st.cache_resource(show_spinner=False)
def _load_model(name: str, directory: str):
    return vae.load_pretrained(name, directory)  # a failure is not cached: the next visit tries again


@st.cache_resource(show_spinner=False)
def _load_checkpoint(path: str):
    return vae.load_checkpoint(path).requires_grad_(False)


def shipped_cards() -> list:
    """The manifest's model cards, read again only when the manifest file changes."""
    manifest = pretrained_dir() / "manifest.json"
    stamp = manifest.stat().st_mtime_ns if manifest.exists() else 0
    return _shipped_cards(str(pretrained_dir()), stamp)


@st.cache_resource(show_spinner=False)
def _shipped_cards(directory: str, stamp: int) -> list:
    return vae.list_pretrained(directory)  # a damaged manifest raises, and is not cached


def app_args() -> argparse.Namespace:
    """`streamlit run app.py -- --models DIR [--data-root DIR]`: your own pairs beside the shipped ones."""
    return _parse_args(tuple(sys.argv[1:]))


@lru_cache(maxsize=8)
def _parse_args(argv: tuple[str, ...]) -> argparse.Namespace:  # parsed once, not on every commit
    parser = argparse.ArgumentParser(prog="app.py", add_help=False)
    parser.add_argument("--models")
    parser.add_argument("--data-root")
    return parser.parse_known_args(argv)[0]


def your_models() -> tuple[dict, list, list[str]]:
    """Your models by name (their files), your pairs (vae.ModelPair), and what could not be used."""
    args = app_args()
    if not args.models:
        return {}, [], []
    return _your_models(args.models, args.data_root)


@st.cache_resource(show_spinner=False)
def _your_models(folder: str, data_root: str | None):
    pairs, problems = vae.find_pairs(folder, data_root)
    shipped, paths, kept = {c.name for c in shipped_cards()}, {}, []
    for pair in pairs:  # a name is a model's key in every cache, so it must be one model's alone
        taken = [m for m in (pair.ae, *pair.vaes) if m.card.name in shipped or paths.get(m.card.name, m.path) != m.path]
        if taken:
            problems.append(f"{taken[0].path}: its model is named {taken[0].card.name}, like another model here; "
                            "rename it (python -m vae train ... --name)")
            continue
        paths |= {m.card.name: m.path for m in (pair.ae, *pair.vaes)}
        kept.append(pair)
    return paths, kept, problems


def vaes_like(card) -> list:
    """The VAEs trained alike with an AE (or like a VAE): its beta ladder, beta 1 first."""
    for pair in your_models()[1]:
        if card.name in {m.card.name for m in (pair.ae, *pair.vaes)}:
            return [m.card for m in pair.vaes]
    cards = [c for c in shipped_cards()
             if c.kind == "vae" and c.dataset == card.dataset and c.latent_dim == card.latent_dim]
    return sorted(cards, key=lambda c: (c.beta != 1, c.beta, c.name))


def model_problem(name: str) -> str | None:
    """Why a shipped model cannot be used, or None if it can. A model that loaded stays loaded (load_model
    keeps it), so it is not asked again; one that failed is, on every run: its file may be mended."""
    if (name, str(pretrained_dir())) in _LOADED:
        return None
    try:
        load_model(name)
    except vae.CheckpointError as e:
        return str(e)
    _LOADED.add((name, str(pretrained_dir())))
    return None


_LOADED: set = set()  # (name, folder) of the models that have loaded in this process


def encoding(model, x: np.ndarray, input_name: str) -> tuple[np.ndarray, np.ndarray | None]:
    """explore.encode(model, x), kept for the last inputs per model: a class opening the page asks for
    test #0's encoding a hundred times. input_name names x ("test:0", "drawing:<its link form>": Input.name)."""
    key = (id(model), model.card.name, input_name)
    with _ENCODINGS_LOCK:  # sessions run their scripts in threads of their own
        kept = _ENCODINGS.get(key)
        if kept is not None:
            _ENCODINGS.move_to_end(key)
            return kept
    mu, sigma = explore.encode(model, x)
    for a in (mu, sigma):
        if a is not None:
            a.flags.writeable = False  # shared by every session that shows this input
    with _ENCODINGS_LOCK:
        _ENCODINGS[key] = mu, sigma
        while len(_ENCODINGS) > 512:
            _ENCODINGS.popitem(last=False)
    return mu, sigma


_ENCODINGS: OrderedDict = OrderedDict()  # (model, name, input) -> (mu, sigma), the least recently used first
_ENCODINGS_LOCK = threading.Lock()

def test_split(card) -> vae.Dataset:
    """The test split of the data a model was trained on: an idx model's from --data-root or its card."""
    root = (app_args().data_root or card.training.get("data_root")) if card.dataset == "idx" else None
    return _test_split(card.dataset, root, tuple(card.image_shape), card)


@st.cache_resource(show_spinner=False)
def _test_split(dataset: str, root: str | None, shape: tuple, _card) -> vae.Dataset:
    return dataset_of(_card, "test", root)  # a gone folder or another image size raises InputError


def split_codes(model):
    """(mu, sigma) of the model's test split; sigma is None for an AE."""
    return _split_codes(model.card.name, model)


@st.cache_data(show_spinner=False)
def _split_codes(name: str, _model):
    # keyed by name: shipped names are unique, and a session's own trained models get unique names
    return explore.split_codes(_model, test_split(_model.card).images)


def active_units_of(model) -> np.ndarray:
    """(D,) bool: the model's active units over its test split (Burda et al.: Cov_x(mu_u) > 0.01)."""
    return _active_units(model.card.name, model)


@st.cache_data(show_spinner=False)
def _active_units(name: str, _model) -> np.ndarray:
    mu, _ = split_codes(_model)
    return explore.active_mask(mu)

