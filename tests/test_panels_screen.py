"""Every panel and presenter step on a projector (issue 19, item 12): at 1024×768 and 1280×720 nothing
overflows sideways and no text is cut, in the page, inside the explorer's component, or inside a chart.
Screenshots go to /tmp/panels-shots/."""

from pathlib import Path
from urllib.parse import quote

import pytest
from liveapp import wait_until_idle

from page.presenter import LIVE_STEPS, STEPS

pytestmark = pytest.mark.slow
SHOTS = Path("/tmp/panels-shots")
PROJECTORS = [(1024, 768), (1280, 720)]
PAGES = {  # name -> the link that opens it
    "explorer-stochastic": "/?panel=Deterministic vs stochastic",
    "explorer-stochastic-sprites": "/?panel=Deterministic vs stochastic&pair=sprites-z6",
    "latent-map": "/?panel=Latent map",
    "latent-map-d2": "/?panel=Latent map&pair=mnist-z2",
    "formula": "/?panel=The formula",
    "conversion": "/?panel=AE → VAE conversion",
    "beta-ladder": "/?panel=Beta ladder",
    "beta-ladder-digits": "/?panel=Beta ladder&pair=digits-z8",
    "prior": "/?panel=Prior samples",
    "interpolation": "/?panel=Interpolation",
    "traversals": "/?panel=Traversals",
    "traversals-sprites": "/?panel=Traversals&pair=sprites-z6",
    "log-sigma": "/?panel=Why log sigma",
    "decode-anywhere": "/?panel=Decode anywhere&pair=mnist-z2",
    "train": "/?panel=Train your own",
    **{f"presenter-step{step}": f"/?presenter=1&step={step}" for step in range(1, 6)},
    "presenter-step4-digits": "/?presenter=1&step=4&pair=digits-z2",
}
# What is cut or overflows in the main area: sideways overflow of the main area; text an element clips
# (an ellipsis, or overflow hidden); and a chart's text (title, labels, legend) outside its chart or
# under one of its points.
PROBLEMS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const out = [];
  const every = function* (root) {  // every element, inside the components' open shadow roots too
    for (const el of root.querySelectorAll('*')) { yield el; if (el.shadowRoot) yield* every(el.shadowRoot); }
  };
  if (main.scrollWidth > main.clientWidth + 1)
    out.push(`main area scrolls sideways: ${main.scrollWidth} > ${main.clientWidth}`);
  for (const el of every(main)) {
    if (!el.clientWidth || !el.innerText?.trim() || el.closest('.js-plotly-plot')) continue;
    const style = getComputedStyle(el);
    const clips = style.textOverflow === 'ellipsis' || style.overflowX === 'hidden' || style.overflowX === 'clip';
    if (clips && el.scrollWidth > el.clientWidth + 1)
      out.push(`cut: "${el.innerText.trim().slice(0, 60)}" (${el.scrollWidth} > ${el.clientWidth})`);
  }
  for (const plot of main.querySelectorAll('.js-plotly-plot')) {
    const frame = plot.getBoundingClientRect();
    for (const text of plot.querySelectorAll('svg text')) {
      const r = text.getBoundingClientRect();
      if (!r.width || !text.textContent.trim()) continue;
      if (r.left < frame.left - 1 || r.right > frame.right + 1 || r.top < frame.top - 1 || r.bottom > frame.bottom + 1)
        out.push(`chart text outside its chart: "${text.textContent.trim().slice(0, 60)}"`);
      for (const point of plot.querySelectorAll('.scatterlayer path.point')) {
        const p = point.getBoundingClientRect();
        if (p.left < r.right - 1 && r.left < p.right - 1 && p.top < r.bottom - 1 && r.top < p.bottom - 1)
          out.push(`a point covers chart text: "${text.textContent.trim().slice(0, 60)}"`);
      }
    }
  }
  return out;
}"""


def open_page(browser, url: str, width: int, height: int):
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.goto(url)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=120_000)
    wait_until_idle(page, timeout=120_000)
    page.wait_for_function("() => [...document.querySelectorAll('img')].every(i => i.complete)", timeout=30_000)
    page.wait_for_timeout(1500)  # charts lay themselves out after the script has finished
    return page


@pytest.mark.parametrize("width,height", PROJECTORS, ids=[f"{w}x{h}" for w, h in PROJECTORS])
@pytest.mark.parametrize("name", list(PAGES))
def test_nothing_in_a_panel_overflows_or_is_cut_on_a_projector(browser, server, name, width, height):
    page = open_page(browser, server + quote(PAGES[name], safe="/?=&"), width, height)
    if "presenter" not in name:
        page.locator('[data-testid="stButtonGroup"]').first.wait_for()
        page.get_by_test_id("kl-total").filter(has_text="nats").wait_for()
    elif list(STEPS)[int(name.split("step")[1][0]) - 1] in LIVE_STEPS:  # its explorer drawn, sliders and all
        page.locator('input[type="range"][aria-label^="mu_"]').first.wait_for()
    problems = page.evaluate(PROBLEMS)  # the whole main area: the explorer, and the panel below it
    screenshot(page, SHOTS / f"{name}-{width}x{height}.png")
    page.context.close()
    assert not problems, problems


def screenshot(page, path: Path) -> None:
    """The whole page at the same width: the main area scrolls inside the window, so the window grows to it."""
    path.parent.mkdir(exist_ok=True)
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    content = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": width, "height": max(height, content)})
    page.wait_for_timeout(1000)
    page.screenshot(path=path)
