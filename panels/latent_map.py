"""The latent map: the AE's plane and the VAE's side by side, with one z to drag across both.

Each plane shows its model's test codes by label and the prior's 1 and 2 sigma circles; the
point is decoded live by each decoder in the browser (live/js/map.js)."""

import numpy as np
import streamlit as st

from live import component as live
from page.state import session
from page.view import View


def busiest_dims(card) -> tuple[int, int]:
    """The plane a VAE is shown in: (0, 1) at D=2, else its two dimensions with the most KL over the test
    split (a collapsed one would be a line)."""
    if card.latent_dim == 2:
        return 0, 1
    kl = card.metrics.get("kl_per_dim_nats", range(card.latent_dim))
    return tuple(int(d) for d in np.argsort(kl)[::-1][:2])


def latent_map_ui(view: View) -> None:
    dims = (0, 1)
    if view.dim > 2:  # by default the VAE's two busiest dimensions
        busiest = busiest_dims(view.vm.card)
        c1, c2, _ = st.columns([1, 1, 3])
        dims = tuple(
            session.keep(key, col.selectbox(label, range(view.dim), min(session.kept(key, int(default)), view.dim - 1),
                                    format_func=lambda d: f"z{d}", key=key))
            for col, label, key, default in ((c1, "x axis", "map_x", busiest[0]), (c2, "y axis", "map_y", busiest[1])))
        if dims[0] == dims[1]:
            st.warning("Choose two different dimensions.", icon=":material/warning:")
            return
    others = "" if view.dim == 2 else " Other dimensions: the AE's z and the VAE's mu, as for the points."
    st.caption("Dots: test codes by label. Dashed: the prior N(0, I) at 1 and 2 sigma, where samples come from. "
               "Each plane's point starts at its model's code for this input (the VAE's: mu as the sliders have "
               "it; a released mu slider of a plotted dimension moves it along that axis); drag it and that model "
               "decodes it. "
               "Drag each into the circles: what does each decoder make there?" + others)
    live.map_ui(view, dims)
