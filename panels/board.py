"""The class board, the teacher's side: a room for the pair on the page, its code, join address and QR
code for the students' phones, and the AE's and the VAE's maps with every drawing the class sends, live
(live/js/board.js, fed by the room's event stream; routes/board/ owns the rooms and the HTTP contract).

The join address must be one the students' devices reach. A teacher who opened the app on this machine
(localhost) has an address no phone can use: the board names this machine's address on the local network
instead, if the server listens there, or VAE_BOARD_URL, the address of a server behind a proxy."""

import functools
import ipaddress
import os
import socket
import subprocess
from urllib.parse import urlsplit

import segno
import streamlit as st

from live import component as live
from page.models import load_model
from page.state import session
from page.view import View
from panels.latent_map import busiest_dims
from routes.board.models import pair_names

BOARD_URL = "VAE_BOARD_URL"  # env: the address students reach this server at, e.g. https://vae.school.example
START = "python3 -m streamlit run app.py --server.address 0.0.0.0"


def board_ui(view: View, pair: str) -> None:
    pairs = pair_names()  # the pairs a room can use: the server's (routes/board/models.py)
    if pair not in pairs:
        st.info("A class board uses a shipped pair (" + ", ".join(pairs) + "): the server encodes every drawing "
                "with the room's models, and outlives this session. Choose one in the sidebar.", icon=":material/info:")
        return
    ae, vm = view.ae, view.vm if view.vm.card.name == pairs[pair][1] else load_model(pairs[pair][1])
    dim = vm.card.latent_dim
    dims = busiest_dims(vm.card)  # the latent map panel's view
    room = session.board_room
    base, note = join_base(st.context.url or "http://localhost:8501", st.get_option("server.address") or "",
                           st.get_option("server.port"), os.environ.get(BOARD_URL, ""))
    join = f"{base}/board/{room}" if room else ""
    qr = qr_svg(join) if join else ""
    which = ("the codes themselves (D=2)" if dim == 2 else
             f"z{dims[0]} and z{dims[1]} of D={dim}, the VAE's two dimensions with the most KL over the test "
             "split (the latent map panel's default view)")
    st.caption(f"Students open the join address (or scan the code) and draw; each drawing lands on both maps, "
               f"encoded by the server with {ae.card.name} and {vm.card.name} (the pair's beta-1 VAE, whichever "
               f"VAE the sidebar shows). The maps show {which}. Click a point for its drawing and both "
               "reconstructions; click between points to decode there with both models.")

    def on_room(code: str) -> None:
        session.board_room = code

    live.board_ui(ae, vm, pair, dims, room, join, note, qr, on_room)


@functools.lru_cache(maxsize=64)
def qr_svg(text: str) -> str:
    """The QR code of text as <svg> markup: made once per join address, not on every rerun of the panel."""
    return segno.make(text, error="m").svg_inline(scale=1, border=2, omitsize=True, dark="#000", light="#fff")


def join_base(page_url: str, listens: str, port: int, configured: str) -> tuple[str, str]:
    """(the address students' devices reach this server at, a sentence when they cannot, or "").
    page_url: the teacher's page; listens: Streamlit's server.address ("": every interface); port: its
    server.port; configured: VAE_BOARD_URL, if set."""
    if configured.strip():
        return configured.strip().rstrip("/"), ""
    page = urlsplit(page_url)
    origin = f"{page.scheme}://{page.netloc}"
    if not is_loopback(page.hostname or "localhost"):
        return origin, ""  # the teacher reached the server by a name others on the network can use too
    listens = listens or "0.0.0.0"  # unset: Streamlit listens on every interface
    if is_loopback(listens):
        return origin, (f"This server listens on this machine only ({listens}), so students' devices cannot reach "
                        f"it. Stop it and start it with {START}, or set {BOARD_URL} to the address of a proxy.")
    address = listens if listens not in ("0.0.0.0", "::") else lan_address()
    if address is None:
        return origin, ("This machine has no address on a local network, so students' devices cannot reach it. "
                        f"Join a network (or open a hotspot) and reload, or set {BOARD_URL}.")
    return f"{page.scheme}://{address}:{page.port or port}", ""


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost" or host.endswith(".localhost")


@st.cache_data(ttl=30, show_spinner=False)  # asked again after a while: a teacher may join a network and reload
def lan_address() -> str | None:
    """This machine's IPv4 address on a local network, found without a packet sent: the addresses
    `hostname -I` lists (Linux), else what this host's name resolves to; the first private one."""
    found = []
    try:
        found = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=2).stdout.split()
    except (OSError, subprocess.SubprocessError):
        pass
    if not found:
        try:
            found = [info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)]
        except OSError:
            pass
    for text in found:
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            continue
        if ip.version == 4 and ip.is_private and not ip.is_loopback and not ip.is_link_local:
            return text
    return None
