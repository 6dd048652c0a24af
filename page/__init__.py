"""The page (streamlit): main.py its outline, rerun by Streamlit; state.py the session's state; inputs.py, presenter.py,
models.py, view.py and text.py what it is drawn from."""
