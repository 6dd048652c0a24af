"""The class board as a person uses it in Chromium: the teacher's board page, a student's phone drawing with a
finger and sending, and what the board shows (tests and docs/make_board_pngs.py)."""

import re

import numpy as np

BOARD = "/?pair=mnist-z8&panel=Class+board"
CODE = re.compile(r"^[A-HJ-NP-Z2-9]{6}$")
DIGITS = {  # (u, v) in the pad's [0, 1] square, one list per stroke, drawn with a finger
    "1": [[(0.52, 0.15), (0.5, 0.5), (0.48, 0.85)]],
    "0": [[(0.5 + 0.22 * np.sin(t), 0.5 - 0.32 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 25)]],
    "4": [[(0.35, 0.12), (0.24, 0.55), (0.72, 0.55)], [(0.6, 0.3), (0.6, 0.9)]],
}
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}



def open_board(browser, url):
    page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # "Remove every drawing from the board?"
    page.goto(url)
    page.get_by_test_id("board-code").filter(has_text=re.compile(r"\w{6}")).wait_for(timeout=90_000)
    return page


def finger(page, strokes) -> None:
    """Draws strokes on the pad with one finger (touch events, as a phone sends them)."""
    box = page.get_by_test_id("draw-pad").bounding_box()
    cdp = page.context.new_cdp_session(page)

    def point(u, v):
        return [{"x": box["x"] + u * box["width"], "y": box["y"] + v * box["height"]}]

    for stroke in strokes:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": point(*stroke[0])})
        for (u0, v0), (u1, v1) in zip(stroke, stroke[1:]):
            for k in range(1, 7):
                t = k / 6
                cdp.send("Input.dispatchTouchEvent", {"type": "touchMove",
                                                      "touchPoints": point(u0 + (u1 - u0) * t, v0 + (v1 - v0) * t)})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def send(page) -> str:
    """Presses Send to the board and waits for the page's sentence about it."""
    page.get_by_role("button", name="Send to the board").click()
    status = "document.querySelector('[data-testid=board-status]').textContent"
    page.wait_for_function(f"() => !{status}.startsWith('Sending')", timeout=30_000)
    return page.get_by_test_id("board-status").inner_text()


def student(browser, join: str):
    page = browser.new_context(**PHONE).new_page()
    page.goto(join)
    page.get_by_role("button", name="Send to the board").and_(page.locator(":enabled")).wait_for(timeout=30_000)
    return page


def on_map(page, test_id: str, u: float, v: float) -> tuple[float, float]:
    box = page.get_by_test_id(test_id).bounding_box()
    return box["x"] + u * box["width"], box["y"] + v * box["height"]


def dot(page, test_id: str, colour: str) -> tuple[float, float]:
    """(u, v) of the middle of the first point drawn in colour on a map (its canvas read in the browser)."""
    return tuple(page.get_by_test_id(test_id).evaluate("""(canvas, colour) => {
        const rgb = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
        const { width, height } = canvas, data = canvas.getContext('2d').getImageData(0, 0, width, height).data;
        const xs = [], ys = [];
        for (let p = 0; p < width * height; p++) {
            if ([0, 1, 2].every((c) => data[4 * p + c] === rgb[c])) xs.push(p % width), ys.push(Math.floor(p / width));
        }
        const near = xs.map((_, i) => i).filter((i) => Math.abs(xs[i] - xs[0]) < 20 && ys[i] - ys[0] < 20);  // 1 point
        const mean = (a) => near.reduce((s, i) => s + a[i], 0) / near.length;
        return [mean(xs) / width, mean(ys) / height];
    }""", colour))


def count(board) -> int:
    return int(board.get_by_test_id("board-count").inner_text().split()[0])


def wait_for_count(board, n: int) -> None:  # the board's count, once the room's events have said so
    for _ in range(150):
        if count(board) == n:
            return
        board.wait_for_timeout(100)
    assert count(board) == n
