"""Interpolation between the codes of two inputs, beside the blend of their pixels."""

import numpy as np
import streamlit as st

from vae import explore, plots

from .shared import View, keep, kept, test_split


def interpolation_ui(view: View) -> None:
    data = test_split(view.vm.card)
    c1, c2 = st.columns(2)
    other = keep("interp_to", c1.number_input("…to test image #", 0, len(data) - 1,
                                              min(kept("interp_to", 1), len(data) - 1), key="interp_to"))
    steps = keep("interp_steps", c2.slider("Steps", 3, 15, kept("interp_steps", 9), key="interp_steps"))
    x1 = data.images[other].numpy()
    st.caption(f"From the current input to test #{other} ({data.label_names[data.labels[other]]}). "
               "Straight line: (1 − t) z₀ + t z₁. Spherical: along the great circle, which keeps the norm "
               "typical of N(0, I) samples.")
    rows = interpolation_rows(view, x1, steps)
    for title, images in rows.items():
        st.image(plots.image_grid(images, cols=steps, size=56), caption=title)


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
