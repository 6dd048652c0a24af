"""The classroom screen (issue 13): a projector's 1280×720 and 1024×768, presenter steps on one
screen each, a clicker's keys, and the prior step's own pair. Screenshots go to artifacts/."""

import pytest
from liveapp import SHOTS, open_app, wait_until_idle
from pagetest import start

from page.presenter import STEPS

PICTURES = ("input-image", "decode-ae", "decode-vae-z", "decode-vae-mu")
PROJECTORS = [(1280, 720), (1024, 768)]
SCROLL = """() => {  // Streamlit's main area scrolls, not the document
  const main = document.querySelector('[data-testid="stMain"]'), doc = document.documentElement;
  const content = document.querySelector('[data-testid="stMainBlockContainer"]').getBoundingClientRect().height;
  return {main: [main.scrollHeight, main.clientHeight], doc: [doc.scrollHeight, doc.clientHeight], content};
}"""


# ---- presenter logic (AppTest) --------------------------------------------------------------------


def test_the_prior_step_takes_a_d8_pair_says_so_and_gives_the_pair_back():
    at = start("digits, D=2")
    at.toggle(key="presenter").set_value(True).run()
    for _ in range(len(STEPS) - 1):
        at.button(key="step_next").click().run()
        assert not at.exception, at.exception
    assert at.session_state["pair"] == "mnist, D=8"  # the first D=8 pair: the default
    said = " ".join(m.value for m in at.markdown)
    assert "This step uses **mnist, D=8**" in said and "Your **digits, D=2** returns" in said
    assert "(mnist-vae-z8)" in said  # the prior panel draws the D=8 pair's models
    at.button(key="step_back").click().run()
    assert at.session_state["pair"] == "digits, D=2" and at.session_state["vae"] == "digits-vae-z2"
    at.button(key="step_next").click().run()
    at.button(key="presenter_leave").click().run()  # leaving on the prior step gives the pair back too
    assert not at.session_state["presenter"] and at.session_state["pair"] == "digits, D=2"
    assert at.get("bidi_component")  # the explorer is back


def test_the_step_buttons_have_no_tooltip_to_cover_the_step_after_a_click():
    at = start()
    at.toggle(key="presenter").set_value(True).run()
    assert not at.button(key="step_back").help and not at.button(key="step_next").help
    assert "PageDown" in at.toggle(key="presenter").help  # the keys are said where the mode is switched on


def test_a_d8_pair_already_chosen_is_kept():
    at = start("digits, D=8")
    at.session_state["presenter"] = True
    at.session_state["step"] = len(STEPS)
    at.run()
    assert at.session_state["pair"] == "digits, D=8" and "pair_kept" not in at.session_state
    assert "returns on the other steps" not in " ".join(m.value for m in at.markdown)


# ---- what a projector shows (Chromium) ------------------------------------------------------------


def box(page, test_id: str) -> dict:
    return page.get_by_test_id(test_id).bounding_box()


@pytest.mark.slow
@pytest.mark.parametrize("width,height", PROJECTORS, ids=[f"{w}x{h}" for w, h in PROJECTORS])
def test_the_four_pictures_stand_in_one_row_on_a_projector(browser, server, width, height):
    page = open_app(browser, server, width, height)
    boxes = {test_id: box(page, test_id) for test_id in PICTURES}
    tops = [b["y"] for b in boxes.values()]
    assert max(tops) - min(tops) <= 2, boxes
    for test_id, b in boxes.items():
        assert b["width"] >= 160, (test_id, b)
        assert b["x"] >= 0 and b["x"] + b["width"] <= width and b["y"] >= 0 and b["y"] + b["height"] <= height, b
    lefts = sorted(b["x"] for b in boxes.values())
    assert all(b - a >= 160 for a, b in zip(lefts, lefts[1:]))  # side by side, not stacked
    mu_0 = page.locator('input[type="range"][aria-label="mu_0"]').bounding_box()
    assert mu_0["width"] >= 140  # wide enough to drag
    if (width, height) == (1280, 720):  # the first screen holds the pictures, the KL and the first sliders
        for b in (box(page, "kl-total"), mu_0, page.locator('[aria-label="sigma_0"]').bounding_box()):
            assert 0 <= b["y"] and b["y"] + b["height"] <= height, b
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / f"projector-{width}x{height}.png")
    page.context.close()


@pytest.mark.slow
def test_a_wide_screen_uses_its_width(browser, server):
    page = open_app(browser, server, 1920, 1080)
    widths = [box(page, test_id)["width"] for test_id in PICTURES]
    assert min(widths) >= 260  # larger than on a projector (233 px at 1280), up to their cap
    kl, pictures = box(page, "kl-total"), box(page, "decode-vae-mu")
    assert kl["x"] > pictures["x"] + pictures["width"]  # the readouts beside the pictures
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / "projector-1920x1080.png")
    page.context.close()


def step_title(page) -> str:
    return page.locator('[data-testid="stHeading"] h3').filter(has_text="Step ").first.inner_text()


def wait_for_step(page, step: int) -> None:
    """Until the step's title is up, its script run has finished and the page has stopped growing."""
    heading = page.locator('[data-testid="stHeading"] h3').filter(has_text=f"Step {step} of {len(STEPS)}:")
    heading.wait_for(timeout=30_000)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)
    if list(STEPS)[step - 1] in ("Sample z", "Add the KL term"):
        page.locator('input[type="range"][aria-label^="mu_"]').first.wait_for(timeout=30_000)
    if list(STEPS)[step - 1] == "Sample z":  # its 16 more draws, decoded in the browser
        page.get_by_test_id("samples-vae-note").filter(has_text="Largest per-pixel std").wait_for(timeout=30_000)
    page.wait_for_function("() => [...document.querySelectorAll('img')].every(i => i.complete)", timeout=30_000)
    height, still = None, 0
    while still < 3:  # the same height three times, 200 ms apart
        page.wait_for_timeout(200)
        now = page.evaluate(SCROLL)["content"]
        still = still + 1 if now == height else 0
        height = now


def press(page, key: str) -> None:
    page.evaluate("() => document.activeElement?.blur()")  # no control holds the focus
    page.keyboard.press(key)


def assert_fits(page, what: str) -> dict:
    sizes = page.evaluate(SCROLL)
    for scroller in ("main", "doc"):
        scroll_height, client_height = sizes[scroller]
        assert scroll_height <= client_height, (what, scroller, sizes)
    return sizes


@pytest.mark.slow
def test_every_presenter_step_fits_a_projector_and_the_clicker_moves_it(browser, server):
    """At 1280×720 and 1024×768 on the default pair: each step without scrolling, no sidebar, no page title,
    type of 20 px or more; PageDown/ArrowRight forward, PageUp/ArrowLeft back, a slider's arrows its own
    (a clicker's PageUp/PageDown step even from a focused slider)."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    SHOTS.mkdir(exist_ok=True)
    for step in range(1, len(STEPS) + 1):  # the default pair, MNIST at D=8: eight rows of sliders
        page.goto(server + f"/?presenter=1&step={step}")
        wait_for_step(page, step)
        assert_fits(page, f"step {step}, the default pair")
        page.screenshot(path=SHOTS / f"presenter-default-step{step}.png")
        if step in (2, 3):  # step 2 decodes mu alone: no eps, no z, nothing to resample; step 3 samples
            shown = [page.get_by_role("button", name="Resample eps").is_visible(),
                     *(page.locator(f".live.explorer .head.{column}").is_visible() for column in ("eps", "z"))]
            assert shown == [step == 3] * 3, (step, shown)
        if list(STEPS)[step - 1] == "What the prior buys":  # 48 samples a grid: tiles a class can read (were 36 px)
            grids = page.locator('.st-key-presenter_prior [data-testid="stImage"] img')
            assert grids.count() == 2 and all(grids.nth(i).bounding_box()["width"] >= 330 for i in range(2))
    small = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()  # an older projector
    for step in range(1, len(STEPS) + 1):
        small.goto(server + f"/?presenter=1&step={step}")
        wait_for_step(small, step)
        assert_fits(small, f"step {step} at 1024×768, the default pair")
    small.context.close()
    page.goto(server + "/?presenter=1&step=1&pair=digits-z2")  # a D=2 pair, which the prior step changes
    heights = {}
    for step in range(1, len(STEPS) + 1):
        wait_for_step(page, step)
        heights[step] = round(assert_fits(page, f"step {step}")["content"])
        assert not page.locator('[data-testid="stSidebar"]').is_visible()
        assert page.locator("h1").count() == 0
        text = page.locator('[data-testid="stMain"] [data-testid="stMarkdown"] p').first
        assert float(text.evaluate("p => getComputedStyle(p).fontSize")[:-2]) >= 20
        page.screenshot(path=SHOTS / f"presenter-step{step}.png")
        if step < len(STEPS):
            press(page, "PageDown" if step % 2 else "ArrowRight")
    said = page.locator('[data-testid="stMarkdownContainer"]').filter(has_text="This step uses").inner_text()
    assert "mnist, D=8" in said and "digits, D=2" in said  # the prior step chose its pair and said so
    page.wait_for_function("() => location.search.includes('pair=mnist-z8')", timeout=15_000)  # and the link
    press(page, "PageUp")
    wait_for_step(page, len(STEPS) - 1)
    page.wait_for_function("() => location.search.includes('pair=digits-z2')", timeout=15_000)  # the teacher's pair
    slider = page.locator('input[type="range"][aria-label="mu_0"]')
    slider.focus()
    page.keyboard.press("ArrowLeft")  # a focused slider keeps its arrow keys
    page.wait_for_timeout(800)
    wait_until_idle(page)
    assert step_title(page).startswith(f"Step {len(STEPS) - 1} ")
    page.keyboard.press("PageUp")  # but a clicker's key steps, even from the slider last touched
    wait_for_step(page, len(STEPS) - 2)
    page.get_by_role("button", name="Leave").click()
    page.get_by_test_id("kl-total").filter(has_text="nats").wait_for(timeout=30_000)
    assert page.locator('[data-testid="stSidebar"]').is_visible() and "presenter" not in page.url
    print("content heights at 1280x720 (px):", heights)
    context.close()


@pytest.mark.slow
@pytest.mark.parametrize("step", [2, 3, 4])
def test_the_tallest_steps_fit_on_the_8_dimensional_pair(browser, server, step):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(server + f"/?presenter=1&step={step}&pair=digits-z8")
    wait_for_step(page, step)
    print(f"step {step}, digits D=8: content", round(assert_fits(page, f"step {step}, digits D=8")["content"]), "px")
    page.screenshot(path=SHOTS / f"presenter-step{step}-z8.png")
    context.close()


@pytest.mark.slow
def test_presenter_pictures_are_large_and_nothing_frames_or_covers_them(browser, server):
    """On every step at 1280×720: each picture at least 240 px wide; after a click and a clicker's key no
    focus frame round the step; hovering a picture shows no buttons over the words beside it."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    for step in range(1, len(STEPS) + 1):
        page.goto(server + f"/?presenter=1&step={step}")
        wait_for_step(page, step)
        pictures = page.locator('[data-testid="stMain"] [data-testid="stImage"] img, '
                                '[data-testid="stMain"] canvas[role="img"]:not([data-testid^="samples"])')
        widths = [p.bounding_box()["width"] for p in pictures.all() if p.is_visible()]
        if step < len(STEPS):  # the prior step shows grids of many small samples, each grid wider still
            assert widths and min(widths) >= 240, (step, widths)
        page.mouse.click(640, 700)
        press(page, "PageDown" if step < len(STEPS) else "PageUp")
        wait_for_step(page, step + 1 if step < len(STEPS) else step - 1)
        ring = page.evaluate("""() => getComputedStyle(document.querySelector('[data-testid="stMain"]'), '::before')
            .boxShadow""")
        assert ring == "none", (step, ring)
    page.goto(server + "/?presenter=1&step=1")
    wait_for_step(page, 1)
    page.locator('[data-testid="stImage"]').first.hover()
    assert not page.locator('[data-testid="stElementToolbar"]').first.is_visible()
    context.close()
