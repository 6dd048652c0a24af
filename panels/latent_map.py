"""The latent map: the AE's plane and the VAE's side by side, with one z to drag across both.

Each plane shows its model's test codes by label and the prior's 1 and 2 sigma circles; the
point is decoded live by each decoder in the browser (panels/live.js)."""

import streamlit as st

from . import live
from .shared import View, keep, kept


def latent_map_ui(view: View) -> None:
    dims = (0, 1)
    if view.dim > 2:
        c1, c2, _ = st.columns([1, 1, 3])
        dims = tuple(
            keep(key, col.selectbox(label, range(view.dim), min(kept(key, default), view.dim - 1),
                                    format_func=lambda d: f"z{d}", key=key))
            for col, label, key, default in ((c1, "x axis", "map_x", 0), (c2, "y axis", "map_y", 1)))
        if dims[0] == dims[1]:
            st.warning("Choose two different dimensions.", icon=":material/warning:")
            return
    others = "" if view.dim == 2 else (" The other dimensions stay at the AE's z and the VAE's mu for this input.")
    st.caption("Dots: each model's test codes, coloured by label. Dashed: the prior N(0, I) at 1 and 2 sigma, where "
               "a VAE's samples come from. Drag the point on either plane: the same z goes to both decoders. "
               "Where do the prior's circles fall on each plane?" + others)
    live.pad_ui(view, dims)
