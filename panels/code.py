"""The VAE's code on the page: mu and sigma sliders that start at the encoder's output, eps from a
seed, and the images and readouts they drive. Used by the explorer and by presenter mode."""

from dataclasses import fields

import numpy as np
import streamlit as st

from vae import explore, plots

from .shared import IMAGE_PX, Encoded, View, active_units_of, markdown_table

MU_RANGE = (-4.0, 4.0)  # about 4 prior standard deviations either side
SIGMA_RANGE = (0.01, 3.0)
MU_STEP, SIGMA_STEP = 0.05, 0.01


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


def vae_sliders(mu0: np.ndarray, sigma0: np.ndarray, vm, only_active: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """One mu and one sigma slider per dimension; collapsed dimensions (inactive units) say so, or,
    with only_active, keep the encoder's values and show no slider."""
    active = active_units_of(vm)
    average_kl = vm.card.metrics["kl_per_dim_nats"]
    collapsed = ", ".join(f"z{d}" for d in np.flatnonzero(~active))
    if collapsed:
        st.caption(f"Collapsed: {collapsed} (average KL ≈ 0 nats; the decoder ignores them)"
                   + (", so their sliders are not shown." if only_active else "."))
    shown = [d for d in range(len(mu0)) if active[d] or not only_active]
    mu, sigma = np.array(mu0, dtype=float), np.array(sigma0, dtype=float)
    # one column of mu sliders beside one of sigma sliders: few page blocks, so a move redraws quickly
    for col, name, values, out, (lo, hi), step in zip(
        st.columns(2), ("mu", "sigma"), (mu0, sigma0), (mu, sigma), (MU_RANGE, SIGMA_RANGE), (MU_STEP, SIGMA_STEP)
    ):
        for d in shown:
            key = f"{name}_{d}"
            low, high = slider_bounds(values[d], lo, hi)
            st.session_state[key] = float(np.clip(st.session_state.get(key, values[d]), low, high))
            note = None if active[d] else f"z{d} is collapsed: average KL {average_kl[d]:.3f} nats."
            out[d] = col.slider(key, low, high, step=step, key=key, format="%.2f", help=note)
    return mu, sigma


def make_view(enc: Encoded, mu: np.ndarray, sigma: np.ndarray) -> View:
    seed = st.session_state.seed
    eps = explore.eps_for(seed, len(mu))
    encoded = {f.name: getattr(enc, f.name) for f in fields(Encoded)}
    return View(**encoded, mu=mu, sigma=sigma, seed=seed, eps=eps, z=explore.z_from(mu, sigma, eps))


def code_buttons(mu0: np.ndarray, sigma0: np.ndarray) -> None:
    st.button("Resample eps", key="resample", on_click=resample, icon=":material/casino:")
    st.button("Reset", key="reset", on_click=reset_sliders, args=(mu0, sigma0), icon=":material/undo:")


def images_ui(view: View) -> None:
    vae_z, vae_mu = explore.decode(view.vm, np.stack([view.z, view.mu]))
    shown = (
        (view.x, f"Input: {view.caption}"),
        (explore.decode(view.ae, view.ae_z), "AE: decode f(y)"),
        (vae_z, "VAE: decode z = mu + sigma·eps"),
        (vae_mu, "VAE: decode mu alone"),
    )
    framed = [np.pad(plots.to_pixels(image, IMAGE_PX), 8, constant_values=255) for image, _ in shown]  # gaps
    # shown at their own width: any other would make Streamlit resample them on every move
    st.image(framed, caption=[title for _, title in shown], width=framed[0].shape[1], output_format="PNG")


def readouts_ui(view: View) -> None:
    kl = view.kl
    total = float(kl.sum())
    rec_ae, rec_vae = view.reconstruction_ae, view.reconstruction_vae
    st.metric(f"KL (nats, summed over {len(kl)} dims)", f"{total:.3f}",
              help="½ Σ_d (mu_d² + sigma_d² − 2 log sigma_d − 1) for this input: how far q(z|x) is from N(0, I).")
    with st.container(horizontal=True):
        st.metric("AE reconstruction (nats)", f"{rec_ae:.2f}", help="BCE summed over pixels, this input.")
        st.metric("VAE reconstruction (nats)", f"{rec_vae:.2f}", help="BCE summed over pixels, decoding the current z.")
    beta = view.vm.card.beta
    times = "" if beta == 1 else rf"{beta:g}\times"
    st.latex(
        rf"L_{{VAE}} = \underbrace{{{rec_vae:.2f}}}_{{L_{{AE}}(x,\hat x)}} + {times}"
        rf"\underbrace{{{total:.2f}}}_{{KL(q\,\|\,p)}} = {view.loss_vae:.2f}\ \text{{nats}}"
    )
    st.markdown(plots.kl_bars_svg(kl, collapsed=~active_units_of(view.vm)), unsafe_allow_html=True)  # our own SVG


def code_table_ui(view: View) -> None:
    columns = {"AE z = f(y)": view.ae_z, "mu": view.mu, "sigma": view.sigma, "eps": view.eps,
               "z = mu + sigma·eps": view.z, "KL (nats)": view.kl}
    st.markdown(markdown_table({"dim": [f"z{d}" for d in range(view.dim)], **columns}))
