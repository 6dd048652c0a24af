"""What a person sees: Chromium, driven by Playwright, against a real `streamlit run` on 127.0.0.1."""

import json
import re

import numpy as np
import pytest
from liveapp import (
    SHOTS,
    answers,
    canvas_pixels,
    kl_nats,
    kl_text,
    open_app,
    wait_for_answer,
    wait_until_idle,
)
from pagetest import PANELS

import vae
from vae import explore

pytestmark = pytest.mark.slow


@pytest.fixture
def page(browser, server):
    page = open_app(browser, server + DIGITS_Z2, height=2800)
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


PICTURES = ("input-image", "decode-ae", "decode-vae-z", "decode-vae-mu")
DIGITS_Z2 = "/?pair=digits-z2"  # two dimensions: every slider and number below is easy to reason about


def slider_value(page, label: str) -> float:
    return page.locator(f'input[type="range"][aria-label="{label}"]').evaluate("s => s.valueAsNumber")


def sigma_value(page, d: int) -> float:
    """sigma_d as the explorer shows and commits it (its slider's track is log sigma)."""
    return page.evaluate(f"globalThis.__live.code.sigma[{d}]")


def encoding(index: int = 0, name: str = "digits-vae-z2"):
    vm = vae.load_pretrained(name)
    return explore.encode(vm, vae.load_dataset(vm.card.dataset, "test").images[index].numpy())


def sent_frames(page) -> list:
    """Every websocket frame the page sends the server from now on (Playwright's websocket events)."""
    frames = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: frames.append(payload)))
    return frames


def test_page_shows_pictures_sliders_and_kl(page):
    for test_id in PICTURES:
        assert page.get_by_test_id(test_id).bounding_box()["width"] >= 160, test_id
    assert page.get_by_test_id("samples-vae").bounding_box()["width"] >= 400  # the stochastic panel, open first
    assert page.locator('input[type="range"][aria-label^="mu_"]').count() == 2
    assert page.locator('input[type="range"][aria-label^="sigma_"]').count() == 2
    assert re.fullmatch(r"\d+\.\d{3} nats", kl_text(page))
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / "explorer.png")


def test_a_mouse_drag_redraws_on_every_move_and_commits_once_on_release(browser, server):
    page = open_app(browser, server + DIGITS_Z2)  # a fresh page, so its websocket is watched from the start
    page.reload()
    frames = sent_frames(page)
    page.get_by_test_id("kl-total").filter(has_text="nats").wait_for(timeout=60_000)
    wait_until_idle(page)
    page.wait_for_timeout(500)
    before_drag = len(frames)
    box = page.locator('input[type="range"][aria-label="mu_0"]').bounding_box()
    x, y = box["x"] + box["width"] * 0.55, box["y"] + box["height"] / 2  # mu > 0: the KL grows all the way
    page.mouse.move(x, y)
    page.mouse.down()
    kl, picture = kl_text(page), canvas_pixels(page, "decode-vae-z")
    for i in range(1, 16):  # the button held: every move shows a new KL and a new decoding
        page.mouse.move(x + i * box["width"] * 0.38 / 15, y)
        now = kl_text(page), canvas_pixels(page, "decode-vae-z")
        assert now[0] != kl and now[1] != picture, i
        kl, picture = now
    assert len(frames) == before_drag  # nothing went to the server while the button was held
    heard = answers(page)
    page.mouse.up()
    wait_for_answer(page, heard)
    assert len(frames) >= before_drag + 1
    mu0, sigma0 = encoding()
    mu = np.array([slider_value(page, "mu_0"), mu0[1]])
    expected = 0.5 * np.sum(mu**2 + sigma0**2 - 2 * np.log(sigma0) - 1)  # the seed's formula
    assert kl_nats(page) == pytest.approx(expected, abs=6e-4)
    assert float(re.search(r"mu_0=([-0-9.e]+)", page.url).group(1)) == pytest.approx(mu[0])
    page.context.close()


def next_frame(page) -> None:
    """Until the page has drawn a frame: what was asked for in requestAnimationFrame has been drawn."""
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => done()))")


def largest_std(page, which: str) -> float:
    return float(page.get_by_test_id(f"samples-{which}-note").inner_text().rsplit(" ", 1)[1])


def torch_largest_std(mu, sigma, seed: int = 0, k: int = 16) -> float:
    """The stochastic panel's figure from torch: K decodings of mu + sigma * eps_k, largest per-pixel std."""
    images = explore.decode(vae.load_pretrained("digits-vae-z2"), mu + sigma * explore.eps_for(seed + 10_000, 2, k))
    return float(images.std(axis=0).max())


def test_the_k_decodings_follow_a_sigma_drag_in_the_browser_as_torch_draws_them(browser, server):
    page = open_app(browser, server + DIGITS_Z2, width=1920)  # wide: the explorer's readouts beside its pictures
    page.reload()
    frames = sent_frames(page)
    page.get_by_test_id("samples-vae").wait_for(timeout=60_000)
    wait_until_idle(page)
    for which in ("ae", "vae"):  # each row reads down: its sentence, then its grid, mean and std
        note, grid = (page.get_by_test_id(f"samples-{which}{part}").bounding_box() for part in ("-note", ""))
        assert note["y"] + note["height"] <= grid["y"] and abs(note["x"] - grid["x"]) < 2, which
    mu0, sigma0 = encoding()
    assert page.get_by_test_id("samples-ae-note").inner_text().endswith("std: 0.000")  # the AE's one z
    assert page.get_by_test_id("samples-ae-std").evaluate("""(canvas) => canvas.getContext("2d")
        .getImageData(0, 0, canvas.width, canvas.height).data.every((v, i) => i % 4 === 3 || v === 0)""")  # exactly 0
    assert largest_std(page, "vae") == pytest.approx(torch_largest_std(mu0, sigma0), abs=6e-4)
    slider = page.locator('input[type="range"][aria-label="sigma_0"]')
    box = slider.bounding_box()
    x, y = box["x"] + box["width"] * 0.3, box["y"] + box["height"] / 2
    heard = answers(page)
    page.mouse.click(x - 20, y)  # a first move and release: the panel has timed a warm redraw (it follows a
    wait_for_answer(page, heard)  # hand within 12 ms)
    ae, vae_grid, std = canvas_pixels(page, "samples-ae"), canvas_pixels(page, "samples-vae"), largest_std(page, "vae")
    before_drag = len(frames)
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 8):  # the button held: the VAE's K decodings follow sigma, the AE's stay
        page.mouse.move(x + i * box["width"] * 0.08, y)
        next_frame(page)
        now = canvas_pixels(page, "samples-vae"), largest_std(page, "vae")
        assert now[0] != vae_grid and now[1] != std and canvas_pixels(page, "samples-ae") == ae, i
        vae_grid, std = now
    assert len(frames) == before_drag
    heard = answers(page)
    page.mouse.up()
    wait_for_answer(page, heard)
    sigma = np.array([sigma_value(page, 0), sigma0[1]])
    assert largest_std(page, "vae") == pytest.approx(torch_largest_std(mu0, sigma), abs=6e-4)
    page.context.close()


def test_quick_key_presses_lose_no_step(page):
    slider = page.locator('input[type="range"][aria-label="mu_0"]')
    slider.focus()
    start = slider_value(page, "mu_0")
    rng = np.random.default_rng(0)
    for _ in range(5):  # bursts of 8 presses, 15-60 ms apart, a server round trip or so between bursts
        for _ in range(8):
            page.keyboard.press("ArrowRight")
            page.wait_for_timeout(int(rng.integers(15, 61)))
        page.wait_for_timeout(int(rng.integers(30, 200)))
    assert slider_value(page, "mu_0") == pytest.approx(start + 40 * 0.05)
    page.wait_for_timeout(1500)  # every reply is in: none may pull the slider back
    wait_until_idle(page)
    assert slider_value(page, "mu_0") == pytest.approx(start + 40 * 0.05)
    assert float(re.search(r"mu_0=([-0-9.e]+)", page.url).group(1)) == pytest.approx(start + 2.0)


def test_resample_changes_the_picture_not_the_kl_and_reset_restores(page):
    kl, picture, mu_picture = kl_text(page), canvas_pixels(page, "decode-vae-z"), canvas_pixels(page, "decode-vae-mu")
    page.get_by_role("button", name="Resample eps").click()
    assert canvas_pixels(page, "decode-vae-z") != picture and kl_text(page) == kl
    assert canvas_pixels(page, "decode-vae-mu") == mu_picture
    page.get_by_text("eps seed 1").wait_for()
    page.wait_for_function("() => location.search.includes('seed=1')", timeout=15_000)
    slider = page.locator('input[type="range"][aria-label="sigma_1"]')
    slider.focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    assert kl_text(page) != kl
    page.get_by_role("button", name="Reset").click()
    assert kl_text(page) == kl and canvas_pixels(page, "decode-vae-mu") == mu_picture
    page.wait_for_function("() => !location.search.includes('sigma_1=')", timeout=15_000)  # settled at reset
    wait_until_idle(page)
    assert kl_text(page) == kl


def test_resample_from_a_links_last_seed_goes_to_seed_0_in_the_browser_and_on_the_server(browser, server):
    from live.link import SEEDS

    page = open_app(browser, server + f"{DIGITS_Z2}&seed={SEEDS - 1}", 1280, 720)
    page.get_by_text(f"eps seed {SEEDS - 1}").wait_for()
    picture = canvas_pixels(page, "decode-vae-z")
    page.get_by_role("button", name="Resample eps").click()
    page.get_by_text("eps seed 0", exact=True).wait_for()
    drawn = canvas_pixels(page, "decode-vae-z")
    assert drawn != picture
    page.wait_for_function("() => new URLSearchParams(location.search).get('seed') === '0'", timeout=15_000)
    wait_until_idle(page)
    assert canvas_pixels(page, "decode-vae-z") == drawn  # the server sent the eps the browser drew
    page.context.close()


def test_each_latent_plane_starts_at_its_own_code_and_decodes_its_own_point(page):
    open_tab(page, "Latent map")
    plane = page.get_by_test_id("map-vae")
    plane.wait_for(timeout=15_000)
    plane.scroll_into_view_if_needed()
    # the AE's plane starts at the AE's own z: its decoder shows the AE's reconstruction of this input
    assert canvas_pixels(page, "map-decode-ae") == canvas_pixels(page, "decode-ae")
    assert canvas_pixels(page, "map-decode-vae") == canvas_pixels(page, "decode-vae-mu")
    assert "KL if mu were here" not in page.get_by_test_id("map-ae-text").inner_text()  # an AE has no KL term
    assert "KL if mu were here" in page.get_by_test_id("map-vae-text").inner_text()
    assert page.get_by_test_id("map-legend").inner_text().split() == ["Test", "codes", "by", "label:", *"0123456789"]
    box = plane.bounding_box()
    ae = canvas_pixels(page, "map-decode-ae")
    before = canvas_pixels(page, "map-decode-vae")
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    page.mouse.down()
    for i in range(1, 6):
        page.mouse.move(box["x"] + box["width"] * (0.5 + 0.08 * i), box["y"] + box["height"] * (0.5 - 0.06 * i))
        now = canvas_pixels(page, "map-decode-vae")
        assert now != before and canvas_pixels(page, "map-decode-ae") == ae, i  # the AE's point stays
        before = now
    page.mouse.up()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / "map.png")
    # a released mu slider moves the VAE's point along that slider's axis only (its other axis stays where it
    # was dragged); the AE's point, dragged too, stays where it is
    ae_box = page.get_by_test_id("map-ae").bounding_box()
    page.mouse.move(ae_box["x"] + ae_box["width"] * 0.3, ae_box["y"] + ae_box["height"] * 0.7)
    page.mouse.down()
    page.mouse.move(ae_box["x"] + ae_box["width"] * 0.35, ae_box["y"] + ae_box["height"] * 0.6, steps=4)
    page.mouse.up()
    ae = canvas_pixels(page, "map-decode-ae")
    def vae_z1(text):
        return re.search(r"z1 = ([−+]?\d+\.\d\d)", text).group(1)

    dragged_z1 = vae_z1(page.get_by_test_id("map-vae-text").inner_text())
    before = answers(page)
    page.locator('input[type="range"][aria-label="mu_0"]').focus()
    for _ in range(12):
        page.keyboard.press("ArrowRight")
    wait_for_answer(page, before)
    where = f"z0 = {slider_value(page, 'mu_0'):+.2f},".replace("-", "−")  # mu_0 moved off its encoder's value
    text = page.get_by_test_id("map-vae-text").filter(has_text=where)
    text.wait_for(timeout=15_000)
    assert vae_z1(text.inner_text()) == dragged_z1  # z1 as dragged, not mu_1
    assert canvas_pixels(page, "map-decode-ae") == ae


def test_reload_keeps_the_view_from_the_link(page):
    slider = page.locator('input[type="range"][aria-label="mu_1"]')
    slider.focus()
    for _ in range(4):
        page.keyboard.press("ArrowLeft")
    page.wait_for_function("() => location.search.includes('mu_1=')", timeout=15_000)
    wait_until_idle(page)
    kl, value = kl_text(page), slider_value(page, "mu_1")
    page.reload()
    page.get_by_test_id("kl-total").filter(has_text="nats").wait_for(timeout=60_000)
    assert kl_text(page) == kl and slider_value(page, "mu_1") == value


def test_upload_through_the_file_input(page, tmp_path):
    import numpy as np
    from PIL import Image

    digit = np.full((48, 48), 255, dtype=np.uint8)
    digit[8:40, 21:27] = 0
    good, bad = tmp_path / "one.png", tmp_path / "notes.png"
    Image.fromarray(digit).save(good)
    bad.write_bytes(b"these are notes, not a picture")
    before = canvas_pixels(page, "input-image")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(bad))
    page.get_by_text("not an image that can be read").wait_for(timeout=15_000)
    page.get_by_text("Input: test #0").wait_for()  # still the test image, page still working
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(good))
    page.get_by_text("Input: upload: one.png").wait_for(timeout=15_000)
    assert canvas_pixels(page, "input-image") != before


def test_every_panel_draws_in_the_browser(browser, server):
    """Each view, opened as a person would, on the 8-dimensional digits pair; a screenshot of each."""
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


def test_a_commit_sent_while_a_rerun_is_on_its_way_still_reaches_the_link(page):
    """Key presses, then Reset at once: the second commit leaves before the first one's reply, so it
    carries the older URL. The link must still end at the reset code (without the fix, about one try in four failed)."""
    slider = page.locator('input[type="range"][aria-label="sigma_1"]')
    for _ in range(10):
        slider.focus()
        for _ in range(10):
            page.keyboard.press("ArrowRight")
        heard = answers(page)
        page.get_by_role("button", name="Reset").click()
        wait_for_answer(page, heard)
        page.wait_for_timeout(300)  # any rerun still on its way writes its URL now
        wait_until_idle(page)
        assert "sigma_1=" not in page.url  # the server's link ends at the reset code too


def truncated(locator) -> list[str]:
    """The texts inside locator that do not fit their box (cut, or ending in an ellipsis): leaf elements'
    and input fields' (a select box shows its choice in one)."""
    return locator.evaluate("""(root) => [...root.querySelectorAll('*')].map((e) => [e, e.value || e.textContent])
        .filter(([e, text]) => e.childElementCount === 0 && text.trim() && e.scrollWidth > e.clientWidth + 1)
        .map(([, text]) => text)""")


def test_every_vae_name_shows_whole_in_the_selector_at_1024(browser, server):
    page = open_app(browser, server + "/?pair=digits-z8", 1024, 768)
    select = page.locator('[data-testid="stSelectbox"]').filter(has_text="VAE")
    names = []
    for i in range(4):
        select.get_by_role("combobox").click()
        options = page.locator('[role="option"]')
        names = options.all_inner_texts()
        options.nth(i).click()
        wait_until_idle(page)
        assert truncated(select) == [], (i, names)
    assert "beta 1, from the AE" in names
    page.context.close()


def test_a_link_that_names_a_panel_opens_on_that_panel(browser, server):
    page = open_app(browser, server + "/?panel=Traversals", 1280, 720)  # MNIST at D=8: a tall page
    page.wait_for_timeout(500)
    tabs = page.locator('[data-testid="stButtonGroup"]').bounding_box()
    assert 0 <= tabs["y"] < 120  # at the top of the screen, not a screen and a half below
    assert page.evaluate("document.querySelector('[data-testid=stMain]').scrollTop") > 300
    page.context.close()


def test_a_links_markdown_shows_as_text_in_the_notice_and_fetches_nothing(browser, server):
    from urllib.parse import quote

    context = browser.new_context(viewport={"width": 1280, "height": 720})
    requests = []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    image, login = "![](//127.0.0.1:9/t)", "[in](//127.0.0.1:9)"  # whole within the 20 characters shown
    page.goto(f"{server}/?pair={quote(login)}&{quote('**HACKED**')}=1&panel={quote(image)}&utm_source=x")
    notice = page.get_by_test_id("stAlert").filter(has_text="could not be used")
    notice.wait_for(timeout=60_000)
    text = notice.inner_text()
    assert login in text and image in text and "**HACKED**" in text and "utm_source" not in text  # as typed
    assert notice.locator("a, img").count() == 0
    wait_until_idle(page)
    assert not [url for url in requests if "127.0.0.1:9/" in url]
    context.close()


def test_training_shows_its_progress_where_the_train_button_was_clicked(browser, server):
    page = open_app(browser, server + "/?pair=digits-z2&panel=Train+your+own", 1280, 720)
    button = page.get_by_role("button", name="Train the pair")
    button.scroll_into_view_if_needed()  # the button at the screen's bottom edge, as a person scrolls to it
    page.evaluate("document.querySelector('[data-testid=stMain]').scrollBy(0, "
                  f"{button.bounding_box()['y'] + button.bounding_box()['height'] - 715})")
    button.click()
    # where the progress bar first shows, read as it shows (a quick training may be over a moment later)
    box = page.wait_for_function("""() => {
        const bar = document.querySelector('[data-testid=stProgress]');
        return bar && JSON.stringify(bar.getBoundingClientRect()); }""", timeout=60_000).json_value()
    box = json.loads(box)
    assert 0 <= box["y"] and box["y"] + box["height"] <= 720, box  # seen without scrolling
    done = page.get_by_text("Your pair is in the sidebar")
    done.wait_for(timeout=120_000)
    box = done.bounding_box()
    assert 0 <= box["y"] and box["y"] + box["height"] <= 720, box  # and so is what it did
    page.context.close()


def test_a_click_on_a_gallery_thumbnail_makes_it_the_input(page):
    page.get_by_text("Gallery: the first test images").click()
    page.get_by_test_id("gallery-5").click()
    page.get_by_text("Input: test #5").wait_for(timeout=15_000)
    assert page.get_by_test_id("gallery-5").get_attribute("aria-pressed") == "true"
    columns = {round(page.get_by_test_id(f"gallery-{i}").bounding_box()["x"]) for i in range(12)}
    assert len(columns) == 6  # six to a row in the sidebar
