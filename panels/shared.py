"""What every panel shares: cached loaders and the View of the current input and code."""

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import streamlit as st

import vae
from vae import explore
from vae.checkpoints import pretrained_dir


def load_model(name: str):
    """A shipped model, loaded once per server and shared read-only by every session.
    Raises vae.CheckpointError for a file that is missing, damaged or tampered with."""
    return _load_model(name, str(pretrained_dir()))


@st.cache_resource(show_spinner=False)
def _load_model(name: str, directory: str):
    return vae.load_pretrained(name, directory)  # a failure is not cached: the next visit tries again


def shipped_cards() -> list:
    """The manifest's model cards, read again only when the manifest file changes."""
    manifest = pretrained_dir() / "manifest.json"
    stamp = manifest.stat().st_mtime_ns if manifest.exists() else 0
    return _shipped_cards(str(pretrained_dir()), stamp)


@st.cache_resource(show_spinner=False)
def _shipped_cards(directory: str, stamp: int) -> list:
    return vae.list_pretrained(directory)  # a damaged manifest raises, and is not cached


def model_problem(name: str) -> str | None:
    """Why a shipped model cannot be used, or None if it can."""
    try:
        load_model(name)
    except vae.CheckpointError as e:
        return str(e)
    return None


@st.cache_resource(show_spinner=False)
def test_split(dataset: str) -> vae.Dataset:
    return vae.load_dataset(dataset, "test")


def split_codes(model):
    """(mu, sigma) of the model's test split; sigma is None for an AE."""
    return _split_codes(model.card.name, model)


@st.cache_data(show_spinner=False)
def _split_codes(name: str, _model):
    # keyed by name: shipped names are unique, and a session's own trained models get unique names
    return explore.split_codes(_model, test_split(_model.card.dataset).images)


def active_units_of(model) -> np.ndarray:
    """(D,) bool: the model's active units over its test split (Burda et al.: Cov_x(mu_u) > 0.01)."""
    return _active_units(model.card.name, model)


@st.cache_data(show_spinner=False)
def _active_units(name: str, _model) -> np.ndarray:
    mu, _ = split_codes(_model)
    return explore.active_mask(mu)


def kept(key: str, default):
    """A panel widget's last value. Streamlit forgets a widget's state while its panel is not
    drawn, so each panel widget starts from the value kept here."""
    return st.session_state.get(f"kept_{key}", default)


def keep(key: str, value):
    st.session_state[f"kept_{key}"] = value
    return value


def _rows(columns: dict[str, list], decimals: int) -> list[list[str]]:
    """The table's cells as text: strings as they are, numbers to decimals places."""
    return [[v if isinstance(v, str) else f"{float(v):.{decimals}f}" for v in row] for row in zip(*columns.values())]


def markdown_table(columns: dict[str, list], decimals: int = 3) -> str:
    """A table as Markdown: light to send on every slider move, and no pandas in the server."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---:|" * len(columns)]
    lines += ["| " + " | ".join(row) + " |" for row in _rows(columns, decimals)]
    return "\n".join(lines)


@dataclass(frozen=True)
class Encoded:
    """The input and what both encoders make of it: computed once per input, not per slider move."""

    x: np.ndarray  # (C, H, W) in [0, 1]
    caption: str
    ae: object
    vm: object
    ae_z: np.ndarray  # (D,) the AE's z = f(y)
    mu0: np.ndarray  # (D,) the VAE encoder's mu and sigma for x
    sigma0: np.ndarray


@dataclass(frozen=True)
class View(Encoded):
    """The input and both models' codes for it, as the sliders have set them."""

    mu: np.ndarray  # (D,) as the sliders have them
    sigma: np.ndarray
    seed: int  # of eps
    eps: np.ndarray  # (D,)
    z: np.ndarray  # (D,) mu + sigma * eps

    @property
    def dim(self) -> int:
        return len(self.mu)

    @cached_property
    def kl(self) -> np.ndarray:
        """KL per dimension in nats, from the sliders' mu and sigma."""
        return explore.kl_nats(self.mu, self.sigma)

    @cached_property
    def reconstruction_ae(self) -> float:
        """The AE's BCE on this input, summed over pixels, nats."""
        return explore.reconstruction_nats(self.ae, self.x, self.ae_z)

    @cached_property
    def reconstruction_vae(self) -> float:
        """The VAE's BCE on this input decoding the current z, summed over pixels, nats."""
        return explore.reconstruction_nats(self.vm, self.x, self.z)

    @property
    def loss_vae(self) -> float:
        """L_VAE = L_AE + beta * KL for this input, nats (beta as the VAE was trained)."""
        return self.reconstruction_vae + self.vm.card.beta * float(self.kl.sum())

    def sampled_z(self, k: int) -> np.ndarray:
        """k draws of z = mu + sigma * eps around the current mu and sigma, (k, D); fixed per seed."""
        return explore.z_from(self.mu, self.sigma, explore.eps_for(self.seed + 10_000, self.dim, k))
