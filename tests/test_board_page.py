"""The class board's teacher panel on the server side: the join address students' devices can reach (or a
sentence saying why none), the room in the page's link, and what the panel sends the browser."""

import numpy as np
import pytest
from pagetest import APP, mounted
from streamlit.testing.v1 import AppTest

import vae
from panels import board


@pytest.mark.parametrize("page, listens, configured, expected", [
    ("http://localhost:8501/?panel=x", "", "https://vae.school.example/", ("https://vae.school.example", "")),
    ("http://teacher.local:8501/", "", "", ("http://teacher.local:8501", "")),  # a name others reach it by
    ("http://192.168.1.20:8501/", "127.0.0.1", "", ("http://192.168.1.20:8501", "")),
    ("http://10.0.0.5:8501/", "10.0.0.5", "", ("http://10.0.0.5:8501", "")),
])
def test_a_join_address_other_devices_can_use_is_kept_as_it_is(page, listens, configured, expected):
    assert board.join_base(page, listens, 8501, configured) == expected


def test_on_loopback_the_join_address_is_this_machines_lan_address(monkeypatch):
    monkeypatch.setattr(board, "lan_address", lambda: "192.168.1.20")
    for page in ("http://localhost:8501/", "http://127.0.0.1:8501/", "http://[::1]:8501/"):
        assert board.join_base(page, "", 8501, "") == ("http://192.168.1.20:8501", "")
        assert board.join_base(page, "0.0.0.0", 8501, "") == ("http://192.168.1.20:8501", "")
    assert board.join_base("http://localhost:8501/", "192.168.1.7", 8501, "") == ("http://192.168.1.7:8501", "")


def test_a_server_students_cannot_reach_says_so_and_how_to_start_it(monkeypatch):
    base, note = board.join_base("http://127.0.0.1:8501/", "127.0.0.1", 8501, "")
    assert base == "http://127.0.0.1:8501" and "this machine only" in note and board.START in note
    assert board.START == "python3 -m streamlit run app.py --server.address 0.0.0.0"
    monkeypatch.setattr(board, "lan_address", lambda: None)
    base, note = board.join_base("http://localhost:8501/", "", 8501, "")
    assert "no address on a local network" in note and board.BOARD_URL in note


def test_the_lan_address_is_a_private_ipv4_one():
    address = board.lan_address()
    assert address is None or (not board.is_loopback(address) and address.count(".") == 3)


def test_the_room_travels_in_the_link_and_the_panel_sends_its_join_address_and_qr():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"pair": "mnist-z2", "panel": "Class board", "board": "m5x3jt"})  # typed: any case
    at.run()
    assert not at.exception and not at.warning
    data = mounted(at, "board")["live"]
    assert data["room"] == "M5X3JT" and data["join"].endswith("/board/M5X3JT") and data["pair"] == "mnist-z2"
    assert data["qr"].startswith("<svg") and data["dims"] == [0, 1]
    assert at.query_params["board"] == "M5X3JT"  # whoever opens the teacher's link sees the same room


def test_a_room_made_by_the_browser_goes_into_the_link():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"panel": "Class board"})
    at.run()
    data = mounted(at, "board")["live"]
    assert data["room"] == "" and data["qr"] == "" and "board" not in at.query_params
    kl = vae.load_pretrained(data["vae"]["name"]).card.metrics["kl_per_dim_nats"]  # D=8: the latent map's view
    assert data["dims"] == np.argsort(kl)[::-1][:2].tolist()
    at.session_state["board_room"] = "ABCDEF"  # what the browser's commit sets (panels.board's on_room)
    at.run()
    assert mounted(at, "board")["live"]["join"].endswith("/board/ABCDEF") and at.query_params["board"] == "ABCDEF"


def test_a_mistyped_room_code_in_a_link_is_named():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"panel": "Class board", "board": "ABC10O"})
    at.run()
    assert any("board `ABC10O` (not a room code" in w.value for w in at.warning)
    assert mounted(at, "board")["live"]["room"] == ""


def test_the_board_shows_the_rooms_models_whichever_vae_the_sidebar_shows():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"pair": "mnist-z8", "vae": "mnist-vae-z8-b4", "panel": "Class board"})
    at.run()
    data = mounted(at, "board")["live"]
    assert (data["ae"]["name"], data["vae"]["name"]) == ("mnist-ae-z8", "mnist-vae-z8")  # the server's pair
    assert any("whichever VAE the sidebar shows" in c.value for c in at.caption)
