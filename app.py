"""Latent explorer: what a plain autoencoder and a variational autoencoder make of the same input.

Run with `streamlit run app.py`. The page is an outline: the sidebar picks models and input, the
explorer fragment holds the sliders, images and readouts, and each tab below it is a panel from
panels/. Numbers come from vae.explore, figures from vae.plots.
"""

import functools
import hashlib
import os
import time
from urllib.parse import urlencode

import numpy as np
import streamlit as st
import torch

import vae
from panels import link
from panels.interpolation import interpolation_ui
from panels.ladder import collapsed_mask, ladder_ui, vaes_like
from panels.latent_map import latent_map_ui
from panels.manifold import manifold_ui
from panels.prior import prior_ui
from panels.shared import IMAGE_PX, View, load_model, test_split
from panels.stochastic import stochastic_ui
from panels.traversals import traversals_ui
from vae import explore, plots

torch.set_num_threads(1)  # one request's tiny models gain nothing from threads; a class shares 2 cores

MU_RANGE = (-4.0, 4.0)  # about 4 prior standard deviations either side
SIGMA_RANGE = (0.01, 3.0)
MU_STEP, SIGMA_STEP = 0.05, 0.01
UPLOAD_TYPES = ["png", "jpg", "jpeg", "bmp", "gif", "webp"]
PANELS = {  # tab title -> panel; only the open tab is drawn on a rerun
    "Deterministic vs stochastic": stochastic_ui,
    "Latent map": latent_map_ui,
    "Prior samples": prior_ui,
    "Interpolation": interpolation_ui,
    "Traversals": traversals_ui,
    "Beta ladder": ladder_ui,
    "Decode anywhere": manifold_ui,
}
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


def model_pairs() -> dict[str, object]:
    """'digits, D=8' -> the AE's card, for every AE with a beta-1 VAE trained alike."""
    cards = vae.list_pretrained()
    names = {c.name for c in cards}
    return {f"{c.dataset}, D={c.latent_dim}": c for c in cards
            if c.kind == "ae" and f"{c.dataset}-vae-z{c.latent_dim}" in names}


def variant_label(card) -> str:
    if "converted_from" in card.training or card.training.get("init_from"):
        return f"beta {card.beta:g}: the AE converted, then retrained"
    return f"beta {card.beta:g}" + (" (trained alike with the AE)" if card.beta == 1 else "")


def pair_slug(card) -> str:
    """A pair's name in links: digits-z8."""
    return f"{card.dataset}-z{card.latent_dim}"


def read_link_choices() -> list[str]:
    """On a session's first run, the link's choices become the widgets' starting values.
    Returns notices for whatever in it could not be used."""
    if "link_read" in st.session_state:
        return []
    pairs = model_pairs()
    good, bad = link.read_choices(
        st.query_params.to_dict(),
        pairs={pair_slug(card): label for label, card in pairs.items()},
        variants_of=lambda label: [c.name for c in vaes_like(pairs[label].dataset, pairs[label].latent_dim)],
        test_size_of=lambda label: len(test_split(pairs[label].dataset)),
        panels=list(PANELS), steps=1,
    )
    st.session_state.update(good)
    st.session_state.link_read = "choices"
    return bad


def read_link_code(mu0: np.ndarray, sigma0: np.ndarray) -> list[str]:
    """Once the encoder has spoken, the link's mu_d and sigma_d replace its values."""
    if st.session_state.get("link_read") != "choices":
        return []
    st.session_state.link_read = "done"
    bounds = {}
    for d in range(len(mu0)):
        bounds[f"mu_{d}"] = slider_bounds(mu0[d], *MU_RANGE)
        bounds[f"sigma_{d}"] = slider_bounds(sigma0[d], *SIGMA_RANGE)
    good, bad = link.read_code(st.query_params.to_dict(), bounds)
    st.session_state.update(good)
    return bad


def write_link(view: View) -> str:
    """Puts the view into the page's URL and returns the full link to it."""
    choices = {"pair": pair_slug(view.vm.card), "vae": view.vm.card.name, "seed": view.seed,
               "panel": st.session_state.get("panel")}
    if not st.session_state.get("upload"):
        choices["index"] = st.session_state.get("index", 0)
    params = link.canonical(choices, view.mu, view.sigma, view.mu0, view.sigma0)
    if params != st.query_params.to_dict():
        st.query_params.from_dict(params)
    base = (st.context.url or "").split("?")[0]
    return f"{base.rstrip('/')}/?{urlencode(params)}"


def pair_ui():
    pairs = model_pairs()
    label = st.sidebar.selectbox("Model pair", list(pairs), key="pair",
                                 help="An AE and a VAE with the same trunk, decoder, data, seed and training budget.")
    ae_card = pairs[label]
    variants = {c.name: c for c in vaes_like(ae_card.dataset, ae_card.latent_dim)}
    if st.session_state.get("vae") not in variants:
        st.session_state.vae = next(iter(variants))
    vae_name = st.sidebar.selectbox("VAE", list(variants), key="vae", format_func=lambda n: variant_label(variants[n]),
                                    help="The beta ladder: VAEs of this size trained with different beta.")
    ae_name = ae_card.name
    try:
        return load_model(ae_name), load_model(vae_name)
    except vae.CheckpointError as e:
        st.error(f"This model pair cannot be used: {e}. Choose another pair.")
        st.stop()


def pick_random(n: int) -> None:
    st.session_state.index = int(np.random.default_rng().integers(n))


def input_ui(card) -> tuple[np.ndarray, str, str]:
    """The input image (C, H, W), a caption, and an id that changes when the input does."""
    data = test_split(card.dataset)
    st.sidebar.subheader("Input")
    if st.session_state.get("index", 0) >= len(data):
        st.session_state.index = 0
    index = st.sidebar.number_input("Test image #", 0, len(data) - 1, key="index", step=1)
    st.sidebar.button("Random test image", key="random", on_click=pick_random, args=(len(data),),
                      icon=":material/casino:")
    label = data.label_names[data.labels[index]]
    image, caption, input_id = data.images[index].numpy(), f"test #{index} ({label})", f"{card.dataset}:{index}"

    upload = st.sidebar.file_uploader("…or upload an image", type=UPLOAD_TYPES, key="upload",
                                      help="Converted like the dataset: grayscale, light ink on dark, resized.")
    if upload is not None:
        data_bytes = upload.getvalue()
        try:
            image = vae.image_from_bytes(data_bytes, card)[0].numpy()
            caption = f"upload: {upload.name}"
            input_id = "upload:" + hashlib.sha256(data_bytes).hexdigest()[:16]
        except vae.InputError as e:
            st.sidebar.error(f"{upload.name}: {e} Showing {caption} instead.")
    return image, caption, input_id


@st.cache_data(show_spinner=False)
def gallery_images(dataset: str, count: int = 32) -> tuple[list[np.ndarray], list[str]]:
    data = test_split(dataset)
    shown = range(min(count, len(data)))
    return ([plots.to_pixels(data.images[i].numpy(), 64) for i in shown],
            [f"#{i} ({data.label_names[data.labels[i]]})" for i in shown])


def gallery_ui(card) -> None:
    with st.expander("Gallery of test images (type a number into 'Test image #' to use one)"):
        images, captions = gallery_images(card.dataset)
        st.image(images, caption=captions, width=64)


# ---- VAE state: sliders start at the encoder's output for this input --------------------------------


def slider_bounds(value: float, lo: float, hi: float) -> tuple[float, float]:
    """The prior's range, widened to hold any value the encoder produced."""
    return min(lo, float(value)), max(hi, float(value))


def reset_sliders(mu0: np.ndarray, sigma0: np.ndarray) -> None:
    for d, (m, s) in enumerate(zip(mu0, sigma0)):
        st.session_state[f"mu_{d}"] = float(m)
        st.session_state[f"sigma_{d}"] = float(s)


def resample() -> None:
    st.session_state.seed = st.session_state.get("seed", 0) + 1


def start_state(encoding_id: str, mu0: np.ndarray, sigma0: np.ndarray) -> None:
    """On a new model or input, the sliders move to what the encoder says about it."""
    st.session_state.setdefault("seed", 0)
    if st.session_state.get("encoded_for") != encoding_id:
        reset_sliders(mu0, sigma0)
        st.session_state.encoded_for = encoding_id


def vae_sliders(mu0: np.ndarray, sigma0: np.ndarray, card) -> tuple[np.ndarray, np.ndarray]:
    """One mu and one sigma slider per dimension; collapsed dimensions (inactive units) say so."""
    mu, sigma = [], []
    active = collapsed_mask(card.name)
    average_kl = card.metrics["kl_per_dim_nats"]
    for d in range(len(mu0)):
        if not active[d]:
            st.caption(f"z{d} is collapsed: average KL {average_kl[d]:.3f} nats; the decoder ignores it.")
        c1, c2 = st.columns(2)
        for col, name, values, (lo, hi), step, out in (
            (c1, "mu", mu0, MU_RANGE, MU_STEP, mu),
            (c2, "sigma", sigma0, SIGMA_RANGE, SIGMA_STEP, sigma),
        ):
            key = f"{name}_{d}"
            lo, hi = slider_bounds(values[d], lo, hi)
            st.session_state[key] = float(np.clip(st.session_state.get(key, values[d]), lo, hi))
            out.append(col.slider(key, lo, hi, step=step, key=key, format="%.2f"))
    return np.array(mu), np.array(sigma)


# ---- the explorer: everything a slider move changes reruns here, and only here -----------------------


@st.fragment
@timed
def explorer(x: np.ndarray, caption: str, ae, vm, mu0: np.ndarray, sigma0: np.ndarray) -> None:
    images_slot = st.container()  # filled below, once the sliders have given mu and sigma
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("VAE code: mu and sigma per dimension")
        with st.container(horizontal=True, vertical_alignment="center"):
            st.button("Resample eps", key="resample", on_click=resample, icon=":material/casino:")
            st.button("Reset", key="reset", on_click=reset_sliders, args=(mu0, sigma0), icon=":material/undo:")
            share = st.popover("Copy link", icon=":material/link:")
            st.caption(f"eps seed **{st.session_state.seed}**. Sliders start at the encoder's output; "
                       "Reset returns them there.")
        mu, sigma = vae_sliders(mu0, sigma0, vm.card)

    seed = st.session_state.seed
    eps = explore.eps_for(seed, len(mu))
    view = View(x, caption, ae, vm, explore.encode(ae, x)[0], mu0, sigma0, mu, sigma, seed, eps,
                explore.z_from(mu, sigma, eps))
    with share:
        st.caption("This link opens exactly this view: pair, VAE, input, every slider, eps seed and panel."
                   + (" An uploaded image cannot travel in a link; it opens on the test image instead."
                      if st.session_state.get("upload") else ""))
        st.code(write_link(view), language=None, wrap_lines=True)
    with images_slot:
        images_ui(view)
    with right:
        readouts_ui(view)
        code_table_ui(view)

    for tab, panel in zip(st.tabs(list(PANELS), key="panel", on_change="rerun"), PANELS.values()):
        if tab.open:
            with tab:
                panel(view)


def images_ui(view: View) -> None:
    vae_z, vae_mu = explore.decode(view.vm, np.stack([view.z, view.mu]))
    shown = (
        (view.x, f"Input: {view.caption}"),
        (explore.decode(view.ae, view.ae_z), "AE: decode f(y)"),
        (vae_z, "VAE: decode z = mu + sigma·eps"),
        (vae_mu, "VAE: decode mu alone"),
    )
    for col, (image, title) in zip(st.columns(4), shown):
        col.image(plots.to_pixels(image, IMAGE_PX), caption=title, width=IMAGE_PX, output_format="PNG")


def readouts_ui(view: View) -> None:
    kl = view.kl
    total = float(kl.sum())
    rec_ae = explore.reconstruction_nats(view.ae, view.x, view.ae_z)
    rec_vae = explore.reconstruction_nats(view.vm, view.x, view.z)
    st.metric(f"KL (nats, summed over {len(kl)} dims)", f"{total:.3f}",
              help="½ Σ_d (mu_d² + sigma_d² − 2 log sigma_d − 1) for this input: how far q(z|x) is from N(0, I).")
    c1, c2 = st.columns(2)
    c1.metric("AE reconstruction (nats)", f"{rec_ae:.2f}", help="BCE summed over pixels, this input.")
    c2.metric("VAE reconstruction (nats)", f"{rec_vae:.2f}", help="BCE summed over pixels, decoding the current z.")
    beta = view.vm.card.beta
    times = "" if beta == 1 else rf"{beta:g}\times"
    st.latex(
        rf"L_{{VAE}} = \underbrace{{{rec_vae:.2f}}}_{{L_{{AE}}(x,\hat x)}} + {times}"
        rf"\underbrace{{{total:.2f}}}_{{KL(q\,\|\,p)}} = {rec_vae + beta * total:.2f}\ \text{{nats}}"
    )
    st.plotly_chart(plots.kl_bar_figure(kl), key="kl_bars", config={"displayModeBar": False})


def code_table_ui(view: View) -> None:
    columns = {"AE z = f(y)": view.ae_z, "mu": view.mu, "sigma": view.sigma, "eps": view.eps,
               "z = mu + sigma·eps": view.z, "KL (nats)": view.kl}
    st.dataframe(
        {"dim": [f"z{d}" for d in range(view.dim)], **columns}, hide_index=True, width="stretch",
        column_config={k: st.column_config.NumberColumn(format="%.3f") for k in columns},
    )


# ---- the page ------------------------------------------------------------------------------------------


def main() -> None:
    st.set_page_config(page_title="AE vs VAE: latent explorer", page_icon=":material/scatter_plot:", layout="wide")
    st.title("Autoencoder vs variational autoencoder")
    st.markdown(
        "Same trunk, same decoder, same data. The VAE makes **two changes**: heads g and h give "
        "**mu** and **log sigma**, and z = mu + sigma ⊙ eps with eps ~ N(0, I); and the loss adds "
        "**KL(q(z|x) ‖ N(0, I))**. Move the sliders and watch both."
    )
    notices = read_link_choices()
    ae, vm = pair_ui()
    x, caption, input_id = input_ui(vm.card)
    mu0, sigma0 = explore.encode(vm, x)
    start_state(f"{vm.card.name}/{input_id}", mu0, sigma0)
    notices += read_link_code(mu0, sigma0)
    if notices:
        st.warning("Parts of this link could not be used and fell back to defaults: " + "; ".join(notices) + ".",
                   icon=":material/link_off:")
    gallery_ui(vm.card)
    explorer(x, caption, ae, vm, mu0, sigma0)


main()
