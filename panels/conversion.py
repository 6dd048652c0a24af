"""The seed's remark, demonstrated: a trained AE converted to a VAE must be retrained."""

import streamlit as st

import vae
from page.models import load_model, shipped_cards, test_split
from page.text import SUPERSCRIPT
from page.view import View
from vae import explore, plots

INIT_LOG_SIGMA = -3.0


def converted(ae):
    """The AE turned into a VAE without retraining: g = f, h = log sigma constant."""
    return _converted(ae.card.name, ae)


@st.cache_resource(show_spinner=False)
def _converted(name: str, _ae):  # keyed by name, unique among shipped, your and session models
    return vae.convert_ae_to_vae(_ae, init_log_sigma=INIT_LOG_SIGMA).eval().requires_grad_(False)


def converted_metrics(ae) -> dict:
    return _converted_metrics(ae.card.name, ae)


@st.cache_data(show_spinner=False)
def _converted_metrics(name: str, _ae) -> dict:
    return vae.evaluate(converted(_ae), test_split(_ae.card))


def retrained_name(ae_name: str) -> str | None:
    name = ae_name.replace("-ae-", "-vae-") + "-from-ae"
    return name if any(c.name == name for c in shipped_cards()) else None


def conversion_ui(view: View) -> None:
    ae = view.ae
    retrained = retrained_name(ae.card.name)
    models = {
        "AE": ae,
        f"converted, not retrained (sigma = e{f'{INIT_LOG_SIGMA:g}'.translate(SUPERSCRIPT)})": converted(ae),
    }
    if retrained is not None:
        models["converted, then retrained"] = load_model(retrained)
    metrics = {name: (converted_metrics(ae) if "not retrained" in name else m.card.metrics)
               for name, m in models.items()}
    shared = ("The first two have" if retrained else "The two have") + (
        " the same trunk and decoder weights: conversion copies f into g and sets h to a constant, so nothing has "
        "yet taught the decoder noisy codes or the codes the prior.")
    if retrained:
        after = ("The third started there and was trained on with the VAE's loss, which moved every weight. Figures: "
                 "test split, nats per example.")
    else:
        pairs = " and ".join(f"{c.dataset}, D={c.latent_dim}" for c in shipped_cards() if c.name.endswith("-from-ae"))
        after = "Figures: test split, nats per example. " + (
            f"A converted-and-retrained VAE ships for {pairs}: choose one of those pairs to see what retraining "
            "changes." if pairs else "No converted-and-retrained VAE ships with these models.")
    st.caption(f"{shared} {after}")
    cols = st.columns(3)  # two or three models, at the same width
    for col, (name, model) in zip(cols, models.items()):
        with col:
            st.markdown(f"**{name}**")
            enc = explore.encode(model, view.x)
            z = enc[0] if enc[1] is None else explore.z_from(enc[0], enc[1], view.eps)
            st.image(plots.to_pixels(explore.decode(model, z), 160), caption="this input, decoded")
            st.image(plots.image_grid(explore.prior_decodings(model, 16, view.seed), cols=8, size=40),
                     caption="16 draws of z ~ N(0, I)")
            m = metrics[name]
            st.metric("Test reconstruction (nats per example)", f"{m['reconstruction_nats']:.2f}")
            st.metric("Test mean KL (nats per example)", f"{m['kl_nats']:.2f}" if "kl_nats" in m else "no KL term")
