"""Presenter mode: the seed's argument as five steps, one projector screen (1280×720) each, on the live models.

AE -> add heads g and h -> sample z = mu + sigma * eps -> add the KL term -> what the prior buys.
Large type and images for the back of a room; no sidebar and no page title; only the controls each
step needs. A presentation clicker's keys (PageDown/PageUp) and the arrow keys move between steps
(presenter.js). A step that teaches on a particular latent size (STEP_LATENT_DIM) switches to a pair
of that size, says so, and gives the teacher's pair back when it is left.
"""

from pathlib import Path

import numpy as np
import streamlit as st

from live import component as live
from page.state import session
from page.text import plain, signed
from page.view import Encoded, View
from panels.prior import collapsed, prior_ui
from vae import explore, plots

BIG_PX = 320
HERE = Path(__file__).parent
KEYS = st.components.v2.component("presenter_keys", js=(HERE / "presenter.js").read_text())
# The page in presenter mode: no sidebar or header (a "Leave" button on the page is the way out),
# little padding, and type for the back of a room (body text >= 20 px).
STYLE = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stHeader"] {display: none}
[data-testid="stMain"]::before {box-shadow: none !important}  /* the main area's focus ring: a frame round every step */
[data-testid="stElementToolbar"] {display: none}  /* a picture's hover buttons, over the words beside it */
[data-testid="stMainBlockContainer"] {padding: 1rem 2rem 1rem; max-width: none}
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li {font-size: 1.35rem; line-height: 1.5}
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li {margin: 0}
[data-testid="stMain"] [data-testid="stMetricValue"],
[data-testid="stMain"] [data-testid="stMetricValue"] * {font-size: 2.6rem !important; line-height: 1.15}
[data-testid="stMain"] [data-testid="stMetricLabel"] p,
[data-testid="stMain"] [data-testid="stImageCaption"] p,
[data-testid="stMain"] [data-testid="stImageCaption"],
[data-testid="stMain"] [data-testid="stCaptionContainer"],
[data-testid="stMain"] [data-testid="stCaptionContainer"] p {font-size: 1.25rem; line-height: 1.4}
[data-testid="stMain"] [data-testid="stCaptionContainer"],
[data-testid="stMain"] [data-testid="stImageCaption"] {opacity: .85}
[data-testid="stMain"] [data-testid="stButton"] button p {font-size: 1.25rem}
[data-testid="stMain"] .st-key-presenter_nav h3 {font-size: 1.9rem; padding: 0}
.st-key-presenter_prior [data-testid="stImage"] img {max-height: 42vh; width: auto !important; max-width: 100%}
</style>"""


def step_autoencoder(view: View) -> None:
    st.markdown("x → trunk → y → **z = f(y)** → decoder → x̂. One input gives one code, the same every time: "
                "the AE is deterministic.")
    cols = st.columns(3)
    cols[0].image(plots.to_pixels(view.x, BIG_PX), caption=f"x: {plain(view.caption)}")
    cols[1].image(plots.to_pixels(explore.decode(view.ae, view.ae_z), BIG_PX), caption="x̂: the AE's reconstruction")
    cols[2].markdown("**z = f(y)**\n\n" + "\n".join(f"- z{d} = {signed(v, '+.2f')}" for d, v in enumerate(view.ae_z)))


def step_heads(view: View) -> None:
    st.markdown("The first change, **structure**: f becomes two heads, **mu = g(y)** and **log sigma = h(y)**. "
                "Each dimension d of z is now a Gaussian N(mu_d, sigma_d²); sigma = exp(h(y)) is always positive. "
                "Draw a digit: the encoder reads it as you draw.")
    pad, explorer = st.columns([1, 3])
    with pad:
        live.draw_ui(view.vm.card, key="draw_step")
    with explorer:
        live.live_ui(view, pictures=("input", "vae_mu"), readouts=False, fold=True, large=True, key="live_step")


def step_sample(view: View) -> None:
    st.markdown("Then **z = mu + sigma ⊙ eps** with eps ~ N(0, I): a new z each time the same x goes in. "
                "A sigma slider scales the same eps; Resample eps draws a new one.")
    cols = st.columns([2, 1])
    with cols[0]:
        live.live_ui(view, pictures=("input", "vae_z"), readouts=False, fold=True, large=True, key="live_step")
    with cols[1]:
        live.samples_ui(view, 16, "16 more draws of z for the same x: same mu, same sigma, new eps", 16, cols=4,
                        tile=96, ae_row=False, large=True, key="samples_step")


def step_kl(view: View) -> None:
    st.markdown("The second change, **objective**: L_VAE = L_AE(x, x̂) + KL, the AE's loss on the VAE's own x̂ "
                "plus KL = ½ Σ_d (mu_d² + sigma_d² − 2 log sigma_d − 1), 0 only at mu_d = 0, sigma_d = 1. "
                "Move the sliders.")
    live.live_ui(view, pictures=("input", "vae_z"), fold=True, large=True, key="live_step")


def step_prior(view: View) -> None:
    pair = f"{view.vm.card.dataset}, D={view.dim}"
    kept = session.pair_kept
    shows = (f", but its VAE, {view.vm.card.name}, has collapsed in every dimension: its samples are one picture"
             if collapsed(view.vm) else ", where the difference the KL term makes to sampling shows")
    st.markdown(f"This step uses **{pair}**{shows}."
                + (f" Your **{plain(kept[0])}** returns on the other steps." if kept and kept[0] else ""))
    with st.container(key="presenter_prior"):
        prior_ui(view, large=True)


STEPS = {
    "An autoencoder": step_autoencoder,
    "Add heads g and h": step_heads,
    "Sample z": step_sample,
    "Add the KL term": step_kl,
    "What the prior buys": step_prior,
}
LIVE_STEPS = {"Add heads g and h", "Sample z", "Add the KL term"}  # the steps with sliders
STEP_LATENT_DIM = {"What the prior buys": 8}  # at D=2 the AE's prior samples look as good as the VAE's


def current_step() -> int:
    return int(np.clip(session.step, 1, len(STEPS)))


def go_to(step: int) -> None:
    session.step = int(np.clip(step, 1, len(STEPS)))


def _on_key() -> None:
    move = session.sent("presenter_keys")["step"]
    if move in (-1, 1):
        go_to(current_step() + move)


def leave() -> None:
    session.presenter = False


def choose_pair(pairs: dict[str, int]) -> None:
    """Before the sidebar is drawn: on a step in STEP_LATENT_DIM, switches to the first pair of that
    latent size (pairs: label -> D, in the sidebar's order) unless the chosen pair has it already, and
    keeps the pair and VAE it replaced; anywhere else, gives them back."""
    step = list(STEPS)[current_step() - 1] if session.presenter else None
    dim = STEP_LATENT_DIM.get(step)
    wanted = next((label for label, d in pairs.items() if d == dim), None)
    kept = session.pair_kept
    if wanted and pairs.get(session.pair) != dim:
        if kept is None:
            session.pair_kept = (session.pair, session.vae)
        session.pair = wanted
    elif not wanted and kept is not None:
        session.pair_kept = None
        session.pair, session.vae = kept


def nav_ui() -> None:
    """The page's style and the step bar: Back, the step's title, Next, Leave; and the clicker's keys.
    Drawn outside the step's fragment, so a step change reruns the whole page (a step may change the pair)."""
    st.html(STYLE)
    step = current_step()
    with st.container(horizontal=True, vertical_alignment="center", key="presenter_nav"):
        st.button("Back", key="step_back", on_click=go_to, args=(step - 1,), disabled=step == 1,
                  icon=":material/arrow_back:")
        st.subheader(f"Step {step} of {len(STEPS)}: {list(STEPS)[step - 1]}")
        st.button("Next", key="step_next", on_click=go_to, args=(step + 1,), disabled=step == len(STEPS),
                  icon=":material/arrow_forward:")
        st.button("Leave", key="presenter_leave", on_click=leave, icon=":material/close:",
                  help="Back to the explorer, with the sidebar")
        KEYS(key="presenter_keys", data={"mode": "keys", "step": step, "steps": len(STEPS)}, on_step_change=_on_key,
             width="content")


def presenter_ui(enc: Encoded) -> View:
    """Draws the current step and returns the view it showed."""
    title = list(STEPS)[current_step() - 1]
    mu, sigma = live.settled_code(enc.mu0, enc.sigma0) if title in LIVE_STEPS else (enc.mu0, enc.sigma0)
    view = live.make_view(enc, mu, sigma)
    STEPS[title](view)
    return view
