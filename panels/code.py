"""The VAE's code on the page: mu and sigma sliders that start at the encoder's output, eps from a
seed, and the images and readouts they drive. Used by the explorer and by presenter mode."""

from dataclasses import fields

import numpy as np
import streamlit as st

from vae import explore, plots

from .shared import IMAGE_PX, Encoded, View, active_units_of, html_table

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


def slider_values(mu0: np.ndarray, sigma0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What the mu and sigma sliders hold (the encoder's values until moved), clipped to their ranges;
    known before the sliders are drawn, so the page can be computed first and drawn in one go."""
    mu, sigma = np.array(mu0, dtype=float), np.array(sigma0, dtype=float)
    for name, values, out, (lo, hi) in (("mu", mu0, mu, MU_RANGE), ("sigma", sigma0, sigma, SIGMA_RANGE)):
        for d in range(len(values)):
            key = f"{name}_{d}"
            st.session_state[key] = out[d] = float(np.clip(st.session_state.get(key, values[d]),
                                                           *slider_bounds(values[d], lo, hi)))
    return mu, sigma


def vae_sliders(mu0: np.ndarray, sigma0: np.ndarray, vm, only_active: bool = False) -> None:
    """One mu and one sigma slider per dimension (their values: slider_values); collapsed dimensions
    (inactive units) say so, or, with only_active, keep their values and show no slider."""
    active = active_units_of(vm)
    average_kl = vm.card.metrics["kl_per_dim_nats"]
    collapsed = ", ".join(f"z{d}" for d in np.flatnonzero(~active))
    if collapsed:
        st.caption(f"Collapsed: {collapsed} (average KL ≈ 0 nats; the decoder ignores them)"
                   + (", so their sliders are not shown." if only_active else "."))
    shown = [d for d in range(len(mu0)) if active[d] or not only_active]
    # one column of mu sliders beside one of sigma sliders: few page blocks, so a move redraws quickly
    for col, name, values, (lo, hi), step in zip(
        st.columns(2), ("mu", "sigma"), (mu0, sigma0), (MU_RANGE, SIGMA_RANGE), (MU_STEP, SIGMA_STEP)
    ):
        for d in shown:
            key = f"{name}_{d}"
            note = None if active[d] else f"z{d} is collapsed: average KL {average_kl[d]:.3f} nats."
            col.slider(key, *slider_bounds(values[d], lo, hi), step=step, key=key, format="%.2f", help=note)


def make_view(enc: Encoded, mu: np.ndarray, sigma: np.ndarray) -> View:
    seed = st.session_state.seed
    eps = explore.eps_for(seed, len(mu))
    encoded = {f.name: getattr(enc, f.name) for f in fields(Encoded)}
    return View(**encoded, mu=mu, sigma=sigma, seed=seed, eps=eps, z=explore.z_from(mu, sigma, eps))


def code_buttons(mu0: np.ndarray, sigma0: np.ndarray) -> None:
    st.button("Resample eps", key="resample", on_click=resample, icon=":material/casino:")
    st.button("Reset", key="reset", on_click=reset_sliders, args=(mu0, sigma0), icon=":material/undo:")


def main_images(view: View) -> tuple[list[str], list[str], int]:
    """The input, the AE's reconstruction and the VAE's decodings of z and of mu, as inline PNGs
    (they arrive with the page's update, no request back to the server for each), captions, width."""
    vae_z, vae_mu = explore.decode(view.vm, np.stack([view.z, view.mu]))
    shown = (
        (view.x, f"Input: {view.caption}"),
        (explore.decode(view.ae, view.ae_z), "AE: decode f(y)"),
        (vae_z, "VAE: decode z = mu + sigma·eps"),
        (vae_mu, "VAE: decode mu alone"),
    )
    framed = [np.pad(plots.to_pixels(image, IMAGE_PX), 8, constant_values=255) for image, _ in shown]  # gaps
    return [plots.png_data_uri(f) for f in framed], [title for _, title in shown], framed[0].shape[1]


def images_ui(images: tuple[list[str], list[str], int]) -> None:
    uris, captions, width = images
    st.image(uris, caption=captions, width=width)


def readouts(view: View) -> tuple[str, str, str, str]:
    """The KL metric's label and value, one HTML block with both reconstructions and L_VAE, and the
    KL bars as SVG. Few elements: each one a slider move resends costs the browser a redraw."""
    kl = view.kl
    total = float(kl.sum())
    figures = "".join(
        f'<div title="{note}"><div style="font-size:.875em">{label}</div>'
        f'<div style="font-size:1.75em">{value:.2f}</div></div>'
        for label, value, note in (
            ("AE reconstruction (nats)", view.reconstruction_ae, "BCE summed over pixels, this input."),
            ("VAE reconstruction (nats)", view.reconstruction_vae, "BCE summed over pixels, decoding the current z."),
        ))
    beta = view.vm.card.beta
    times = "" if beta == 1 else f"{beta:g} × "
    loss = (f'L<sub>VAE</sub> = {_term(view.reconstruction_vae, "L<sub>AE</sub>(x, x̂)")} + {times}'
            f'{_term(total, "KL(q ‖ p)")} = <b>{view.loss_vae:.2f} nats</b>')
    html = (f'<div class="readouts"><div style="display:flex;gap:2.5em">{figures}</div>'
            f'<p style="font-size:1.25em;margin:.6em 0">{loss}</p></div>')
    bars = plots.kl_bars_svg(kl, collapsed=~active_units_of(view.vm))
    return f"KL (nats, summed over {len(kl)} dims)", f"{total:.3f}", html, bars


def readouts_ui(shown: tuple[str, str, str, str]) -> None:
    label, value, html, bars = shown
    st.metric(label, value,
              help="½ Σ_d (mu_d² + sigma_d² − 2 log sigma_d − 1) for this input: how far q(z|x) is from N(0, I).")
    st.html(html)
    st.markdown(bars, unsafe_allow_html=True)  # our own SVG; st.html would strip it


def _term(value: float, label: str) -> str:
    """A number with what it is written under it, as an underbrace would."""
    return (f'<span style="display:inline-flex;flex-direction:column;align-items:center;vertical-align:top">'
            f'{value:.2f}<span style="font-size:.6em;border-top:1px solid #888;padding:0 .3em">{label}</span></span>')


def code_table(view: View) -> str:
    columns = {"AE z = f(y)": view.ae_z, "mu": view.mu, "sigma": view.sigma, "eps": view.eps,
               "z = mu + sigma·eps": view.z, "KL (nats)": view.kl}
    return html_table({"dim": [f"z{d}" for d in range(view.dim)], **columns})
