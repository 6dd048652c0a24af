"""Draw a digit: the pad converts a drawing as an upload is converted (JS and Python agree), the explorer
encodes it in the browser as it is drawn, the server hears it once per stroke, the link carries it, and
the drawn digits are read as what was drawn. Drawn with the mouse (and a finger) in Chromium."""

from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from barepage import Site, mount
from boardkit import link_form
from liveapp import canvas_pixels, canvas_png, drawings_heard, kl_text, open_app, wait_for_drawing, wait_until_idle
from pagetest import APP, live_data, mounted, start
from streamlit.testing.v1 import AppTest

import vae
from live import drawing
from page.state import Drawing
from vae.data import conversion, convert
from vae.judge import probabilities

# ---- the link form of a drawn input ---------------------------------------------------------------------


def test_a_drawn_input_reads_back_from_its_link_form_and_nothing_else_does():
    card = vae.load_pretrained("mnist-vae-z8").card
    x = np.round(np.random.default_rng(0).uniform(size=(28, 28)) * 15) / 15
    text = link_form(x)
    assert len(text) == 523  # 392 bytes: well under 1 KB
    np.testing.assert_array_equal(drawing.pixels(text, card)[0], x.astype(np.float32))
    for bad in ("", text[:-4], text + "AAAA", text.replace("A", "*", 1), "x" * 5000, None):
        assert drawing.pixels(bad, card) is None, bad
    digits = vae.load_pretrained("digits-vae-z8").card
    assert drawing.pixels(text, digits) is None  # a 28x28 drawing is no 8x8 input


def drawn(at, text: str, seq: int) -> AppTest:
    """What the explorer's commit of a drawing does when a stroke ends (live/component.py _on_drawing), and
    the rerun it causes."""
    at.session_state["chosen"] = Drawing(text)
    at.session_state["drawing_seq"] = seq
    return at.run()


def test_a_drawing_becomes_the_input_and_travels_in_the_link():
    at = start()
    x = np.zeros((28, 28))
    x[6:22, 13:16] = 1.0  # a 1
    text = link_form(x)
    drawn(at, text, 1)
    data = live_data(at)
    assert data["caption"] == "your drawing" and data["drawing_seq"] == 1 and data["encoding"].endswith(text)
    vm = vae.load_pretrained("mnist-vae-z8")
    mu0, sigma0 = vae.explore.encode(vm, x[None].astype(np.float32))
    np.testing.assert_allclose(data["mu0"], mu0, atol=1e-6)
    assert at.query_params["draw"] == text
    again = AppTest.from_file(APP, default_timeout=120)  # the link, opened elsewhere
    for key, value in at.query_params.items():
        again.query_params[key] = value
    again.run()
    assert live_data(again)["caption"] == "your drawing" and live_data(again)["mu0"] == data["mu0"]
    assert mounted(again, "draw")["live"]["drawing"] == text  # the pad shows it, to draw on further


def test_a_mangled_drawing_in_a_link_falls_back_with_a_notice():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["draw"] = "not*a*drawing"
    at.run()
    assert any("draw (not a drawing for this pair)" in w.value for w in at.warning)
    assert live_data(at)["caption"].startswith("test #0")


def test_a_drawing_for_another_pair_leaves_the_test_image():
    at = start()
    drawn(at, link_form(np.eye(28)), 1)
    at.selectbox(key="pair").set_value("digits, D=8").run()
    assert not at.exception and live_data(at)["caption"].startswith("test #0")
    assert "draw" not in at.query_params  # the link opens what is shown, without a notice


# ---- in Chromium: the pad on a bare page (no server), JS against Python ----------------------------------

STROKES = {  # (u, v) in the pad's [0, 1] square, one list per stroke
    "0": [[(0.5 + 0.22 * np.sin(t), 0.5 - 0.32 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 25)]],
    "1": [[(0.52, 0.15), (0.5, 0.5), (0.48, 0.85)]],
    "7": [[(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]],
    "4 small, off-centre": [[(0.2, 0.1), (0.12, 0.35), (0.35, 0.35)], [(0.3, 0.12), (0.3, 0.5)]],
    "a blob": [[(0.6, 0.6), (0.8, 0.65), (0.7, 0.85), (0.6, 0.6)]],
}


def draw(page, strokes, pad="draw-pad", steps=6, touch=False):
    """Draws strokes on the pad with the mouse, as a person does: down, moves, up."""
    box = page.get_by_test_id(pad).bounding_box()

    def at(u, v):
        return box["x"] + u * box["width"], box["y"] + v * box["height"]

    for stroke in strokes:
        page.mouse.move(*at(*stroke[0]))
        page.mouse.down()
        for (u0, v0), (u1, v1) in zip(stroke, stroke[1:]):
            for k in range(1, steps + 1):
                page.mouse.move(*at(u0 + (u1 - u0) * k / steps, v0 + (v1 - v0) * k / steps))
        page.mouse.up()


def pad_gray(page) -> tuple[np.ndarray, bytes]:
    """The pad's pixels, as the browser converts them, and as a PNG the server would be uploaded."""
    return canvas_png(page, "draw-pad")


@pytest.mark.slow
@pytest.mark.parametrize("pair", ["mnist-vae-z8", "digits-vae-z8", "sprites-vae-z6"])
def test_the_browser_converts_a_drawing_as_python_converts_an_upload(browser, pair):
    card = vae.load_pretrained(pair).card
    _, h, w = card.image_shape
    context = browser.new_context(viewport={"width": 600, "height": 600})
    site = Site(context.new_page())
    at = start({"mnist-vae-z8": None, "digits-vae-z8": "digits, D=8", "sprites-vae-z6": "sprites, D=6"}[pair])
    mount(site, mounted(at, "draw"), key="draw")
    how = conversion(card.dataset, (h, w))
    for name, strokes in STROKES.items():
        site.page.get_by_role("button", name="Clear drawing").click()
        draw(site.page, strokes)
        gray, png = pad_gray(site.page)
        got = np.array(site.page.evaluate("""async ([code, how, shape]) => {
            const { convert } = await import(code);
            const canvas = document.getElementById('draw').shadowRoot.querySelector('canvas');
            const side = canvas.width, rgba = canvas.getContext('2d').getImageData(0, 0, side, side).data;
            const gray = new Float64Array(side * side).map((_, p) => rgba[4 * p] / 255);
            return Array.from(convert(gray, [side, side], how, shape));
        }""", [site.page.url.split("?")[0].rstrip("/") + mounted(at, "draw")["code"].replace("main.js", "convert.js"),
               how, [h, w]])).reshape(h, w)
        expected = convert(gray, how, (h, w))
        np.testing.assert_allclose(got, expected, atol=1 / 255, rtol=0, err_msg=name)
        upload = vae.image_from_bytes(png, card)[0, 0].numpy()  # the same drawing uploaded as a picture
        np.testing.assert_allclose(got, upload, atol=1 / 255, rtol=0, err_msg=name)
    context.close()


# ---- in Chromium, against the real server -------------------------------------------------------------


def sent_frames(page) -> list:
    frames = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: frames.append(payload)))
    return frames


def pictures(page, test_id: str) -> np.ndarray:
    """A 28x28 picture the page shows, as [0, 1] pixels (the canvas holds it at its own size)."""
    return canvas_png(page, test_id)[0].astype(np.float32)


@pytest.mark.slow
def test_drawn_digits_are_read_as_drawn_with_nothing_sent_during_a_stroke(browser, server):
    page = open_app(browser, server, 1280, 900)
    frames = sent_frames(page)
    page.reload()
    page.get_by_test_id("kl-total").filter(has_text="nats").wait_for(timeout=60_000)
    wait_until_idle(page)
    page.get_by_test_id("draw-pad").scroll_into_view_if_needed()
    read = {}
    for digit in "017":
        if read:  # the last digit is on the pad (Clear on an empty pad tells the server nothing)
            heard = drawings_heard(page)
            page.get_by_role("button", name="Clear drawing").click()
            wait_for_drawing(page, heard)
        heard, before = drawings_heard(page), len(frames)
        box = page.get_by_test_id("draw-pad").bounding_box()
        (stroke,) = STROKES[digit]
        page.mouse.move(box["x"] + stroke[0][0] * box["width"], box["y"] + stroke[0][1] * box["height"])
        page.mouse.down()
        kl = kl_text(page)
        for u, v in stroke[1:]:
            page.mouse.move(box["x"] + u * box["width"], box["y"] + v * box["height"], steps=5)
        assert kl_text(page) != kl  # encoded and drawn as it was drawn
        assert len(frames) == before  # nothing went to the server during the stroke
        page.mouse.up()
        wait_for_drawing(page, heard)
        assert len(frames) == before + 1  # one commit, when the stroke ended
        shown = np.stack([pictures(page, t) for t in ("input-image", "decode-ae", "decode-vae-mu")])[:, None]
        read[digit] = probabilities(shown, "mnist").argmax(axis=1).tolist()
    assert read == {d: [int(d)] * 3 for d in "017"}, read  # the input, the AE's reconstruction, the VAE's mu
    page.context.close()


@pytest.mark.slow
def test_undo_clear_and_the_link_round_trip(browser, server):
    page = open_app(browser, server, 1280, 900)
    page.get_by_test_id("draw-pad").scroll_into_view_if_needed()
    draw(page, STROKES["1"])
    page.get_by_text("Input: your drawing").wait_for(timeout=15_000)
    one = canvas_pixels(page, "input-image")
    draw(page, [[(0.3, 0.2), (0.7, 0.2)]])  # a bar over the 1
    assert canvas_pixels(page, "input-image") != one
    page.get_by_role("button", name="Undo stroke").click()
    assert canvas_pixels(page, "input-image") == one
    page.wait_for_function("() => location.search.includes('draw=')", timeout=15_000)
    wait_until_idle(page)
    slider = page.locator('input[type="range"][aria-label="sigma_0"]')
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.get_by_role("button", name="Resample eps").click()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_test_id("copy-link").click()  # at once: the link holds what the server may not have heard yet
    page.get_by_text("Copied").wait_for()
    link = page.evaluate("navigator.clipboard.readText()")
    assert "sigma_0=" in link and "seed=1" in link
    assert len(parse_qs(urlsplit(link).query)["draw"][0]) < 1024
    view = kl_text(page), pictures(page, "input-image"), pictures(page, "decode-vae-z")
    again = open_app(browser, link, 1280, 900)  # Copy link, opened by someone else
    assert kl_text(again) == view[0]
    np.testing.assert_array_equal(pictures(again, "input-image"), view[1])
    np.testing.assert_array_equal(pictures(again, "decode-vae-z"), view[2])
    again.get_by_role("button", name="Undo stroke").click()  # the link's drawing is no stroke of theirs to undo
    again.wait_for_timeout(500)
    assert again.get_by_text("Input: your drawing").is_visible() and "draw=" in again.evaluate("location.search")
    assert pad_gray(again)[0].min() < 0.5  # and the pad still shows it, dark ink on paper
    again.context.close()
    page.get_by_role("button", name="Clear drawing").click()  # an empty pad is no input: back to the test image
    page.get_by_test_id("copy-link").click()  # at once: the link no longer holds the drawing
    page.get_by_text("Copied:").wait_for()
    assert "draw=" not in page.evaluate("navigator.clipboard.readText()")
    page.get_by_text("Input: test #0 (7)").wait_for(timeout=15_000)
    page.wait_for_function("() => !location.search.includes('draw=')", timeout=15_000)
    test_image = vae.load_dataset("mnist", "test").images[0, 0].numpy()
    np.testing.assert_allclose(pictures(page, "input-image"), test_image, atol=1 / 255)
    page.context.close()


@pytest.mark.slow
def test_a_drawing_has_one_encoding_and_its_link_carries_no_slider_nobody_moved(browser, server):
    page = open_app(browser, server, 1280, 900)
    page.get_by_test_id("draw-pad").scroll_into_view_if_needed()
    heard = drawings_heard(page)
    draw(page, STROKES["7"])
    wait_for_drawing(page, heard)
    page.wait_for_function("() => location.search.includes('draw=')", timeout=15_000)
    shown = page.evaluate("globalThis.__live.code")  # what the browser encoded and showed, after the server's answer
    text = parse_qs(urlsplit(page.url).query)["draw"][0]
    assert shown["encoding"] == f"mnist-vae-z8/drawing:{text}"
    x = drawing.pixels(text, vae.load_pretrained("mnist-vae-z8").card)
    mu0, sigma0 = vae.explore.encode(vae.load_pretrained("mnist-vae-z8"), x)  # the server's encoding, in torch
    np.testing.assert_allclose(shown["mu"], mu0, atol=1e-4)
    np.testing.assert_allclose(shown["sigma"], sigma0, atol=1e-4)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_test_id("copy-link").click()
    page.get_by_text("Copied").wait_for()
    for url in (page.url, page.evaluate("navigator.clipboard.readText()")):
        keys = parse_qs(urlsplit(url).query)
        assert "draw" in keys and not any(k.startswith(("mu_", "sigma_")) for k in keys), url
    slider = page.locator('input[type="range"][aria-label="sigma_2"]')
    slider.focus()
    page.keyboard.press("ArrowRight")  # one slider moved: the link carries it, and it alone
    page.wait_for_function("() => location.search.includes('sigma_2=')", timeout=15_000)
    wait_until_idle(page)
    page.get_by_test_id("copy-link").click()
    page.get_by_text("Copied").wait_for()
    for url in (page.url, page.evaluate("navigator.clipboard.readText()")):
        keys = [k for k in parse_qs(urlsplit(url).query) if k.startswith(("mu_", "sigma_"))]
        assert keys == ["sigma_2"], url
    page.context.close()


@pytest.mark.slow
def test_the_latent_map_follows_a_drawing(browser, server):
    page = open_app(browser, server + "/?pair=mnist-z2&panel=Latent+map", 1280, 1000)
    page.get_by_test_id("map-vae").wait_for(timeout=30_000)
    before = [page.get_by_test_id(f"map-{w}-text").inner_text() for w in ("ae", "vae")]
    page.get_by_test_id("draw-pad").scroll_into_view_if_needed()
    heard = drawings_heard(page)
    draw(page, STROKES["7"])
    wait_for_drawing(page, heard)  # the stroke's one commit answered: the map is mounted anew by that rerun
    page.get_by_test_id("map-vae").scroll_into_view_if_needed()
    after = [page.get_by_test_id(f"map-{w}-text").inner_text() for w in ("ae", "vae")]
    assert after[0] != before[0] and after[1] != before[1]
    ae_z = [page.locator(".num.ae").nth(d).inner_text() for d in range(2)]  # the explorer's AE z for the drawing
    mu = [page.locator("output.num.mu").nth(d).inner_text() for d in range(2)]
    assert after[0].startswith(f"z0 = {ae_z[0]}, z1 = {ae_z[1]}") and after[1].startswith(f"z0 = {mu[0]}, z1 = {mu[1]}")
    assert canvas_pixels(page, "map-decode-ae") == canvas_pixels(page, "decode-ae")
    page.context.close()


@pytest.mark.slow
def test_a_finger_draws_and_the_page_does_not_scroll(browser, server):
    context = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True, is_mobile=False)
    page = context.new_page()
    page.goto(server)
    page.get_by_test_id("kl-total").filter(has_text="nats").wait_for(timeout=60_000)
    pad = page.get_by_test_id("draw-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    scroll = "() => document.querySelector('[data-testid=stSidebarContent]').scrollTop"
    top = page.evaluate(scroll)
    cdp = context.new_cdp_session(page)
    x, y = box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.15

    def touch(kind, points):
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", [{"x": x, "y": y}])
    for k in range(1, 15):  # a finger drawing downwards: a page would scroll up, if it let it
        touch("touchMove", [{"x": x, "y": y + k * box["height"] * 0.05}])
    touch("touchEnd", [])
    page.get_by_text("Input: your drawing").wait_for(timeout=15_000)
    assert page.evaluate(scroll) == top
    assert pictures(page, "input-image").max() == 1
    context.close()


def test_the_pads_and_the_uploaders_help_say_how_this_dataset_places_a_drawing():
    for pair, says in (("mnist, D=8", "20 × 20 pixels"), ("digits, D=8", "cropped to its content and resized"),
                       ("sprites, D=6", "draw a small filled shape")):
        at = start(pair)
        (pad,) = [m for m in at.sidebar.markdown if m.value == "…or draw one"]
        assert says in pad.proto.help, pair
        assert says in at.sidebar.get("file_uploader")[0].proto.help, pair


@pytest.mark.slow
def test_the_pad_and_its_buttons_fit_a_projectors_sidebar(browser, server):
    for width, height in ((1280, 720), (1024, 768)):
        page = open_app(browser, server, width, height)
        boxes = [page.get_by_test_id("draw-pad").bounding_box(),
                 *(page.get_by_role("button", name=name).bounding_box() for name in ("Undo stroke", "Clear drawing"))]
        assert all(box["y"] + box["height"] <= height for box in boxes), (width, boxes)  # no scrolling to reach them
        assert boxes[1]["y"] == boxes[2]["y"]  # side by side
        page.context.close()
