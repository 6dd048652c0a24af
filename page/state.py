"""Widget memory for panels: Streamlit forgets a widget's state while its panel is not drawn."""

import streamlit as st


def kept(key: str, default):
    """A panel widget's last value. Streamlit forgets a widget's state while its panel is not
    drawn, so each panel widget starts from the value kept here."""
    return st.session_state.get(f"kept_{key}", default)


def keep(key: str, value):
    st.session_state[f"kept_{key}"] = value
    return value

