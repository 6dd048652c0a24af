"""The class board in Chromium, as a class uses it: the teacher's board at 1280x720 (the panel "Class board"),
three students on phones (390x844, touch) drawing a 1, a 0 and a 4 with a finger on the join page, each of
them shown pictures the project's judge reads as the digit drawn; then lock, the teacher's reload, a
stranger with the teacher's link, and clear. And the join page's weight on a first visit."""

import re

import numpy as np
import pytest
from boardpage import BOARD, CODE, DIGITS, PHONE, count, dot, finger, on_map, open_board, send, student, wait_for_count
from liveapp import canvas_png, streamlit_server

from vae.judge import probabilities

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with streamlit_server(env={"VAE_BOARD_DIR": str(tmp_path_factory.mktemp("board"))}) as url:
        yield url


def test_a_class_draws_on_the_board_and_the_teacher_keeps_the_powers(browser, server):
    board = open_board(browser, server + BOARD)
    code = board.get_by_test_id("board-code").inner_text()
    join = board.get_by_test_id("board-join-url").get_attribute("href")
    assert CODE.match(code) and join.endswith(f"/board/{code}")
    assert board.get_by_test_id("board-qr").locator("svg").count() == 1
    assert count(board) == 0

    phones = {}
    for digit, address in zip("104", (join, f"{server}/board/{code.lower()}", join)):  # typed by hand: any case
        phone = phones[digit] = student(browser, address)
        scroll = phone.evaluate("() => scrollY")
        finger(phone, DIGITS[digit])
        assert phone.evaluate("() => scrollY") == scroll  # the finger drew; the page did not scroll
        assert "on the board" in send(phone)
        shown = np.stack([canvas_png(phone, t)[0] for t in ("input-image", "decode-ae", "decode-vae-mu")])
        read = probabilities(shown[:, None].astype(np.float32), "mnist").argmax(axis=1).tolist()
        assert read == [int(digit)] * 3, (digit, read)  # the input, the AE's reconstruction, the VAE's mu
        assert phone.get_by_role("heading", name="The last drawing of yours the board took").is_visible()
        assert "pad is empty" in send(phone)  # the drawing the board took is off the pad
    wait_for_count(board, 3)
    assert "3 participants" in board.get_by_test_id("board-count").inner_text()

    board.get_by_role("button", name="Lock board").click()
    board.get_by_role("button", name="Unlock board").wait_for()
    one = phones["1"]
    locked = one.get_by_test_id("board-status").filter(has_text=re.compile(r"^The teacher has locked the board\.$"))
    locked.wait_for(timeout=20_000)  # the phone looks every 5 s: Send waits, and the page says why
    finger(one, DIGITS["1"])
    assert one.get_by_role("button", name="Send to the board").is_disabled() and locked.is_visible()
    assert count(board) == 3

    board.reload()  # the teacher's reload: the same room, and the powers
    board.get_by_test_id("board-code").filter(has_text=code).wait_for(timeout=90_000)
    wait_for_count(board, 3)
    board.get_by_role("button", name="Unlock board").click()
    board.get_by_role("button", name="Lock board").wait_for()
    one.get_by_role("button", name="Send to the board").and_(one.locator(":enabled")).wait_for(timeout=20_000)
    assert not locked.count()  # unlocked: the sentence is gone
    assert "on the board" in send(one)
    wait_for_count(board, 4)

    stranger = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
    stranger.goto(board.url)  # the teacher's link, opened elsewhere: the same room, read-only
    stranger.get_by_test_id("board-code").filter(has_text=code).wait_for(timeout=90_000)
    wait_for_count(stranger, 4)
    assert stranger.get_by_role("button", name="Clear board").count() == 0
    assert stranger.get_by_text("Read-only").is_visible()
    refused = stranger.request.post(f"{server}/board/{code}/clear")  # without the key, by hand
    assert refused.status == 403 and refused.json()["error"]
    assert count(board) == 4

    board.mouse.click(*on_map(board, "board-vae", 0.02, 0.02))  # between points: both models decode there
    assert board.get_by_test_id("board-pick-ae").is_visible() and board.get_by_test_id("board-pick-vae").is_visible()
    assert ringed(board, "board-ae") and ringed(board, "board-vae")  # the place (the same z) marked on both maps
    board.mouse.click(*on_map(board, "board-vae", *dot(board, "board-vae", "#ff7f0e")))  # a 1's point
    read = probabilities(np.stack([canvas_png(board, t)[0] for t in ("board-pick-input", "board-pick-ae",
                                                                     "board-pick-vae")])[:, None], "mnist")
    assert read.argmax(axis=1).tolist() == [1, 1, 1]  # its drawing, and both reconstructions
    board.get_by_role("button", name="Remove").click()
    wait_for_count(board, 3)
    board.get_by_role("button", name="Clear board").click()
    wait_for_count(board, 0)
    wait_for_count(stranger, 0)
    said = []
    for _ in range(5):  # faster than one drawing every 2 s, beyond the burst of 3
        one.get_by_role("button", name="Clear drawing").click()
        finger(one, DIGITS["1"])
        said.append(send(one))
    assert any(re.fullmatch(r"Not sent\. Too fast: .*Send again after .*\.", s) for s in said), said
    for page in (board, stranger, *phones.values()):
        page.context.close()


def test_the_join_page_is_light_and_has_no_streamlit(browser, server):
    code = browser.new_context().request.post(f"{server}/board/rooms", data={"pair": "mnist-z8"}).json()["code"]
    context = browser.new_context(**PHONE)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    wire, urls, sockets = [], [], []
    cdp.on("Network.loadingFinished", lambda e: wire.append(e["encodedDataLength"]))
    page.on("request", lambda r: urls.append(r.url))
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(f"{server}/board/{code}")
    page.get_by_role("button", name="Send to the board").and_(page.locator(":enabled")).wait_for(timeout=30_000)
    page.wait_for_load_state("networkidle")
    assert not sockets and not any("/_stcore/" in url or "/static/" in url for url in urls), urls
    assert 0 < sum(wire) <= 300_000, (sum(wire), urls)
    for name in ("Undo stroke", "Clear drawing"):
        assert page.get_by_role("button", name=name).is_visible()
    context.close()


def ringed(page, test_id: str) -> bool:
    """Whether the map has the pick's ring: pure black pixels, which nothing else on a map is (its axes are light
    grey, its points' colours are not black, the prior's dashed circles are #222)."""
    return page.get_by_test_id(test_id).evaluate("""(canvas) => {
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let black = 0;
        for (let p = 0; p < data.length; p += 4) black += data[p] + data[p + 1] + data[p + 2] === 0;
        return black > 20;
    }""")


TOP_ROW = """(code) => {
    // the code's text against its box and the QR code's, where the join address breaks, what passes the screen
    const root = code.getRootNode(), r = (e) => e.getBoundingClientRect();
    const qr = root.querySelector('[data-testid=board-qr]'), join = root.querySelector('[data-testid=board-join-url]');
    const range = document.createRange();
    range.selectNodeContents(code);
    const text = range.getBoundingClientRect(), box = r(code), q = r(qr);
    const breaks = [];
    let top = null, before = '';
    for (const node of join.childNodes) {
        if (node.nodeType !== Node.TEXT_NODE) continue;
        for (let i = 0; i < node.length; i++) {
            range.setStart(node, i);
            range.setEnd(node, i + 1);
            const at = range.getClientRects()[0].top;
            if (top !== null && at > top + 2) breaks.push(before);
            [top, before] = [at, node.data[i]];
        }
    }
    return {
        text: code.textContent, scroll: code.scrollWidth, client: code.clientWidth,
        inside: text.left >= box.left - 0.5 && text.right <= box.right + 0.5,
        under_qr: text.left < q.right && q.left < text.right && text.top < q.bottom && q.top < text.bottom,
        breaks, join: join.textContent, join_fits: join.scrollWidth <= join.clientWidth,
        past_edge: [...root.querySelectorAll('.live.board *')].filter((e) => r(e).right > innerWidth + 0.5)
            .map((e) => `${e.tagName.toLowerCase()}.${e.className.baseVal ?? e.className}`),
    };
}"""


def test_the_code_and_join_address_are_whole_at_every_screen(browser, server):
    board = open_board(browser, server + BOARD)
    code = board.get_by_test_id("board-code")
    room = code.inner_text()
    sidebar = board.get_by_test_id("stSidebar")
    shown = {}
    for width, height, open_sidebar in [(1280, 720, True), (1024, 768, True), (1024, 768, False), (768, 1024, None),
                                        (390, 844, None)]:
        board.set_viewport_size({"width": width, "height": height})
        if open_sidebar is not None and (sidebar.get_attribute("data-collapsed") == "false") != open_sidebar:
            if open_sidebar:
                board.get_by_test_id("stExpandSidebarButton").click()
            else:
                sidebar.hover()
                board.get_by_role("button", name="Collapse sidebar").click()
            board.wait_for_function(f"() => document.querySelector('[data-testid=stSidebar]')"
                                    f".dataset.collapsed === '{str(not open_sidebar).lower()}'")
        board.wait_for_timeout(800)  # the sidebar's slide and the reflow: a settled layout, not a speed
        top = code.evaluate(TOP_ROW)
        shown[(width, height, sidebar.get_attribute("data-collapsed"))] = top
        assert top["text"] == room and top["scroll"] <= top["client"] and top["inside"], (width, height, top)
        assert not top["under_qr"], (width, height, top)
        assert top["join"].endswith(f"/board/{room}") and top["join_fits"], (width, height, top)
        assert set(top["breaks"]) <= {"/"}, (width, height, top)  # a line breaks only after a "/"
        assert not top["past_edge"], (width, height, top)  # nothing past the screen's right edge (a phone too)
    assert {sidebar for (*_, sidebar) in shown} == {"true", "false"}, shown.keys()
    board.context.close()
