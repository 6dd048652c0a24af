"""Streamlit's own floor: the least page with one slider and one metric, measured beside the explorer
as Streamlit ships it: every key press is a server round trip."""

import streamlit as st

mu = st.slider("mu_0", -4.0, 4.0, -0.78, 0.05, key="mu_0")
st.metric("KL (nats)", f"{0.5 * mu * mu:.3f}")
