"""The beta ladder: the VAEs of one size trained with different beta, and the AE, compared."""

import numpy as np
import streamlit as st

from page.models import active_units_of, vaes_like
from page.text import markdown_table
from page.view import View
from panels import chart_config
from vae import explore, plots


def ladder_ui(view: View) -> None:
    card = view.vm.card
    ladder = sorted(vaes_like(card), key=lambda c: (c.beta, c.name))  # bottom to top of the ladder
    if card.name not in {c.name for c in ladder}:  # a pair trained on this page: its VAE is its ladder
        ladder = [card]
    labels = [beta_label(c) for c in ladder]
    ae_rec = view.ae.card.metrics["reconstruction_nats"]
    points = [{"name": c.name, "label": f"beta {label}", "kl": c.metrics["kl_nats"],
               "reconstruction": c.metrics["reconstruction_nats"]} for c, label in zip(ladder, labels)]
    choose = ("Choose the VAE in the sidebar ('VAE'); the whole page follows it. " if len(ladder) > 1 else
              f"This pair has one VAE (beta {labels[0]}), so its ladder has one rung. ")
    st.caption(f"{choose}Figures: test split, nats per example, as `python -m vae evaluate` gives them. The AE "
               f"({view.ae.card.name}) reconstructs at {ae_rec:.2f} nats with no KL term at all: its codes may carry "
               "any amount of information.")
    st.plotly_chart(plots.rate_distortion_figure(points, current=card.name, reference=ae_rec), key="ladder_rd",
                    config=chart_config("beta-ladder-rate-distortion"))
    st.markdown(markdown_table(
        {"beta": labels, "KL": [c.metrics["kl_nats"] for c in ladder],
         "reconstruction": [c.metrics["reconstruction_nats"] for c in ladder],
         "-ELBO": [c.metrics["neg_elbo_nats"] for c in ladder],
         "active units": [f"{c.metrics['active_units']}/{c.latent_dim}" for c in ladder]}, decimals=2))
    if len(ladder) > 1:
        st.caption("The VAEs: " + "; ".join(f"beta {label} is {c.name}" for c, label in zip(ladder, labels))
                   + f". The starred point is the one in the sidebar, {card.name}.")
    kl = np.asarray(card.metrics["kl_per_dim_nats"])
    active = active_units_of(view.vm)
    order = np.argsort(-kl)
    st.plotly_chart(plots.kl_bar_figure(kl[order], collapsed=~active[order], labels=[f"z{d}" for d in order],
                                        title=f"{card.name}: average KL per dimension, sorted (grey: collapsed)"),
                    key="ladder_kl", config=chart_config(f"{card.name}-kl-per-dimension"))
    if not active.any():
        collapse_ui(view)


def beta_label(card) -> str:
    """A ladder VAE by its beta: 1, 0.1, 4; "1, from the AE" for the one retrained from the AE's weights."""
    return f"{card.beta:g}" + (", from the AE" if card.training.get("init_from") else "")


def collapse_ui(view: View) -> None:
    """A model whose every dimension collapsed, with the figures that prove it."""
    spread = explore.prior_decodings(view.vm, 64, seed=0).std(axis=0).max()
    st.warning(
        f"**Every dimension of {view.vm.card.name} has collapsed.** Its average KL is "
        f"{view.vm.card.metrics['kl_nats']:.4f} nats: q(z|x) is the prior for every input, so z says nothing "
        f"about x. The decoder has learned to ignore z: 64 different z ~ N(0, I) decode to images whose "
        f"largest per-pixel standard deviation is {spread:.4f}. It draws the average image whatever the input. "
        "This is what too large a beta buys: the KL price of any information is higher than what it saves "
        "in reconstruction.",
        icon=":material/info:",
    )
