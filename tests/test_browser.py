"""What a person sees: Chromium, driven by Playwright, against a real `streamlit run` on 127.0.0.1."""

import re

import pytest
from conftest import IN_CI, ROOT
from liveapp import chromium_path, image_src, kl_text, launch_chromium, open_app, streamlit_server, wait_until_idle

pytestmark = pytest.mark.browser
SHOTS = ROOT / "artifacts"


@pytest.fixture(scope="module")
def server():
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if chromium_path() is None:
        message = "Chromium is missing: apt-get install -y chromium"
        if IN_CI:
            pytest.fail(message)  # CI installs it; a missing browser there is a broken setup, not a skip
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    page = open_app(browser, server, height=2800)
    yield page
    page.context.close()


def wait_for_change(page, read, before, timeout=15_000):
    for _ in range(int(timeout / 100)):
        now = read()
        if now != before:
            return now
        page.wait_for_timeout(100)
    raise AssertionError(f"still {before!r} after {timeout} ms")


def open_tab(page, name):
    page.locator('[data-testid="stButtonGroup"]').get_by_text(name, exact=True).click()


def test_page_shows_images_charts_and_sliders(page):
    for caption in ("Input: test #0", "AE: decode f(y)", "VAE: decode z", "VAE: decode mu alone"):
        assert image_src(page, caption), caption
    assert image_src(page, "16 decodings")  # the stochastic panel, open first
    open_tab(page, "Latent map")
    page.locator(".js-plotly-plot").nth(1).wait_for()  # the two latent maps
    assert page.locator('svg[aria-label="KL per dimension"] rect').count() == 2
    assert page.locator('input[type="range"][aria-label^="mu_"]').count() == 2
    assert page.locator('input[type="range"][aria-label^="sigma_"]').count() == 2
    assert re.fullmatch(r"\d+\.\d{3}", kl_text(page))
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / "explorer.png", full_page=True)


def test_keyboard_on_a_slider_updates_kl_and_the_vae_image(page):
    kl, image = kl_text(page), image_src(page, "VAE: decode z")
    slider = page.locator('input[type="range"][aria-label="mu_0"]')
    slider.focus()
    for _ in range(6):  # 6 steps of 0.05: a change the KL's third decimal must show
        page.keyboard.press("ArrowRight")
    assert wait_for_change(page, lambda: kl_text(page), kl) != kl
    assert wait_for_change(page, lambda: image_src(page, "VAE: decode z"), image) != image


def test_resample_changes_the_image_not_the_kl(page):
    kl, image = kl_text(page), image_src(page, "VAE: decode z")
    page.get_by_role("button", name="Resample eps").click()
    wait_for_change(page, lambda: image_src(page, "VAE: decode z"), image)
    assert kl_text(page) == kl
    assert page.get_by_text("eps seed 1").count() == 1


def test_clicking_the_latent_map_decodes_that_point(page):
    open_tab(page, "Latent map")
    vae_map = page.locator(".js-plotly-plot").nth(1)
    vae_map.locator("path.point").nth(5).wait_for()
    vae_map.scroll_into_view_if_needed()
    point = vae_map.locator("path.point").nth(5)
    box = point.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.get_by_text(re.compile(r"Clicked: test #\d+")).wait_for(timeout=15_000)
    assert wait_for_change(page, lambda: image_src(page, "AE decoder"), None)
    assert wait_for_change(page, lambda: image_src(page, "VAE decoder (mu)"), None)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / "explorer-clicked.png", full_page=True)


def test_reload_keeps_the_view_from_the_link(page):
    slider = page.locator('input[type="range"][aria-label="mu_1"]')
    slider.focus()
    for _ in range(4):
        page.keyboard.press("ArrowLeft")
    page.wait_for_function("() => location.search.includes('mu_1=')", timeout=15_000)
    page.wait_for_timeout(1500)  # let the last key press settle
    wait_until_idle(page)
    kl = kl_text(page)
    page.reload()
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=60_000)
    assert wait_for_change(page, lambda: kl_text(page), None) == kl


def test_upload_through_the_file_input(page, tmp_path):
    import numpy as np
    from PIL import Image

    digit = np.full((48, 48), 255, dtype=np.uint8)
    digit[8:40, 21:27] = 0
    good, bad = tmp_path / "one.png", tmp_path / "notes.png"
    Image.fromarray(digit).save(good)
    bad.write_bytes(b"these are notes, not a picture")
    before = image_src(page, "Input:")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(bad))
    page.get_by_text("not an image that can be read").wait_for(timeout=15_000)
    assert image_src(page, "Input: test #0")  # still the test image, page still working
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(good))
    assert wait_for_change(page, lambda: image_src(page, "Input: upload: one.png"), None)
    assert image_src(page, "Input:") != before


def test_every_panel_draws_in_the_browser(browser, server):
    """Each view, opened as a person would, on the 8-dimensional digits pair; a screenshot of each."""
    from test_views import PANELS

    page = open_app(browser, server + "/?pair=digits-z8", height=2400)
    SHOTS.mkdir(exist_ok=True)
    for i, name in enumerate(PANELS):
        open_tab(page, name)
        page.wait_for_timeout(300)
        wait_until_idle(page)
        assert page.locator('[data-testid="stException"]').count() == 0, name
        assert page.locator('[data-testid="stAlertContentError"]').count() == 0, name
        page.screenshot(path=SHOTS / f"panel-{i:02d}.png", full_page=True)
    page.context.close()
