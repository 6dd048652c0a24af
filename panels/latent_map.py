"""The latent map: the test split's codes for the AE and the VAE side by side."""

import functools

import numpy as np
import streamlit as st

from vae import explore, plots

from .shared import View, keep, kept, split_codes, test_split
from .stochastic import samples_count

MAP_POINTS = 1000  # at most this many test codes per map, for a quick redraw


def latent_map_ui(view: View) -> None:
    ae, vm = view.ae, view.vm
    dims = (0, 1)
    if view.dim > 2:
        c1, c2, _ = st.columns([1, 1, 3])
        dims = tuple(
            keep(key, col.selectbox(label, range(view.dim), min(kept(key, default), view.dim - 1),
                                    format_func=lambda d: f"z{d}", key=key))
            for col, label, key, default in ((c1, "x axis", "map_x", 0), (c2, "y axis", "map_y", 1)))
    data = test_split(vm.card.dataset)
    shown = np.arange(len(data))[:: max(1, len(data) // MAP_POINTS)]
    ae_codes, _ = split_codes(ae)
    vae_mu, _ = split_codes(vm)
    st.caption("Circles: the prior N(0, I) at 1 and 2 sigma. Star: the current code. "
               f"Rings: {samples_count()} sampled z. Click a point to decode it with both decoders.")
    c1, c2 = st.columns(2)
    for col, codes, current, cloud, name, key in (
        (c1, ae_codes, view.ae_z, None, f"AE: z = f(y) ({ae.card.name})", "map_ae"),
        (c2, vae_mu, view.z, view.sampled_z(samples_count()), f"VAE: mu ({vm.card.name})", "map_vae"),
    ):
        fig = plots.latent_map_figure(codes[shown], data.labels[shown], data.label_names, dims,
                                      ids=shown, current=current, cloud=cloud, title=name)
        col.plotly_chart(fig, key=key, on_select=functools.partial(remember_pick, key, vm.card.dataset),
                         selection_mode="points", config={"displaylogo": False})
    dataset, index = st.session_state.get("picked", (None, None))
    if dataset == vm.card.dataset and 0 <= index < len(data):
        decoded_point_ui(index, data, view, ae_codes, vae_mu)


def remember_pick(key: str, dataset: str) -> None:
    """Keeps the clicked example across slider moves (a moved star redraws the map and clears
    Plotly's own selection)."""
    points = [p for p in st.session_state[key].selection.points if "customdata" in p]
    if points:
        st.session_state.picked = (dataset, int(points[0]["customdata"]))


def decoded_point_ui(i: int, data, view: View, ae_codes, vae_mu) -> None:
    st.markdown(f"**Clicked: test #{i} ({data.label_names[data.labels[i]]})**")
    cols = st.columns(3)
    cols[0].image(plots.to_pixels(data.images[i].numpy(), 128), caption=f"test #{i}")
    cols[1].image(plots.to_pixels(explore.decode(view.ae, ae_codes[i]), 128), caption="AE decoder")
    cols[2].image(plots.to_pixels(explore.decode(view.vm, vae_mu[i]), 128), caption="VAE decoder (mu)")
