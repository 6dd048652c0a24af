"""Latent explorer: what a plain autoencoder and a variational autoencoder make of the same input.

Run with `streamlit run app.py`. The page composes widgets and calls `vae`; the numbers come
from vae.explore and the figures from vae.plots.
"""

import hashlib

import numpy as np
import streamlit as st
import torch

import vae
from vae import explore, plots

torch.set_num_threads(1)  # one request's tiny models gain nothing from threads; a class shares 2 cores

MU_RANGE = (-4.0, 4.0)  # about 4 prior standard deviations either side
SIGMA_RANGE = (0.01, 3.0)
MU_STEP, SIGMA_STEP = 0.05, 0.01
IMAGE_PX = 256
MAP_POINTS = 1000  # at most this many test codes per latent map, for a quick redraw
UPLOAD_TYPES = ["png", "jpg", "jpeg", "bmp", "gif", "webp"]


# ---- loaders: shared by every session, read-only --------------------------------------------------


@st.cache_resource(show_spinner=False)
def load_model(name: str):
    return vae.load_pretrained(name)


@st.cache_resource(show_spinner=False)
def test_split(dataset: str) -> vae.Dataset:
    return vae.load_dataset(dataset, "test")


@st.cache_data(show_spinner=False)
def split_codes(name: str):
    """(mu, sigma) of the model's test split; sigma is None for an AE."""
    model = load_model(name)
    return explore.split_codes(model, test_split(model.card.dataset).images)


def model_pairs() -> dict[str, tuple[str, str]]:
    """'digits, D=8' -> (AE name, VAE name), for every AE and beta-1 VAE trained alike."""
    names = {c.name for c in vae.list_pretrained()}
    pairs = {}
    for card in vae.list_pretrained():
        twin = f"{card.dataset}-vae-z{card.latent_dim}"
        if card.kind == "ae" and twin in names:
            pairs[f"{card.dataset}, D={card.latent_dim}"] = (card.name, twin)
    return pairs


# ---- sidebar: which models, which input -------------------------------------------------------------


def pair_ui():
    pairs = model_pairs()
    label = st.sidebar.selectbox("Model pair", list(pairs), key="pair",
                                 help="An AE and a VAE with the same trunk, decoder, data, seed and training budget.")
    ae_name, vae_name = pairs[label]
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


def gallery_ui(card) -> None:
    data = test_split(card.dataset)
    with st.expander("Gallery of test images (type a number into 'Test image #' to use one)"):
        shown = np.arange(min(48, len(data)))
        st.image([plots.to_pixels(data.images[i].numpy(), 64) for i in shown],
                 caption=[f"#{i} ({data.label_names[data.labels[i]]})" for i in shown], width=64)


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


def vae_sliders(mu0: np.ndarray, sigma0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu, sigma = [], []
    for d in range(len(mu0)):
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
def explorer(x: np.ndarray, caption: str, ae, vm, mu0: np.ndarray, sigma0: np.ndarray) -> None:
    card = vm.card
    dim = card.latent_dim
    ae_z, _ = explore.encode(ae, x)

    images_slot = st.container()  # filled below, once the sliders have given mu and sigma
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("VAE code: mu and sigma per dimension")
        with st.container(horizontal=True, vertical_alignment="center"):
            st.button("Resample eps", key="resample", on_click=resample, icon=":material/casino:")
            st.button("Reset", key="reset", on_click=reset_sliders, args=(mu0, sigma0), icon=":material/undo:")
            st.caption(f"eps seed **{st.session_state.seed}**. Sliders start at the encoder's output; "
                       "Reset returns them there.")
        mu, sigma = vae_sliders(mu0, sigma0)

    eps = explore.eps_for(st.session_state.seed, dim)
    z = explore.z_from(mu, sigma, eps)
    ae_rec, vae_rec, vae_mu = explore.decode(ae, ae_z), *explore.decode(vm, np.stack([z, mu]))
    kl = explore.kl_nats(mu, sigma)
    rec_ae, rec_vae = explore.reconstruction_nats(ae, x, ae_z), explore.reconstruction_nats(vm, x, z)

    with images_slot:
        images_ui(x, caption, ae_rec, vae_rec, vae_mu)
    with left:
        code_table_ui(ae_z, mu, sigma, eps, z, kl)
    with right:
        readouts_ui(kl, rec_ae, rec_vae, card)

    st.divider()
    cloud = stochastic_ui(ae, vm, ae_z, mu, sigma)
    st.divider()
    latent_map_ui(ae, vm, ae_z, z, cloud)


def images_ui(x, caption, ae_rec, vae_rec, vae_mu) -> None:
    cols = st.columns(4)
    for col, image, title in zip(
        cols, (x, ae_rec, vae_rec, vae_mu),
        (f"Input: {caption}", "AE: decode f(y)", "VAE: decode z = mu + sigma·eps", "VAE: decode mu alone"),
    ):
        col.image(plots.to_pixels(image, IMAGE_PX), caption=title, width="stretch", output_format="PNG")


def readouts_ui(kl: np.ndarray, rec_ae: float, rec_vae: float, card) -> None:
    total = float(kl.sum())
    st.metric(f"KL (nats, summed over {len(kl)} dims)", f"{total:.3f}",
              help="½ Σ_d (mu_d² + sigma_d² − 2 log sigma_d − 1) for this input: how far q(z|x) is from N(0, I).")
    c1, c2 = st.columns(2)
    c1.metric("AE reconstruction (nats)", f"{rec_ae:.2f}", help="BCE summed over pixels, this input.")
    c2.metric("VAE reconstruction (nats)", f"{rec_vae:.2f}", help="BCE summed over pixels, decoding the current z.")
    beta = "" if card.beta == 1 else rf"{card.beta:g}\times"
    st.latex(
        rf"L_{{VAE}} = \underbrace{{{rec_vae:.2f}}}_{{L_{{AE}}(x,\hat x)}} + {beta}"
        rf"\underbrace{{{total:.2f}}}_{{KL(q\,\|\,p)}} = {rec_vae + card.beta * total:.2f}\ \text{{nats}}"
    )
    st.plotly_chart(plots.kl_bar_figure(kl), key="kl_bars", config={"displayModeBar": False})


def code_table_ui(ae_z, mu, sigma, eps, z, kl) -> None:
    st.dataframe(
        {"dim": [f"z{d}" for d in range(len(mu))], "AE z = f(y)": ae_z, "mu": mu, "sigma": sigma,
         "eps": eps, "z = mu + sigma·eps": z, "KL (nats)": kl},
        hide_index=True, width="stretch",
        column_config={k: st.column_config.NumberColumn(format="%.3f") for k in
                       ("AE z = f(y)", "mu", "sigma", "eps", "z = mu + sigma·eps", "KL (nats)")},
    )


def stochastic_ui(ae, vm, ae_z, mu, sigma) -> np.ndarray:
    """Returns the K sampled z, for the latent map."""
    st.subheader("Deterministic vs stochastic: encode the same input K times")
    k = st.slider("K (encodings)", 2, 64, 16, key="k_samples")
    eps = explore.eps_for(st.session_state.seed + 10_000, vm.card.latent_dim, k)
    rows = (
        ("AE", explore.decode(ae, np.repeat(ae_z[None], k, axis=0)), "z = f(y) is the same every time"),
        ("VAE", explore.decode(vm, explore.z_from(mu, sigma, eps)),
         "a new eps each time, with the current mu and sigma"),
    )
    for name, images, note in rows:
        std = images.std(axis=0)
        st.markdown(f"**{name}**: {note}. Largest per-pixel std: **{std.max():.3f}**")
        c1, c2, c3 = st.columns([6, 1, 1])
        c1.image(plots.image_grid(images[:24], cols=8, size=56), caption=f"{k} decodings (first 24)")
        c2.image(plots.to_pixels(images.mean(axis=0), 96), caption="mean", width="stretch")
        c3.image(plots.to_pixels(std * 2, 96), caption="std (white = 0.5)", width="stretch")
    return explore.z_from(mu, sigma, eps)


def latent_map_ui(ae, vm, ae_z, z, cloud) -> None:
    st.subheader("Latent map: the test split's codes, AE beside VAE")
    dim = vm.card.latent_dim
    dims = (0, 1)
    if dim > 2:
        c1, c2, _ = st.columns([1, 1, 3])
        dims = (c1.selectbox("x axis", range(dim), 0, format_func=lambda d: f"z{d}", key="map_x"),
                c2.selectbox("y axis", range(dim), 1, format_func=lambda d: f"z{d}", key="map_y"))
    data = test_split(vm.card.dataset)
    shown = np.arange(len(data))[:: max(1, len(data) // MAP_POINTS)]
    ae_codes, _ = split_codes(ae.card.name)
    vae_mu, _ = split_codes(vm.card.name)
    st.caption("Circles: the prior N(0, I) at 1 and 2 sigma. Star: the current code. "
               "Rings: the K sampled z above. Click a point to decode it with both decoders.")
    c1, c2 = st.columns(2)
    picked = None
    for col, codes, current, rings, name, key in (
        (c1, ae_codes, ae_z, None, f"AE: z = f(y) ({ae.card.name})", "map_ae"),
        (c2, vae_mu, z, cloud, f"VAE: mu ({vm.card.name})", "map_vae"),
    ):
        fig = plots.latent_map_figure(codes[shown], data.labels[shown], data.label_names, dims,
                                      ids=shown, current=current, cloud=rings, title=name)
        event = col.plotly_chart(fig, key=key, on_select="rerun", selection_mode="points")
        points = [p for p in event.selection.points if "customdata" in p]
        if points:
            picked = int(points[0]["customdata"])
    if picked is not None:
        decoded_point_ui(picked, data, ae, vm, ae_codes, vae_mu)


def decoded_point_ui(i, data, ae, vm, ae_codes, vae_mu) -> None:
    st.markdown(f"**Clicked: test #{i} ({data.label_names[data.labels[i]]})**")
    cols = st.columns(6)
    cols[0].image(plots.to_pixels(data.images[i].numpy(), 128), caption=f"test #{i}")
    cols[1].image(plots.to_pixels(explore.decode(ae, ae_codes[i]), 128), caption="AE decoder")
    cols[2].image(plots.to_pixels(explore.decode(vm, vae_mu[i]), 128), caption="VAE decoder (mu)")


# ---- the page ------------------------------------------------------------------------------------------


def main() -> None:
    st.set_page_config(page_title="AE vs VAE: latent explorer", page_icon=":material/scatter_plot:", layout="wide")
    st.title("Autoencoder vs variational autoencoder")
    st.markdown(
        "Same trunk, same decoder, same data. The VAE makes **two changes**: heads g and h give "
        "**mu** and **log sigma**, and z = mu + sigma ⊙ eps with eps ~ N(0, I); and the loss adds "
        "**KL(q(z|x) ‖ N(0, I))**. Move the sliders and watch both."
    )
    ae, vm = pair_ui()
    x, caption, input_id = input_ui(vm.card)
    mu0, sigma0 = explore.encode(vm, x)
    start_state(f"{vm.card.name}/{input_id}", mu0, sigma0)
    gallery_ui(vm.card)
    explorer(x, caption, ae, vm, mu0, sigma0)


main()
