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
from live import link
from page.inputs import gallery_ui, input_ui
from page.models import encoding, load_model, model_problem, shipped_cards, test_split, vaes_like, your_models
from page.presenter import STEPS, choose_pair, nav_ui, presenter_ui
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
    if "link_read" in st.session_state:
        return []
    pairs = model_pairs()
    good, bad = link.read_choices(
        st.query_params.to_dict(),
        pairs={pair_slug(card): label for label, card in pairs.items()}, default_pair=next(iter(pairs), None),
        variants_of=lambda label: [c.name for c in vaes_like(pairs[label])],
        test_size_of=lambda label: len(test_split(pairs[label])),
        panels=list(PANELS), steps=len(STEPS),
        is_drawing=lambda label, text: live.drawing_input(text, pairs[label]) is not None,
    )
    st.session_state.update(good)
    # only a link that names a panel other than the first opens scrolled to it (older links name every panel)
    first = next(iter(PANELS))
    st.session_state.scroll_to_panel = good.get("panel", first) != first and not good.get("presenter")
    st.session_state.link_read = "choices"
    return bad


def read_link_code(mu0: np.ndarray, sigma0: np.ndarray) -> list[str]:
    """Once the encoder has spoken, the link's mu_d and sigma_d replace its values."""
    if st.session_state.get("link_read") != "choices":
        return []
    st.session_state.link_read = "done"
    bounds = {}
    for d in range(len(mu0)):
        bounds[f"mu_{d}"] = live.slider_bounds(mu0[d], *live.MU_RANGE)
        bounds[f"sigma_{d}"] = live.slider_bounds(sigma0[d], *live.SIGMA_RANGE)
    good, bad = link.read_code(st.query_params.to_dict(), bounds)
    st.session_state.update(good)
    return bad


def write_link(view: View) -> None:
    """Puts the view into the page's URL (what it cannot carry, live.link_note says)."""
    if view.vm.card.name.startswith("yours-"):
        st.query_params.clear()
        return
    choices = {"pair": pair_slug(view.ae.card), "vae": view.vm.card.name, "seed": view.seed}
    if st.session_state.get("presenter"):
        choices |= {"presenter": True, "step": st.session_state.get("step", 1)}
    else:
        if st.session_state.get("panel") != next(iter(PANELS)):  # a link names a panel other than the first
            choices["panel"] = st.session_state.get("panel")
        if choices.get("panel") == "Class board" and st.session_state.get("board_room"):
            choices["board"] = st.session_state.board_room  # whoever opens the link sees the same room
    choices["index"] = st.session_state.get("index", 0)
    if view.input_id.startswith("drawing:"):  # the input the page shows, not what the sidebar last chose
        choices["draw"] = view.input_id.removeprefix("drawing:")
    if view.input_id.startswith("upload:"):  # the link opens the test image, at its own encoding
        params = link.canonical(choices, view.mu0, view.sigma0, view.mu0, view.sigma0)
    else:
        params = link.canonical(choices, view.mu, view.sigma, view.mu0, view.sigma0)
    # sent on every run, even when st.query_params already holds it: a commit sent while an earlier
    # rerun was on its way carries the older URL, so the server's copy can differ from the browser's
    st.query_params.from_dict(params)


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
    trained = st.session_state.get("trained")
    labels = list(pairs) + ([trained_label(trained)] if trained else [])
    if not labels:
        st.error("No AE and beta-1 VAE of the same size are shipped: rebuild them with `python -m vae rebuild`.",
                 icon=":material/error:")
        st.stop()
    if st.session_state.pop("show_trained", False):
        st.session_state.pair = labels[-1]
    if st.session_state.get("pair") not in labels:
        st.session_state.pair = next((label for label in labels if not problems.get(label)), labels[0])
    label = st.sidebar.selectbox("Model pair", labels, key="pair",
                                 format_func=lambda label: label + (" (unavailable)" if problems.get(label) else ""),
                                 help="An AE and a VAE with the same trunk, decoder, data, seed and training budget.")
    if trained and label == trained_label(trained):
        st.sidebar.caption("Trained in this session: the 'Train your own' panel.")
        return trained["ae"], trained["vae"]
    ae_card = pairs[label]
    variants = {c.name: c for c in vaes_like(ae_card)}
    if st.session_state.get("vae") not in variants:
        st.session_state.vae = next(iter(variants))
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


# ---- the explorer: everything a slider move changes reruns here, and only here -----------------------


@st.fragment
@timed
def explorer(enc: Encoded) -> None:
    # the sliders, pictures and readouts live in the browser (live/component.py); a commit reruns this
    view = live.make_view(enc, *live.settled_code(enc.mu0, enc.sigma0))
    live.live_ui(view)
    st.session_state.setdefault("panel", next(iter(PANELS)))  # before the link, so the first run's link has it
    write_link(view)
    st.caption("Sliders start at the encoder's output; Reset goes back there. The pictures and the KL follow "
               "every move, and so do the K decodings (Deterministic vs stochastic) where they redraw within a "
               "frame; other panels follow when you let go. Copy link gives this whole view"
               + (f" ({note})." if (note := live.link_note(view)) else "."))
    live.anchor_ui(scroll=st.session_state.pop("scroll_to_panel", False))  # a link that names its panel opens there
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
    if st.session_state.get("presenter"):
        nav_ui()
    else:
        header_ui()
    st.sidebar.toggle("Presenter mode", key="presenter",
                      help="For a projector: the lesson as five steps, one screen each, in large type. "
                           "→ or PageDown: next step; ← or PageUp: back. 'Leave' returns here.")
    x, caption, input_id = input_ui(vm.card)
    st.session_state.input_caption = caption
    mu0, sigma0 = encoding(vm, x, input_id)
    live.start_state(f"{vm.card.name}/{input_id}", mu0, sigma0)
    notices += read_link_code(mu0, sigma0)
    if notices:
        st.warning("Parts of this link could not be used: " + "; ".join(notices) + ". The page shows its own "
                   "choices in their place.",
                   icon=":material/link_off:")
    enc = Encoded(x, caption, input_id, ae, vm, encoding(ae, x, input_id)[0], mu0, sigma0)
    if st.session_state.get("presenter"):
        presenter(enc)
    else:
        gallery_ui(vm.card)
        explorer(enc)


@st.fragment
@timed
def presenter(enc: Encoded) -> None:
    if st.session_state.get("source") == "drawing" and enc.input_id != f"drawing:{st.session_state.drawing}":
        st.rerun()  # the encoding step's pad, inside this fragment, drew a new input: the whole page reads it
    write_link(presenter_ui(enc))
