"""Decode anywhere: a 2-D model's decoder over a grid of its latent plane, the data's codes optionally over it."""

import numpy as np
import streamlit as st

from page.models import split_codes, test_split
from page.state import session
from page.view import View
from panels import chart_config
from vae import explore, plots

GRID = 20


def manifold_ui(view: View) -> None:
    if view.dim != 2:
        st.info("The decoded plane needs a 2-D latent space: choose a pair with D=2 in the sidebar.")
        return
    data = test_split(view.vm.card)
    shown = session.kept("manifold_dots", False)
    dots = session.keep("manifold_dots", st.checkbox("Show the test codes as dots", shown, key="manifold_dots",
                                                     help="Each test image's code, coloured by its label. The dots "
                                                          "are drawn over the tiles and hide them, so they start off."))
    st.caption(f"Each tile decodes one point of a {GRID}×{GRID} grid. "
               + ("The dots are the test split's codes, drawn over the tiles. " if dots else
                  "The test split's codes are not drawn, so that every tile shows: tick the box to see them. ")
               + "The VAE's plane is the prior's ±3σ square, where its samples come from; the AE's is the square "
               "its own test codes span (1st to 99th percentile), as nothing ties them to N(0, I). With the dots on, "
               "see which tiles lie between the AE's clusters, and what each decoder makes there.")
    cols = st.columns(2)
    for col, model in zip(cols, (view.ae, view.vm)):
        codes, _ = split_codes(model)
        extent = plane_extent(codes) if model.card.kind == "ae" else (-3.0, 3.0, -3.0, 3.0)
        grid = explore.decode_grid(model, extent, GRID)
        fig = plots.manifold_figure(grid, extent, codes if dots else None, data.labels, data.label_names,
                                    title=f"{'AE' if model is view.ae else 'VAE'}: {model.card.name}")
        col.plotly_chart(fig, key=f"manifold_{model.card.kind}",
                         config=chart_config(f"decode-anywhere-{model.card.name}"))


def plane_extent(codes: np.ndarray) -> tuple[float, float, float, float]:
    """A square around the 1st-99th percentile of the codes, with a margin."""
    lo, hi = np.percentile(codes, [1, 99], axis=0)
    centre, half = (lo + hi) / 2, (hi - lo).max() / 2 * 1.15
    return (centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half)
