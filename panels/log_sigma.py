"""The seed's side note, demonstrated: why the network outputs log sigma, not sigma."""

import numpy as np
import streamlit as st

from vae import lessons, plots

from .shared import View, markdown_table


def log_sigma_ui(view: View) -> None:
    st.markdown(
        "The KL term needs log sigma. If the network output **sigma**, the gradient of the KL with respect to "
        "that output is sigma − 1/sigma: it explodes as sigma → 0, and an output that reaches 0 (or, being "
        "linear, goes negative) makes log sigma infinite or undefined. If it outputs **log sigma**, the "
        "gradient is sigma² − 1, never steeper than −1, and every real output is a valid sigma."
    )
    sigma, grad_sigma, grad_log = lessons.gradient_curves()
    st.plotly_chart(plots.side_note_figure(sigma, grad_sigma, grad_log), key="log_sigma_plot",
                    config={"displayModeBar": False})
    rows = lessons.side_note_table()
    # as text, so that inf and NaN show as themselves (in float32, 1e-50 is already 0)
    st.markdown(markdown_table({k: [f"{r[k]:.4g}" for r in rows] for k in rows[0]}))
    smallest = float(np.min(view.sigma0))
    st.caption(
        f"Computed by autograd in float32, mu = 0. Here, this VAE's encoder gives sigma as small as "
        f"{smallest:.3g} for the current input: a sigma output would feed the optimiser a KL gradient of "
        f"{smallest - 1 / smallest:.3g}; the log sigma output feeds it {smallest**2 - 1:.3g}."
    )
