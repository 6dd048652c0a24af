"""Every screen in the room (issue 29): a phone (390×844 and 360×740, touch), a tablet (768×1024, touch, sidebar
open) and the projectors 1024×768 and 1280×720 (with the sidebar, and at 1280×720 without it). Nothing pans
sideways and every column of the explorer is in view; on a phone the pad and the pictures share one screen and a
0 drawn with a finger is read as 0; the latent map's planes are at least 160 px; presenter steps fit a tablet
upright; every live picture and chart can be saved and shown full screen; the sigma sliders run on log sigma.
Screenshots go to artifacts/screens-*.png."""

import base64
import io
import math
import re
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from conftest import ROOT
from liveapp import (
    answers,
    canvas_pixels,
    drawings_heard,
    wait_for_answer,
    wait_for_drawing,
    wait_until_idle,
)
from PIL import Image

from page.presenter import STEPS
from vae.judge import probabilities

pytestmark = pytest.mark.slow
SHOTS = ROOT / "artifacts"
# name -> viewport, a phone's or a tablet's touch, and the sidebar: "open", "closed" or as Streamlit starts it
SCREENS = {
    "phone-390x844": ((390, 844), True, None),
    "phone-360x740": ((360, 740), True, None),  # the narrowest the page is laid out for
    "tablet-768x1024": ((768, 1024), True, "open"),
    "projector-1024x768": ((1024, 768), False, None),
    "projector-1280x720": ((1280, 720), False, None),
    "projector-1280x720-no-sidebar": ((1280, 720), False, "closed"),
}
PICTURES = ("input-image", "decode-ae", "decode-vae-z", "decode-vae-mu")
COLUMNS = ("dim", "ae", "mu.slider", "mu:not(.slider)", "sigma.slider", "sigma:not(.slider)", "eps", "z", "bar",
           "kl:not(.bar)")


def open_screen(browser, server, name: str, path: str = "/", ready: str = "kl-total"):
    """The page at path on the screen called name, its sidebar as that screen wants it, waited until drawn."""
    (width, height), touch, sidebar = SCREENS[name]
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=touch and width < 500,
                                  has_touch=touch, accept_downloads=True)
    page = context.new_page()
    page.goto(server + path)
    page.get_by_test_id(ready).first.wait_for(timeout=60_000)
    wait_until_idle(page)
    bar = page.locator('[data-testid="stSidebar"]').bounding_box()
    opened = bar["x"] + bar["width"] > 1
    if sidebar == "open" and not opened:
        page.locator('[data-testid="stExpandSidebarButton"]').click()
    elif sidebar == "closed" and opened:
        page.locator('[data-testid="stSidebar"]').hover()
        page.locator('[data-testid="stSidebarCollapseButton"] button').click()
    page.wait_for_timeout(600)  # the sidebar's slide, and the layout after it
    return page


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / f"screens-{name}.png")


# What stands beyond the window's right edge or pans the page: the document's and the main area's sideways
# scroll, and any element of the main area (inside the components' shadow roots too) past either edge.
OUTSIDE = """() => {
  const main = document.querySelector('[data-testid="stMain"]'), out = [];
  const page = document.scrollingElement.scrollWidth;
  if (page > innerWidth) out.push(`the page pans: ${page} > ${innerWidth}`);
  if (main.scrollWidth > main.clientWidth) out.push(`the main area pans: ${main.scrollWidth} > ${main.clientWidth}`);
  const every = function* (root) {
    for (const el of root.querySelectorAll('*')) { yield el; if (el.shadowRoot) yield* every(el.shadowRoot); }
  };
  for (const el of every(main)) {
    if (el.matches('.live') && el.scrollWidth > el.clientWidth + 1)  // a component's part over what stands beside it
      out.push(`${el.className} overflows its column: ${el.scrollWidth} > ${el.clientWidth}`);
    const r = el.getBoundingClientRect();
    if (r.width && (r.left < -1 || r.right > innerWidth + 1) && !el.closest('.offscreen'))
      out.push(`${el.tagName.toLowerCase()}.${el.className} at ${Math.round(r.left)}–${Math.round(r.right)}`);
  }
  return out.slice(0, 8);
}"""


def explorer_boxes(page) -> dict:
    """The first dimension's cell in each column, the KL total and the L_VAE line: their boxes, and whether
    each shows all of its text."""
    return page.evaluate("""(columns) => {
      const host = [...document.querySelectorAll('*')].find((e) => e.shadowRoot?.querySelector('.live.explorer'));
      const root = host.shadowRoot, box = (el) => {
        const r = el.getBoundingClientRect();
        return {left: r.left, right: r.right, width: r.width, whole: el.scrollWidth <= el.clientWidth + 1};
      };
      const row = root.querySelector('.dims .row:not(.heads)');
      const out = Object.fromEntries(columns.map((c) => [c, box(row.querySelector('.' + c))]));
      out.kl = box(root.querySelector('[data-testid="kl-total"]'));
      out.loss = {...box(root.querySelector('.loss')), text: root.querySelector('.loss').textContent};
      return out;
    }""", list(COLUMNS))


@pytest.mark.parametrize("name", list(SCREENS))
def test_nothing_pans_sideways_and_every_column_is_in_view(browser, server, name):
    page = open_screen(browser, server, name)
    width = page.viewport_size["width"]
    assert page.evaluate(OUTSIDE) == [], name
    boxes = explorer_boxes(page)
    for what, b in boxes.items():
        assert b["width"] > 0 and b["left"] >= 0 and b["right"] <= width and b["whole"], (name, what, b)
    assert re.fullmatch(r"L_VAE = .* = \d+\.\d\d nats", boxes["loss"]["text"]), boxes["loss"]
    pictures = [page.get_by_test_id(t).bounding_box() for t in PICTURES]
    assert min(p["width"] for p in pictures) >= 150, (name, pictures)
    if name.startswith("phone"):  # laid out again, not shrunk: two by two, each about half the width
        assert len({round(p["y"]) for p in pictures}) == 2 and len({round(p["x"]) for p in pictures}) == 2
    if name.endswith("no-sidebar"):  # the pictures use the width the sidebar left
        row = pictures[-1]["x"] + pictures[-1]["width"] - pictures[0]["x"]
        assert row >= 0.95 * (width - 2 * 24), pictures
    shot(page, name)
    page.context.close()


@pytest.mark.parametrize("name", ["phone-390x844", "projector-1280x720-no-sidebar"])
def test_the_header_strip_hides_no_part_of_the_title(browser, server, name):
    page = open_screen(browser, server, name)
    header = page.locator('[data-testid="stHeader"]').bounding_box()
    title = page.locator(".st-key-page_title h3").bounding_box()
    assert title["y"] >= header["y"] + header["height"] - 1, (header, title)
    page.context.close()


def one_pad(page) -> str:
    """Where the page's one drawing pad stands: "sidebar" or "explorer"."""
    assert page.get_by_test_id("draw-pad").count() == 1
    return page.get_by_test_id("draw-pad").evaluate(
        "pad => pad.getRootNode().querySelector('.live.explorer') ? 'explorer' : "
        "(pad.getRootNode().host.closest('[data-testid=stSidebar]') ? 'sidebar' : 'elsewhere')")


def test_on_a_phone_the_pad_and_the_pictures_share_one_screen_and_a_finger_draws_a_0(browser, server):
    page = open_screen(browser, server, "phone-390x844")
    assert one_pad(page) == "explorer"
    main = page.locator('[data-testid="stMain"]')
    header = page.locator('[data-testid="stHeader"]').bounding_box()
    top = page.get_by_test_id("decode-ae").bounding_box()["y"]
    main.evaluate("(m, by) => m.scrollBy(0, by)", top - header["height"] - 8)  # the pictures at the top
    page.wait_for_timeout(200)
    height = page.viewport_size["height"]
    boxes = {what: page.get_by_test_id(what).bounding_box() for what in ("decode-ae", "decode-vae-mu", "draw-pad")}
    boxes |= {name: page.get_by_role("button", name=name).bounding_box() for name in ("Undo stroke", "Clear drawing")}
    for what, b in boxes.items():  # all of them, whole, below the header and above the screen's bottom edge
        assert b["y"] >= header["height"] and b["y"] + b["height"] <= height, (what, b)
    shot(page, "phone-390x844-drawing")

    pad = boxes["draw-pad"]
    scrolled = main.evaluate("m => m.scrollTop")
    cdp = page.context.new_cdp_session(page)

    def touch(kind, points):
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    def at(t):  # a 0: an upright ellipse, from its top round and back, a little past the start to close it
        u, v = 0.5 + 0.22 * math.sin(t), 0.5 - 0.33 * math.cos(t)
        return {"x": pad["x"] + u * pad["width"], "y": pad["y"] + v * pad["height"]}

    heard = drawings_heard(page)
    touch("touchStart", [at(0)])
    for k in range(1, 43):
        touch("touchMove", [at(-2 * math.pi * k / 40)])
    touch("touchEnd", [])
    wait_for_drawing(page, heard)
    page.get_by_text("Input: your drawing").wait_for(timeout=15_000)
    assert main.evaluate("m => m.scrollTop") == scrolled  # the finger drew; the page did not scroll
    shown = np.stack([pictures(page, t) for t in ("input-image", "decode-ae", "decode-vae-mu")])[:, None]
    read = probabilities(shown, "mnist").argmax(axis=1).tolist()
    assert read == [0, 0, 0], read  # the input, the AE's reconstruction and the VAE's mu, read by the judge
    assert "draw=" in page.url  # the server heard it: its link carries the drawing
    shot(page, "phone-390x844-drawn-0")
    page.context.close()


def pictures(page, test_id: str) -> np.ndarray:
    """A picture the page shows, as [0, 1] pixels of its own size (the canvas holds it so)."""
    png = base64.b64decode(canvas_pixels(page, test_id).split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=np.float32) / 255


@pytest.mark.parametrize("name", ["tablet-768x1024", "projector-1024x768"])
def test_on_a_wider_screen_the_pad_stays_in_the_sidebar(browser, server, name):
    page = open_screen(browser, server, name)
    assert one_pad(page) == "sidebar"
    page.context.close()


@pytest.mark.parametrize("name", ["phone-390x844", "tablet-768x1024", "projector-1024x768", "projector-1280x720"])
def test_the_latent_maps_planes_are_at_least_160_px(browser, server, name):
    page = open_screen(browser, server, name, "/?panel=Latent map", ready="map-vae")
    planes = [page.get_by_test_id(f"map-{which}").bounding_box() for which in ("ae", "vae")]
    assert min(p["width"] for p in planes) >= 160 and all(p["height"] == p["width"] for p in planes), planes
    assert page.evaluate(OUTSIDE) == [], name
    if page.viewport_size["width"] < 800:  # stacked: the VAE's plane under the AE's
        assert planes[1]["y"] >= planes[0]["y"] + planes[0]["height"]
    page.get_by_test_id("map-vae").scroll_into_view_if_needed()
    shot(page, f"{name}-latent-map")
    page.context.close()


def test_every_presenter_step_fits_a_tablet_held_upright(browser, server):
    page = browser.new_context(viewport={"width": 768, "height": 1024}, has_touch=True).new_page()
    for step in range(1, len(STEPS) + 1):
        page.goto(server + f"/?presenter=1&step={step}")
        page.locator('[data-testid="stHeading"] h3').filter(has_text=f"Step {step} of").wait_for(timeout=30_000)
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)
        if list(STEPS)[step - 1] in ("Add heads g and h", "Sample z", "Add the KL term"):
            page.get_by_test_id("input-image").wait_for(timeout=30_000)
        page.wait_for_function("() => [...document.querySelectorAll('img')].every(i => i.complete)", timeout=30_000)
        page.wait_for_timeout(500)
        main = page.evaluate("""() => { const m = document.querySelector('[data-testid="stMain"]');
            return [m.scrollHeight, m.clientHeight]; }""")
        assert main[0] <= main[1], (step, main)  # no scrolling
        assert page.evaluate(OUTSIDE) == [], step
        shot(page, f"tablet-768x1024-presenter-step{step}")
    page.context.close()


def test_a_live_picture_saves_as_a_png_and_shows_full_screen(browser, server):
    page = open_screen(browser, server, "projector-1280x720")
    figure = page.get_by_test_id("decode-vae-z")
    save = page.get_by_role("button", name="Save as decode-vae-z.png")
    assert not save.is_visible() or save.evaluate("b => getComputedStyle(b.parentElement).opacity") == "0"
    figure.hover()
    box, picture = save.bounding_box(), figure.bounding_box()
    assert box["width"] <= 32 and box["height"] <= 32  # small, over the picture's corner: the layout is as it was
    assert picture["x"] <= box["x"] and box["x"] + box["width"] <= picture["x"] + picture["width"]
    with page.expect_download() as download:
        save.click()
    assert download.value.suggested_filename == "decode-vae-z.png"
    saved = Image.open(download.value.path())
    assert saved.size == (280, 280)  # 28 × 28, each pixel 10 × 10
    small = pictures(page, "decode-vae-z")
    np.testing.assert_allclose(np.asarray(saved.convert("L"), dtype=np.float32)[::10, ::10] / 255, small, atol=1 / 255)
    page.get_by_role("button", name="Full screen").nth(2).click()  # the third picture's
    page.wait_for_function("() => document.fullscreenElement?.shadowRoot?.fullscreenElement?.tagName === 'FIGURE'",
                           timeout=5_000)  # the picture with its caption (the document sees the component's host)
    page.keyboard.press("Escape")
    page.evaluate("() => document.fullscreenElement && document.exitFullscreen()")
    page.goto(server + "/?panel=Latent map")
    page.get_by_test_id("map-vae").wait_for(timeout=60_000)
    wait_until_idle(page)
    page.get_by_test_id("map-vae").hover()
    with page.expect_download() as download:
        page.get_by_role("button", name="Save as map-vae.png").click()
    assert download.value.suggested_filename == "map-vae.png"
    assert Image.open(download.value.path()).size == (520, 520)  # the 260-px plane, twice
    page.locator(".live.map .planes .row > .kept").first.get_by_role("button", name="Full screen").click()
    page.wait_for_function("() => document.fullscreenElement?.shadowRoot?.fullscreenElement?.matches('.live.map')",
                           timeout=5_000)  # a plane full screen with the other, their legend and decodings
    page.context.close()


def test_a_chart_has_plotlys_toolbar_to_save_it_and_streamlits_to_show_it_full_screen(browser, server):
    page = open_screen(browser, server, "projector-1024x768", "/?panel=The formula", ready="stPlotlyChart")
    chart = page.get_by_test_id("stPlotlyChart").first
    chart.scroll_into_view_if_needed()
    chart.hover()
    with page.expect_download() as download:
        chart.locator('.modebar-btn[data-title="Download plot as a PNG"]').click()
    assert download.value.suggested_filename == "kl-terms.png"
    width = chart.bounding_box()["width"]
    chart.hover()
    chart.locator('.modebar-btn[data-title="Fullscreen"]').click()  # Streamlit's, in Plotly's toolbar
    page.wait_for_function(f"() => document.querySelector('[data-testid=stPlotlyChart]').getBoundingClientRect()"
                           f".width > {width} + 100", timeout=5_000)
    page.context.close()


def test_the_sigma_sliders_move_log_sigma_and_show_and_commit_sigma(browser, server):
    page = open_screen(browser, server, "projector-1280x720")
    sigma0 = page.evaluate("globalThis.__live.code.sigma")
    for d, sigma in enumerate(sigma0):
        slider = page.locator(f'input[type="range"][aria-label="sigma_{d}"]')
        low, high, at = slider.evaluate("s => [Number(s.min), Number(s.max), s.valueAsNumber]")
        assert (low, high) == pytest.approx((math.log(0.01), math.log(3.0)))
        assert 0.2 <= (at - low) / (high - low) <= 0.8, (d, sigma)  # the encoder's sigmas sit mid-track
    shown = page.locator(".dims output.sigma").first
    assert shown.inner_text() == f"{sigma0[0]:.2f}"
    heard = answers(page)
    page.locator('input[type="range"][aria-label="sigma_0"]').focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    wait_for_answer(page, heard)
    sigma = page.evaluate("globalThis.__live.code.sigma[0]")
    assert 1.02 ** 9 <= sigma / sigma0[0] <= 1.02 ** 11  # ten steps of 2% each, from a start between two steps
    assert shown.inner_text() == f"{sigma:.2f}"
    page.wait_for_function("() => location.search.includes('sigma_0=')", timeout=15_000)
    assert float(parse_qs(urlsplit(page.url).query)["sigma_0"][0]) == sigma  # what the server heard: sigma itself
    page.context.close()
