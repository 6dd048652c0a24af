"""Presenter mode: the seed's argument as five steps, one screen each, on the live models.

AE -> add heads g and h -> sample z = mu + sigma * eps -> add the KL term -> what the prior buys.
Large type and images for a projector; only the controls each step needs.
"""

import numpy as np
import streamlit as st

from vae import explore, plots

from . import live
from .prior import prior_ui
from .shared import Encoded, View

BIG_PX = 320
STYLE = """<style>
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li {font-size: 1.35rem; line-height: 1.55}
[data-testid="stMain"] [data-testid="stMetricValue"],
[data-testid="stMain"] [data-testid="stMetricValue"] * {font-size: 3.2rem !important; line-height: 1.2}
[data-testid="stMain"] [data-testid="stMetricLabel"] p {font-size: 1.1rem}
[data-testid="stMain"] [data-testid="stImageCaption"] p {font-size: 1.1rem}
[data-testid="stMain"] .readouts {font-size: 1.35rem}
</style>"""


def step_autoencoder(view: View) -> None:
    st.markdown("x → trunk → y → **z = f(y)** → decoder → x̂. One input gives one code, the same every time: "
                "the AE is deterministic.")
    cols = st.columns(3)
    cols[0].image(plots.to_pixels(view.x, BIG_PX), caption=f"x: {view.caption}")
    cols[1].image(plots.to_pixels(explore.decode(view.ae, view.ae_z), BIG_PX), caption="x̂: the AE's reconstruction")
    cols[2].markdown("**z = f(y)**\n\n" + "\n".join(f"- z{d} = {v:+.2f}" for d, v in enumerate(view.ae_z)))


def step_heads(view: View) -> None:
    st.markdown("The first change, **structure**: replace f by two heads, **mu = g(y)** and **log sigma = h(y)**. "
                "Each dimension d becomes a Gaussian N(mu_d, sigma_d²). The network outputs log sigma, so "
                "sigma = exp(h) is always positive.")
    cols = st.columns(3)
    cols[0].image(plots.to_pixels(view.x, BIG_PX), caption=f"x: {view.caption}")
    cols[1].image(plots.to_pixels(explore.decode(view.vm, view.mu0), BIG_PX), caption="decoding mu alone")
    cols[2].markdown("**the encoder says**\n\n" + "\n".join(
        f"- z{d}: mu = {m:+.2f}, sigma = {s:.2f}" for d, (m, s) in enumerate(zip(view.mu0, view.sigma0))))


def step_sample(view: View) -> None:
    st.markdown("Then **z = mu + sigma ⊙ eps**, eps ~ N(0, I): a new z every time the same x goes in. "
                "Move a sigma slider: the same eps is scaled. Resample: a new eps.")
    cols = st.columns([3, 2])
    with cols[0]:
        live.live_ui(view, pictures=("input", "vae_z"), readouts=False, fold=True, large=True, key="live_step")
    with cols[1]:
        images = explore.decode(view.vm, view.sampled_z(16))
        st.image(plots.image_grid(images, cols=4, size=96), caption="16 more draws of z for the same input "
                 "and the same mu and sigma", width="stretch")


def step_kl(view: View) -> None:
    st.markdown("The second change, **objective**: L_VAE = L_AE + KL(q(z|x) ‖ N(0, I)), with "
                "KL = ½ Σ_d (mu_d² + sigma_d² − 2 log sigma_d − 1). It is 0 only when every mu_d = 0 and "
                "sigma_d = 1. Move the sliders and watch it.")
    live.live_ui(view, pictures=("input", "vae_z"), fold=True, large=True, key="live_step")


STEPS = {
    "An autoencoder": step_autoencoder,
    "Add heads g and h": step_heads,
    "Sample z": step_sample,
    "Add the KL term": step_kl,
    "What the prior buys": prior_ui,
}
LIVE_STEPS = {"Sample z", "Add the KL term"}  # the steps with sliders


def go_to(step: int) -> None:
    st.session_state.step = int(np.clip(step, 1, len(STEPS)))


def presenter_ui(enc: Encoded) -> View:
    """Draws the current step and returns the view it showed."""
    st.html(STYLE)
    step = int(np.clip(st.session_state.get("step", 1), 1, len(STEPS)))
    title = list(STEPS)[step - 1]
    with st.container(horizontal=True, vertical_alignment="center"):
        st.button("Back", key="step_back", on_click=go_to, args=(step - 1,), disabled=step == 1,
                  icon=":material/arrow_back:")
        st.subheader(f"Step {step} of {len(STEPS)}: {title}")
        st.button("Next", key="step_next", on_click=go_to, args=(step + 1,), disabled=step == len(STEPS),
                  icon=":material/arrow_forward:")
    mu, sigma = live.settled_code(enc.mu0, enc.sigma0) if title in LIVE_STEPS else (enc.mu0, enc.sigma0)
    view = live.make_view(enc, mu, sigma)
    STEPS[title](view)
    return view
