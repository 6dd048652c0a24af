"""Interpolation between the codes of two inputs, beside the blend of their pixels."""

import numpy as np
import streamlit as st

from page.models import test_split
from page.state import session
from page.text import plain
from page.view import View
from vae import explore, plots

END_PX = 112  # the two ends, beside the rows


def interpolation_ui(view: View) -> None:
    data = test_split(view.vm.card)
    c1, c2 = st.columns(2)
    start = session.index  # the sidebar's test image, which the input is unless uploaded
    default = session.kept("interp_to", default_target(data.labels, start))
    other = session.keep("interp_to", c1.number_input("…to test image #", 0, len(data) - 1, min(default, len(data) - 1),
                                              key="interp_to"))
    steps = session.keep("interp_steps", c2.slider("Steps", 3, 15, session.kept("interp_steps", 9), key="interp_steps"))
    x1 = data.images[other].numpy()
    target = f"test #{other} ({data.label_names[data.labels[other]]})"
    st.caption(f"From the current input, {plain(view.caption)}, to {target}: each row starts at the one and ends at "
               "the other. z₀ and z₁ are each model's encodings of the two images (the AE's z, the VAE's mu; the "
               "sliders do not move them). Straight line: (1 − t) z₀ + t z₁. Spherical (slerp): it turns from z₀ to "
               "z₁ instead of cutting across, so between two codes of one length it keeps that length where the "
               "line passes nearer 0; N(0, I)'s samples lie near length √D, which is why VAEs use it (the AE's "
               "codes follow no prior). The first target is the next test image with another label.")
    left, rows_col, right = st.columns([1, 5, 1], vertical_alignment="center")
    left.image(plots.to_pixels(view.x, END_PX), caption=f"start: {plain(view.caption)}", width="stretch")
    right.image(plots.to_pixels(x1, END_PX), caption=f"end: {target}", width="stretch")
    for title, images in interpolation_rows(view, x1, steps).items():  # filling the column, so the ends stand beside
        rows_col.image(plots.image_grid(images, cols=steps, size=112), caption=title, width="stretch")


def default_target(labels: np.ndarray, start: int) -> int:
    """The first test image after start (wrapping round) whose label differs from start's: a real
    interpolation between two kinds, where the very next image may be the same digit."""
    n = len(labels)
    return next((j % n for j in range(start + 1, start + n) if labels[j % n] != labels[start % n]), (start + 1) % n)


def interpolation_rows(view: View, x1: np.ndarray, steps: int) -> dict[str, np.ndarray]:
    """Title -> (steps, C, H, W) images: pixels blended, then each model's decoded paths."""
    t = np.linspace(0, 1, steps)[:, None, None, None]
    rows = {"pixels: (1 − t) x₀ + t x₁": (1 - t) * view.x[None] + t * x1[None]}
    for name, model, z0 in (("AE z", view.ae, view.ae_z), ("VAE mu", view.vm, view.mu0)):
        z1 = explore.encode(model, x1)[0]
        for kind, spherical in (("straight", False), ("spherical", True)):
            codes = explore.interpolation_codes(z0, z1, steps, spherical)
            rows[f"{name}, {kind}"] = explore.decode(model, codes)
    return rows
