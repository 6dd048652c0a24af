"""Remakes docs/pad.png, the README's screenshot: the page at 1280×720 after a 4 is drawn on the pad.

A maintainer's command, run after a change to what the page shows (it needs the test extras: Chromium
and Playwright):  python3 docs/make_pad_png.py
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from liveapp import drawings_heard, launch_chromium, open_app, streamlit_server, wait_for_drawing  # noqa: E402

FOUR = [[(0.28, 0.12), (0.18, 0.55), (0.72, 0.55)], [(0.58, 0.3), (0.58, 0.9)]]  # (u, v) on the pad, per stroke


def main() -> None:
    from playwright.sync_api import sync_playwright

    with streamlit_server() as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = open_app(browser, url, 1280, 720)
        box = page.get_by_test_id("draw-pad").bounding_box()
        heard = drawings_heard(page)
        for stroke in FOUR:
            page.mouse.move(box["x"] + stroke[0][0] * box["width"], box["y"] + stroke[0][1] * box["height"])
            page.mouse.down()
            for u, v in stroke[1:]:
                page.mouse.move(box["x"] + u * box["width"], box["y"] + v * box["height"], steps=12)
            page.mouse.up()
        wait_for_drawing(page, heard + 1)
        page.evaluate("document.querySelector('[data-testid=stMain]').scrollTo(0, 0)")
        page.wait_for_timeout(500)
        page.screenshot(path=ROOT / "docs" / "pad.png")
        browser.close()


if __name__ == "__main__":
    main()
