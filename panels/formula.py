"""The formula made concrete: L_VAE = L_AE + 1/2 sum_d (mu^2 + sigma^2 - 2 log sigma - 1), with
this input's numbers in every term. Hover a term to see its value."""

import html

import numpy as np
import streamlit as st

from page.text import loss_vae_line, signed, two_places
from page.view import View
from panels import chart_config
from vae import plots


def formula_ui(view: View) -> None:
    mu, sigma = view.mu, view.sigma
    terms = {"mu²": mu**2, "sigma²": sigma**2, "−2 log sigma": -2 * np.log(sigma), "−1": -np.ones_like(mu)}
    rec = view.reconstruction_vae
    kl = float(view.kl.sum())
    beta = view.vm.card.beta
    times = "" if beta == 1 else f"{beta:g} × "
    sums = {name: float(v.sum()) for name, v in terms.items()}

    def term(text: str, value: float, what: str) -> str:
        tip = html.escape(f"{what} = {signed(value, '.4f')}", quote=True)
        return f'<span class="term" title="{tip}">{text}</span>'

    st.html(
        "<style>.formula{font-size:1.6rem;line-height:2.6rem}.term{border-bottom:2px dotted #d62728;"
        "cursor:help;padding:0 .15rem}.formula small{color:#666;font-size:1rem}</style>"
        '<div class="formula">L<sub>VAE</sub> = '
        + term("L<sub>AE</sub>(x, x̂)", rec, "the VAE's reconstruction: BCE summed over pixels, nats")
        + f" + {times}½ Σ<sub>d</sub> ( "
        + term("mu<sub>d</sub>²", sums["mu²"], "Σ_d mu_d²") + " + "
        + term("sigma<sub>d</sub>²", sums["sigma²"], "Σ_d sigma_d²") + " − "
        + term("2 log sigma<sub>d</sub>", -sums["−2 log sigma"], "Σ_d 2 log sigma_d") + " − "
        + term("1", view.dim, f"Σ_d 1 = D = {view.dim}") + " )<br>"
        + f"= {two_places(rec)} + {times}½ ({sums['mu²']:.2f} + {sums['sigma²']:.2f} − "
        + f"({signed(-sums['−2 log sigma'], '.2f')}) − {view.dim}) = <b>{loss_vae_line(rec, beta, kl)}</b>"
        + "<br><small>L<sub>AE</sub>(x, x̂) is the AE's loss taken on the VAE's x̂, decoded from this z (the "
        + "AE's own reconstruction of x is another number). Hover a term for its value. Nats, this input, KL "
        + f"summed over the {view.dim} dimensions.</small></div>"
    )
    st.plotly_chart(plots.kl_terms_figure(terms, view.kl), key="formula_terms", config=chart_config("kl-terms"))
    st.caption("Per dimension: the four terms inside the bracket (hover a bar for its value) and their half-sum, "
               "KL_d (the black diamond). mu² pulls mu to 0; sigma² − 2 log sigma − 1 is 0 only at sigma = 1.")
