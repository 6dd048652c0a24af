"""AE vs VAE, a latent explorer: `python -m streamlit run app.py [-- --models DIR [--data-root DIR]]`.

Streamlit runs this file as the page on every rerun (page/main.py). `streamlit run` first imports it to
find the server it serves: Streamlit's own routes, and the files the page fetches over HTTP and
caches, the browser's code and the models' weights among them (routes/files.py), every file gzipped
once (routes/compress.py), and the class board's routes (routes/board/).
"""

import streamlit as st

if __name__ == "__main__":
    from page.main import main

    main()
else:
    from starlette.middleware import Middleware

    from routes.board.api import Board
    from routes.board.store import open_store
    from routes.compress import Gzip
    from routes.files import Files

    # the first outermost; the board's store is chosen here, as the server starts: a wrong VAE_BOARD stops it
    # with its reason
    app = st.App(__file__, middleware=[Middleware(Gzip), Middleware(Files), Middleware(Board, store=open_store())])
