"""Traversals: one latent dimension swept over its own test codes' range, the others held, for both models."""

import numpy as np
import streamlit as st

from page.models import active_units_of, split_codes, test_split
from page.state import session
from page.text import signed
from page.view import View
from vae import explore, plots
from vae.data import sprite_factor_features

QUANTILES = np.linspace(1, 99, 9)  # percent, 1st to 99th: the same 9 quantiles of each dimension's codes, either model
HOLDS = ("the current code", "the median test code")  # what the other dimensions are held at
CURRENT = "the AE's z for this input; the VAE's mu as the sliders have it"


def traversals_ui(view: View) -> None:
    start = HOLDS.index(session.kept("traverse_hold", HOLDS[0]))
    hold = session.keep("traverse_hold", st.radio("Hold the other dimensions at", HOLDS, start, horizontal=True,
                                          key="traverse_hold"))
    st.caption("Each row sets one dimension to 9 values, from the 1st to the 99th percentile of that dimension's "
               f"codes over the test split (the AE's z, the VAE's mu), and holds the others at {hold}"
               + (f" ({CURRENT})" if hold == HOLDS[0] else "") + ". So each "
               "model is swept over the range its own codes use. VAE rows are sorted by the dimension's average "
               "KL on the test split: a collapsed dimension carries no information, its codes barely vary, and it "
               "moves nothing. AE rows are sorted by how wide that range is.")
    cols = st.columns(2)
    for col, model, code in ((cols[0], view.ae, view.ae_z), (cols[1], view.vm, view.mu)):
        codes, _ = split_codes(model)
        base = code if hold == HOLDS[0] else np.median(codes, axis=0)
        with col:
            st.markdown(f"**{'AE' if model is view.ae else 'VAE'}** ({model.card.name})")
            for d, values, label in traversal_rows(model):
                images = explore.decode(model, explore.traversal_codes(base, d, values))
                # drawn large and shrunk to the column, so that every row is as wide, whatever its caption
                st.image(plots.image_grid(images, cols=len(values), size=96), caption=label, width="stretch")


def traversal_rows(model) -> list[tuple[int, np.ndarray, str]]:
    """(dimension, the 9 values it is set to, caption) in display order for one model."""
    codes, _ = split_codes(model)
    sweep = np.percentile(codes, QUANTILES, axis=0)  # (9, D)
    active = active_units_of(model)
    factors = factor_names(model)
    if model.card.kind == "vae":
        kl = np.asarray(model.card.metrics["kl_per_dim_nats"])
        order = np.argsort(-kl)
    else:
        order = np.argsort(-(sweep[-1] - sweep[0]))
    rows = []
    for d in (int(d) for d in order):
        lo, hi = (signed(v, "+.1f") for v in (sweep[0, d], sweep[-1, d]))
        said = [f"z{d}: 1st–99th percentile of the test codes, {lo} … {hi}"]
        if model.card.kind == "vae":
            said.append(f"collapsed: average KL {kl[d]:.2f} nats, moves nothing" if not active[d]
                        else f"average KL {kl[d]:.2f} nats")
        if factors and active[d]:
            said.append(f"its test codes correlate most with {factors[d]}")  # what it encodes, not what a row shows
        rows.append((d, sweep[:, d], "; ".join(said)))
    return rows


def factor_names(model) -> list[str] | None:
    """For sprites, the generating factor each dimension's codes follow most (|correlation| with the factor
    over the test split): what the encoder puts there, which a traversal's row need not show alone."""
    if model.card.dataset != "sprites":
        return None
    mu, _ = split_codes(model)
    features, owners = sprite_factor_features(test_split(model.card).factors)
    alignment = explore.factor_alignment(mu, features)  # (D, K)
    out = []
    for d in range(mu.shape[1]):
        k = int(np.argmax(alignment[d]))
        out.append(f"{owners[k]} (|r| = {alignment[d, k]:.2f} over the test split)")
    return out
