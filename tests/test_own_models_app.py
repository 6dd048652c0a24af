"""Your own pairs in the app: `streamlit run app.py -- --models DIR [--data-root DIR]` beside the
shipped pairs, explored like them (AppTest and the browser), and every bad folder named on the page
while the shipped pairs keep working."""

import re
import shutil
import sys

import pytest
from liveapp import launch_chromium, open_app, streamlit_server
from ownmodels import train_cli, write_idx
from pagetest import APP, PANELS, live_data
from streamlit.testing.v1 import AppTest

YOURS = "yours: idx, D=2 (idx-ae-z2)"


def app_with(monkeypatch, *args) -> AppTest:
    monkeypatch.setattr(sys, "argv", ["app.py", *map(str, args)])
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, at.exception
    return at


def warnings(at) -> str:
    """The sidebar's warnings as a person reads them (paths and names are escaped Markdown: page.text.plain)."""
    return re.sub(r"\\(.)", r"\1", " ".join(w.value for w in at.sidebar.warning))


@pytest.mark.slow
def test_your_pair_is_offered_beside_the_shipped_ones_and_explored_like_them(monkeypatch, trained):
    at = app_with(monkeypatch, "--models", trained / "MODELS")
    options = at.selectbox(key="pair").options
    assert options[0] == "mnist, D=8" and YOURS in options and not warnings(at)
    at.selectbox(key="pair").set_value(YOURS).run()
    assert not at.exception and not at.error
    data = live_data(at)
    assert data["vae"]["name"] == "idx-vae-z2" and len(data["mu0"]) == 2 and data["shape"] == [1, 28, 28]
    assert at.selectbox(key="vae").options == ["beta 1 (the AE's twin)", "beta 4"]  # its own beta ladder
    for panel in PANELS:
        at.session_state["panel"] = panel
        at.run()
        assert not at.exception, (panel, at.exception)
        assert not at.error, (panel, [e.value for e in at.error])
        if panel == "AE → VAE conversion":  # any AE converts; only the retrained one is shipped-only
            kl = [m.value for m in at.metric if m.label == "Test mean KL (nats per example)"]
            assert kl[0] == "no KL term" and float(kl[1]) > 0 and len(kl) == 2
        if panel == "Prior samples":  # no judge reads an IDX pair's images, and the panel says so
            assert any("The samples are not scored" in c.value for c in at.caption)
    assert at.query_params["pair"] == "yours-idx-ae-z2"  # a link to it works on a server with the same --models


def test_a_folder_that_does_not_exist_is_named_and_the_shipped_pairs_work(monkeypatch, tmp_path):
    at = app_with(monkeypatch, "--models", tmp_path / "nowhere")
    assert "nowhere: no such folder" in warnings(at)
    assert at.selectbox(key="pair").value == "mnist, D=8" and len(live_data(at)["mu0"]) == 8


@pytest.mark.slow
def test_a_broken_file_is_named_and_the_good_pair_still_works(monkeypatch, trained, tmp_path):
    models = tmp_path / "MODELS"
    shutil.copytree(trained / "MODELS", models)
    (models / "notes.safetensors").write_bytes(b"\x80\x04 not weights")
    at = app_with(monkeypatch, "--models", models)
    assert "notes.safetensors" in warnings(at) and "pickle" in warnings(at)
    at.selectbox(key="pair").set_value(YOURS).run()
    assert not at.exception and len(live_data(at)["mu0"]) == 2


@pytest.mark.slow
def test_moved_data_is_named_without_data_root_and_found_with_it(monkeypatch, tmp_path):
    write_idx(tmp_path / "DATA")
    monkeypatch.chdir(tmp_path)
    train_cli("MODELS/ae.safetensors", "--kind", "ae", "--data-root", "DATA")
    train_cli("MODELS/vae.safetensors", "--kind", "vae", "--data-root", "DATA")
    (tmp_path / "DATA").rename(tmp_path / "MOVED")
    at = app_with(monkeypatch, "--models", tmp_path / "MODELS")
    assert "is gone" in warnings(at) and str(tmp_path / "DATA") in warnings(at)
    assert YOURS not in at.selectbox(key="pair").options and len(live_data(at)["mu0"]) == 8
    at = app_with(monkeypatch, "--models", tmp_path / "MODELS", "--data-root", tmp_path / "MOVED")
    assert YOURS in at.selectbox(key="pair").options and not warnings(at)


@pytest.mark.slow
def test_your_pair_in_the_browser(trained):
    from playwright.sync_api import sync_playwright

    with streamlit_server(args=["--models", str(trained / "MODELS")]) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = open_app(browser, url + "/?pair=yours-idx-ae-z2", width=1280, height=720)
        assert page.locator('input[type="range"][aria-label^="mu_"]').count() == 2
        assert page.get_by_test_id("decode-vae-z").bounding_box()["width"] >= 160
        browser.close()
