"""Streamlit's own floor: the least page with one slider and one metric, measured beside the explorer."""

import streamlit as st

mu = st.slider("mu_0", -4.0, 4.0, -0.78, 0.05, key="mu_0")
st.metric("KL (nats)", f"{0.5 * mu * mu:.3f}")
