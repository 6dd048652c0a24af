"""Streamlit's own floor: the least page with one slider and one metric, measured beside the explorer.

With FLOOR_NODELAY=1 it also sets TCP_NODELAY on the server's sockets, as the explorer does
(panels/network.py), so the explorer can be compared with a floor served the same way.
"""

import os
import sys
from pathlib import Path

import streamlit as st

if os.environ.get("FLOOR_NODELAY"):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from panels.network import send_without_delay

    send_without_delay()

mu = st.slider("mu_0", -4.0, 4.0, -0.78, 0.05, key="mu_0")
st.metric("KL (nats)", f"{0.5 * mu * mu:.3f}")
