"""Sampling from the prior: the same z ~ N(0, I) decoded by the AE and by the VAE."""

import streamlit as st

from vae import explore, plots
from vae.judge import JUDGED_DATASETS, recognisable

from .shared import View, test_split

BATCH = 48


def new_batch() -> None:
    st.session_state.prior_seed = st.session_state.get("prior_seed", 0) + 1


def prior_ui(view: View) -> None:
    seed = st.session_state.get("prior_seed", 0)
    with st.container(horizontal=True, vertical_alignment="center"):
        st.button("New batch", key="prior_new", on_click=new_batch, icon=":material/casino:")
        st.caption(f"{BATCH} draws of z ~ N(0, I), seed {seed}; the same draws go to both decoders.")
    judged = view.vm.card.dataset in JUDGED_DATASETS
    cols = st.columns(2)
    for col, model, name in ((cols[0], view.ae, "AE"), (cols[1], view.vm, "VAE")):
        images = explore.prior_decodings(model, BATCH, seed)
        with col:
            st.markdown(f"**{name}** ({model.card.name})")
            st.image(plots.image_grid(images, cols=8, size=56), width="stretch")
            if judged:
                r = recognisable(images)
                st.metric(f"{name}: recognisable samples", f"{r['confident_share']:.0%}",
                          help="Share of samples a digit classifier (softmax regression on the training "
                               "digits, 96% test accuracy) labels with probability ≥ 0.9.")
                st.caption(f"{r['digits_covered']} of 10 digits among the confident ones")
    if judged:
        real = recognisable(test_split("digits").images.numpy())
        st.caption(f"For scale: real test digits score {real['confident_share']:.0%} on the same measure. "
                   "The AE was never asked to make N(0, I) meaningful, so its decoder meets codes it has "
                   "never seen; the KL term is what makes the VAE's prior a place to sample from.")
