"""The page: what a plain autoencoder and a variational autoencoder make of the same input.

app.py runs main() on every rerun. The page is an outline: the sidebar picks models and input, the
explorer fragment holds the sliders, images and readouts, and below them one panel from panels/ at
a time. Numbers come from vae.explore, figures from vae.plots.
"""

import functools
import os
import time

import numpy as np
import streamlit as st
import torch

import vae
from live import component as live
from live import drawing, link
from page.inputs import current_input, gallery_ui, input_ui
from page.models import encoding, load_model, model_problem, shipped_cards, test_split, vaes_like, your_models
from page.presenter import STEPS, choose_pair, nav_ui, presenter_ui
from page.state import Drawing, session
from page.text import plain
from page.view import Encoded, View
from panels.board import board_ui
from panels.conversion import conversion_ui
from panels.formula import formula_ui
from panels.interpolation import interpolation_ui
from panels.ladder import ladder_ui
from panels.latent_map import latent_map_ui
from panels.log_sigma import log_sigma_ui
from panels.manifold import manifold_ui
from panels.prior import prior_ui
from panels.stochastic import stochastic_ui
from panels.training import trained_label, training_ui
from panels.traversals import traversals_ui

PANELS = {  # title -> panel; only the chosen one is drawn on a rerun
    "Deterministic vs stochastic": stochastic_ui,
    "Latent map": latent_map_ui,
    "Prior samples": prior_ui,
    "Interpolation": interpolation_ui,
    "Traversals": traversals_ui,
    "Beta ladder": ladder_ui,
    "Decode anywhere": manifold_ui,
    "The formula": formula_ui,
    "Why log sigma": log_sigma_ui,
    "AE → VAE conversion": conversion_ui,
    "Train your own": training_ui,
    "Class board": lambda view: board_ui(view, pair_slug(view.ae.card)),  # a room for the pair as a link names it
}
SIDEBAR_PX = 264  # narrower than Streamlit's 300: on a 1024-px projector the four pictures still get 160 px each
# The explorer's page: little padding, so the pictures, the KL and the first sliders make the first
# screen of a 1280x720 projector (the header is a transparent strip at the top; its status widget
# floats over the padding).
STYLE = """<style>
[data-testid="stMainBlockContainer"] {padding: 2.75rem 1.5rem 4rem}
/* with the sidebar collapsed, the header strip (3.75rem) is opaque: it holds the button that opens the sidebar */
.stApp:has([data-testid="stExpandSidebarButton"]) [data-testid="stMainBlockContainer"] {padding-top: 3.75rem}
.st-key-page_title h3 {padding: 0 0 .25rem; font-size: 1.6rem}
</style>"""
TIMINGS = os.environ.get("EXPLORER_TIMINGS")  # a file: one line per explorer run, "name ms", for benchmarks


def timed(fn):
    """Appends each call's server time to TIMINGS, when it is set; otherwise returns fn as it is."""
    if not TIMINGS:
        return fn

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            with open(TIMINGS, "a") as f:
                f.write(f"{fn.__name__} {(time.perf_counter() - start) * 1000:.2f}\n")

    return wrapper


# ---- sidebar: which models, which input -------------------------------------------------------------


DATASET_ORDER = ("mnist", "digits", "sprites")  # the pair selector's order; the first pair is the default
DEFAULT_PAIR = "mnist, D=8"  # readable reconstructions, and prior samples where the VAE's advantage shows


def twin_vae(ae_card) -> str:
    """The name of the beta-1 VAE trained alike with an AE (the first of its ladder)."""
    return vaes_like(ae_card)[0].name


def model_pairs() -> dict[str, object]:
    """'mnist, D=8' -> the AE's card, for every shipped AE with a beta-1 VAE trained alike, the
    default first; then your pairs (--models), labelled as yours."""
    cards = shipped_cards()
    names = {c.name for c in cards}
    shipped = {f"{c.dataset}, D={c.latent_dim}": c for c in cards if c.kind == "ae"
               and vae.TrainConfig(dataset=c.dataset, kind="vae", latent_dim=c.latent_dim).model_name in names}
    def rank(label: str) -> tuple:
        card = shipped[label]
        dataset = DATASET_ORDER.index(card.dataset) if card.dataset in DATASET_ORDER else len(DATASET_ORDER)
        return label != DEFAULT_PAIR, dataset, card.latent_dim

    order = sorted(shipped, key=rank)
    return {label: shipped[label] for label in order} | {pair.label: pair.ae.card for pair in your_models()[1]}


def variant_label(card) -> str:
    if card.training.get("init_from"):
        return f"beta {card.beta:g}, from the AE"  # short: the sidebar's 264 px show it whole
    if "converted_from" in card.training:
        return f"beta {card.beta:g}, AE not retrained"
    return f"beta {card.beta:g}" + (" (the AE's twin)" if card.beta == 1 else "")


def pair_slug(card) -> str:
    """A pair's name in links: mnist-z8, or yours-NAME for a pair of yours (its AE's name)."""
    return f"yours-{card.name}" if card.name in your_models()[0] else f"{card.dataset}-z{card.latent_dim}"


def read_link_choices() -> list[str]:
    """On a session's first run, the link's choices become the widgets' starting values.
    Returns notices for whatever in it could not be used."""
    if session.link_read:
        return []
    pairs = model_pairs()
    good, bad = link.read_choices(
        st.query_params.to_dict(),
        pairs={pair_slug(card): label for label, card in pairs.items()}, default_pair=next(iter(pairs), None),
        variants_of=lambda label: [c.name for c in vaes_like(pairs[label])],
        test_size_of=lambda label: len(test_split(pairs[label])),
        panels=list(PANELS), steps=len(STEPS),
        is_drawing=lambda label, text: drawing.pixels(text, pairs[label]) is not None,
    )
    for key, value in good.items():
        if key == "draw":
            session.chosen = Drawing(value)
        elif key == "board":
            session.board_room = value
        else:
            setattr(session, key, value)
    # only a link that names a panel other than the first opens scrolled to it (older links name every panel)
    first = next(iter(PANELS))
    session.scroll_to_panel = good.get("panel", first) != first and not good.get("presenter")
    session.link_read = "choices"
    return bad


def read_link_code(mu0: np.ndarray, sigma0: np.ndarray) -> list[str]:
    """Once the encoder has spoken, the link's mu_d and sigma_d replace its values."""
    if session.link_read != "choices":
        return []
    session.link_read = "done"
    bounds = {}
    for d in range(len(mu0)):
        bounds[f"mu_{d}"] = live.slider_bounds(mu0[d], *live.MU_RANGE)
        bounds[f"sigma_{d}"] = live.slider_bounds(sigma0[d], *live.SIGMA_RANGE)
    good, bad = link.read_code(st.query_params.to_dict(), bounds)
    for key, value in good.items():
        session.set_code_value(key, value)
    return bad


def write_link(view: View) -> None:
    """Puts the view into the page's URL (what it cannot carry, link.note says)."""
    if is_trained(view.vm):
        st.query_params.clear()
        return
    choices = {"pair": pair_slug(view.ae.card), "vae": view.vm.card.name, "seed": view.seed}
    if session.presenter:
        choices |= {"presenter": True, "step": session.step}
    elif session.panel != next(iter(PANELS)):  # a link names a panel other than the first
        choices["panel"] = session.panel
        if session.panel == "Class board" and session.board_room:
            choices["board"] = session.board_room  # whoever opens the link sees the same room
    choices["index"] = session.index
    # sent on every run, even when st.query_params already holds it: a commit sent while an earlier
    # rerun was on its way carries the older URL, so the server's copy can differ from the browser's
    st.query_params.from_dict(link.write(choices, view.input, view.mu, view.sigma, view.mu0, view.sigma0))


def is_trained(model) -> bool:
    """Whether model was trained in this session (Train your own): no link can carry it."""
    return session.trained is not None and model in session.trained.values()


def pair_ui():
    """The AE and VAE to explore. A model whose file is broken is marked unavailable and the first
    usable pair is chosen instead; the others keep working."""
    pairs = model_pairs()
    yours = your_models()[2]
    if yours:  # named one by one; the shipped pairs and your good ones still work
        st.sidebar.warning("Not every model in --models can be used:\n\n" + "\n".join(f"- {plain(p)}" for p in yours),
                           icon=":material/folder_off:")
    problem = functools.cache(model_problem)  # once per model and run: the selectors ask for each option
    problems = {label: problem(card.name) or problem(twin_vae(card)) for label, card in pairs.items()}
    trained = session.trained
    labels = list(pairs) + ([trained_label(trained)] if trained else [])
    if not labels:
        st.error("No AE and beta-1 VAE of the same size are shipped: rebuild them with `python -m vae rebuild`.",
                 icon=":material/error:")
        st.stop()
    if session.show_trained:
        session.show_trained = False
        session.pair = labels[-1]
    if session.pair not in labels:
        session.pair = next((label for label in labels if not problems.get(label)), labels[0])
    label = st.sidebar.selectbox("Model pair", labels, key="pair",
                                 format_func=lambda label: label + (" (unavailable)" if problems.get(label) else ""),
                                 help="An AE and a VAE with the same trunk, decoder, data, seed and training budget.")
    if trained and label == trained_label(trained):
        st.sidebar.caption("Trained in this session: the 'Train your own' panel.")
        return trained["ae"], trained["vae"]
    ae_card = pairs[label]
    variants = {c.name: c for c in vaes_like(ae_card)}
    if session.vae not in variants:
        session.vae = next(iter(variants))
    vae_name = st.sidebar.selectbox(
        "VAE", list(variants), key="vae",
        format_func=lambda n: variant_label(variants[n]) + (" (unavailable)" if problem(n) else ""),
        help="The beta ladder: VAEs of this size trained with different beta. The AE's twin (beta 1) was trained "
             "exactly like the AE; 'from the AE' started from the AE's trained weights, converted to a VAE, then "
             "retrained.")
    try:
        return load_model(ae_card.name), load_model(vae_name)
    except vae.CheckpointError as e:
        st.error(f"This model cannot be used: {e}. The other models still work: choose one in the sidebar.",
                 icon=":material/error:")
        st.stop()


# ---- the explorer: everything a slider move or a stroke on the pad changes reruns here, and only here ------


def encoded_input(ae, vm) -> Encoded:
    """The input the session shows and what both encoders make of it (kept per model and input). A new
    model or input moves the sliders to the encoder's output."""
    chosen, x, caption, _ = current_input(vm.card)
    session.input_caption = caption
    mu0, sigma0 = encoding(vm, x, chosen.name)
    live.start_state(f"{vm.card.name}/{chosen.name}")
    return Encoded(x, caption, chosen, ae, vm, encoding(ae, x, chosen.name)[0], mu0, sigma0)


def notice_ui(notices: list[str], enc: Encoded) -> None:
    notices = notices + read_link_code(enc.mu0, enc.sigma0)
    if notices:
        st.warning("Parts of this link could not be used: " + "; ".join(notices) + ". The page shows its own "
                   "choices in their place.", icon=":material/link_off:")


@st.fragment
@timed
def explorer(ae, vm, notices: list[str]) -> None:
    # the sliders, pictures, readouts and the pad's drawing live in the browser (live/component.py); a commit
    # of the code or of a drawing reruns this
    enc = encoded_input(ae, vm)
    notice_ui(notices, enc)
    view = live.make_view(enc, *live.settled_code(enc.mu0, enc.sigma0))
    note = link.note(view.input, trained=is_trained(vm), index=session.index)
    live.live_ui(view, link_note=note)
    if session.panel is None:  # before the link, so the first run's link has it
        session.panel = next(iter(PANELS))
    write_link(view)
    st.caption("Sliders start at the encoder's output; Reset goes back there. The pictures and the KL follow "
               "every move, and so do the K decodings (Deterministic vs stochastic) where they redraw within a "
               "frame; other panels follow when you let go. Copy link gives this whole view"
               + (f" ({note})." if note else "."))
    live.anchor_ui(scroll=session.scroll_to_panel)  # a link that names its panel opens there
    session.scroll_to_panel = False
    name = st.segmented_control("Panel", list(PANELS), key="panel", required=True, label_visibility="collapsed")
    try:  # only the chosen panel is drawn, so a commit pays for one panel, not eleven
        PANELS[name](view)
    except vae.VaeError as e:  # e.g. a model file that went missing after start
        st.error(f"This panel cannot be drawn: {e}", icon=":material/error:")


# ---- the page ------------------------------------------------------------------------------------------


def header_ui() -> None:
    """The explorer's header: one small title and the lesson in two lines, so the first screen of a
    projector holds the pictures, the KL and the sliders."""
    st.html(STYLE)
    with st.container(key="page_title"):
        st.markdown("### Autoencoder vs variational autoencoder\n"
                    "Same trunk, decoder and data; the VAE makes **two changes**. Structure: heads g and h give "
                    "**mu** and **log sigma**, and z = mu + sigma ⊙ eps with eps ~ N(0, I). Objective: the loss "
                    "adds **KL(q(z|x) ‖ N(0, I))**. Move the sliders and watch both.")


def main() -> None:
    # per run: each session's script runs in a thread of its own, and torch's thread count is the thread's
    torch.set_num_threads(1)  # one request's tiny models gain nothing from threads; a class shares 2 cores
    st.set_page_config(page_title="AE vs VAE: latent explorer", page_icon="🧭", layout="wide",
                       initial_sidebar_state=SIDEBAR_PX)
    try:
        notices = read_link_choices()
        choose_pair({label: card.latent_dim for label, card in model_pairs().items()})
        ae, vm = pair_ui()
    except vae.CheckpointError as e:  # the manifest itself is missing or damaged
        st.error(f"The shipped models cannot be listed: {e}", icon=":material/error:")
        st.stop()
    if session.presenter:
        nav_ui()
    else:
        header_ui()
    st.sidebar.toggle("Presenter mode", key="presenter",
                      help="For a projector: the lesson as five steps, one screen each, in large type. "
                           "→ or PageDown: next step; ← or PageUp: back. 'Leave' returns here.")
    input_ui(vm.card)
    if session.presenter:
        presenter(ae, vm, notices)
    else:
        gallery_ui(vm.card)
        explorer(ae, vm, notices)


@st.fragment
@timed
def presenter(ae, vm, notices: list[str]) -> None:
    enc = encoded_input(ae, vm)
    notice_ui(notices, enc)
    write_link(presenter_ui(enc))
