"""Remakes the README's class-board screenshots: docs/board-teacher.png (the teacher's board at 1280×720 holding
30 drawings) and docs/board-phone.png (a student's phone, 390×844, after sending a 4).

Three phones (Chromium's touch emulation) draw a 1, a 0 and a 4 with a finger and send them; 27 MNIST test
digits (test #0 to #26, at the link's 16 grey levels) are sent by this script through the same HTTP API, one
participant each, as a class would. The join address is set with VAE_BOARD_URL to http://192.168.1.20:8501,
the form a school network's address takes (the test server listens on loopback only).

A maintainer's command, run after a change to what the board shows (it needs the test extras: Chromium
and Playwright):  python3 docs/make_board_pngs.py
"""

import json
import re
import sys
import tempfile
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from boardkit import link_form  # noqa: E402
from boardpage import DIGITS, finger, open_board, send, student  # noqa: E402
from liveapp import launch_chromium, streamlit_server  # noqa: E402

import vae  # noqa: E402

SCRIPTED = 27


def post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"content-type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def main() -> None:
    from playwright.sync_api import sync_playwright

    env = {"VAE_BOARD_DIR": tempfile.mkdtemp(), "VAE_BOARD_URL": "http://192.168.1.20:8501"}
    with streamlit_server(env=env) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        board = open_board(browser, url + "/?pair=mnist-z8&panel=Class+board")
        code = board.get_by_test_id("board-code").inner_text()
        for digit in "104":
            phone = student(browser, f"{url}/board/{code}")
            finger(phone, DIGITS[digit])
            send(phone)
        phone.screenshot(path=ROOT / "docs" / "board-phone.png")
        test = vae.load_dataset("mnist", "test")
        for i in range(SCRIPTED):
            post(f"{url}/board/{code}/drawings", {"participant": f"scripted-student-{i:02d}", "seq": 0,
                                                  "draw": link_form(np.round(test.images[i, 0].numpy() * 15) / 15)})
        board.get_by_test_id("board-count").filter(has_text=re.compile(f"^{SCRIPTED + 3} ")).wait_for(timeout=30_000)
        board.get_by_test_id("board-code").evaluate("e => e.closest('.top').scrollIntoView({ block: 'start' })")
        board.wait_for_timeout(500)
        board.screenshot(path=ROOT / "docs" / "board-teacher.png")
        browser.close()


if __name__ == "__main__":
    main()
