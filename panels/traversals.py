"""Traversals: one latent dimension swept from -3 to +3 with the others held, for both models."""

import numpy as np
import streamlit as st

from vae import explore, plots
from vae.data import sprite_factor_features

from .shared import View, keep, kept, split_codes, test_split

VALUES = np.linspace(-3, 3, 9)


def traversals_ui(view: View) -> None:
    choices = ["the current code", "0"]
    start = choices.index(kept("traverse_around", choices[0]))
    around = keep("traverse_around", st.radio("Sweep around", choices, start, horizontal=True, key="traverse_around"))
    around_code = around == "the current code"
    st.caption("Each row varies one dimension over −3 … +3 (9 steps) and keeps the others fixed. VAE rows are "
               "sorted by the dimension's average KL on the test split: a dimension with no KL carries no "
               "information and moves nothing. AE rows are sorted by how widely the codes spread.")
    cols = st.columns(2)
    for col, model, base in ((cols[0], view.ae, view.ae_z), (cols[1], view.vm, view.mu)):
        with col:
            st.markdown(f"**{'AE' if model is view.ae else 'VAE'}** ({model.card.name})")
            for d, label in traversal_rows(model):
                codes = explore.traversal_codes(base if around_code else np.zeros_like(base), d, VALUES, around_code)
                st.image(plots.image_grid(explore.decode(model, codes), cols=len(VALUES), size=48), caption=label)


def traversal_rows(model) -> list[tuple[int, str]]:
    """(dimension, caption) in display order for one model."""
    mu, _ = split_codes(model)
    card = model.card
    factors = factor_names(model)
    if card.kind == "vae":
        kl = np.asarray(card.metrics["kl_per_dim_nats"])
        order = np.argsort(-kl)
        labels = {d: f"z{d}: average KL {kl[d]:.2f} nats" for d in order}
    else:
        spread = mu.std(axis=0)
        order = np.argsort(-spread)
        labels = {d: f"z{d}: codes spread ±{spread[d]:.2f}" for d in order}
    return [(int(d), labels[d] + (f"; moves {factors[d]}" if factors else "")) for d in order]


def factor_names(model) -> list[str] | None:
    """For sprites, the generating factor each dimension follows most (|correlation| over the test split)."""
    if model.card.dataset != "sprites":
        return None
    mu, _ = split_codes(model)
    features, owners = sprite_factor_features(test_split(model.card).factors)
    alignment = explore.factor_alignment(mu, features)  # (D, K)
    out = []
    for d in range(mu.shape[1]):
        k = int(np.argmax(alignment[d]))
        out.append(f"{owners[k]} most (|r| = {alignment[d, k]:.2f})")
    return out
