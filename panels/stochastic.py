"""Deterministic vs stochastic: the same input encoded K times by each model."""

import numpy as np
import streamlit as st

from vae import explore, plots

from .shared import View, keep, kept

K_DEFAULT = 16
SHOWN = 24  # decodings drawn in the grid; the mean and std use all K


def samples_count() -> int:
    """K: the slider's value when it has just moved, else the one kept while the panel was closed."""
    return int(st.session_state.get("k_samples", kept("k_samples", K_DEFAULT)))


def stochastic_ui(view: View) -> None:
    k = samples_count()
    rows = []  # computed before anything is drawn, so the panel reaches the browser in one go
    for name, images, note in (
        ("AE", explore.decode(view.ae, np.repeat(view.ae_z[None], k, axis=0)), "z = f(y) is the same every time"),
        ("VAE", explore.decode(view.vm, view.sampled_z(k)), "a new eps each time, with the current mu and sigma"),
    ):
        std = images.std(axis=0)
        row = plots.image_row([plots.image_grid(images[:SHOWN], cols=8, size=56),
                               plots.to_pixels(images.mean(axis=0), 120), plots.to_pixels(std * 2, 120)], gap=24)
        rows.append((f"**{name}**: {note}. Largest per-pixel std: **{std.max():.3f}**", plots.png_data_uri(row)))
    keep("k_samples", st.slider("K (encodings)", 2, 64, k, key="k_samples"))
    for text, row in rows:
        st.markdown(text)
        st.image(row, caption=caption(k))


def caption(k: int) -> str:
    """What the row shows: the grid, then the mean and std over all K (std of [0, 1] pixels is at most 0.5)."""
    if k <= SHOWN:
        return f"{k} decodings · their per-pixel mean · their per-pixel std (black 0, white 0.5)"
    return (f"{k} decodings, the first {SHOWN} shown · per-pixel mean of all {k} · "
            f"per-pixel std of all {k} (black 0, white 0.5)")
