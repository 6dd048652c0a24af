"""Deterministic vs stochastic: the same input encoded K times by each model, drawn in the browser
(live/component.py) so that it follows the sliders as they move."""

import streamlit as st

from live import component as live
from page.state import session
from page.view import View

K_DEFAULT = 16
SHOWN = 24  # decodings drawn in the grid; the mean and std use all K


def samples_count() -> int:
    """K: the slider's value when it has just moved, else the one kept while the panel was closed."""
    return int(session.sent("k_samples") or session.kept("k_samples", K_DEFAULT))


def stochastic_ui(view: View) -> None:
    k = session.keep("k_samples", st.slider("K (encodings)", 2, 64, samples_count(), key="k_samples"))
    live.samples_ui(view, k, caption(k), SHOWN)


def caption(k: int) -> str:
    """What the row shows: the grid, then the mean and std over all K (std of [0, 1] pixels is at most 0.5)."""
    if k <= SHOWN:
        return f"{k} decodings · their per-pixel mean · their per-pixel std (black 0, white 0.5)"
    return (f"{k} decodings, the first {SHOWN} shown · per-pixel mean of all {k} · "
            f"per-pixel std of all {k} (black 0, white 0.5)")
