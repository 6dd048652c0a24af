"""A real `streamlit run app.py` on 127.0.0.1 and a headless Chromium to look at it.

Used by the browser tests and by anything else (benchmarks, screenshots) that needs the page as a
person sees it. Processes started here are stopped here, by pid.
"""

import base64
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts"  # screenshots the browser tests take, to look at
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


class ServerURL(str):
    """The base URL of a running server, which also knows the server's pid."""

    pid: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(app: Path = ROOT / "app.py", env: dict | None = None, timeout: float = 60, args=()):
    """Yields the base URL of a running server (args go to the app, after --); stops it (by pid) on exit."""
    port = free_port()
    log = open(ROOT / f".streamlit-{port}.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(app), f"--server.port={port}",
         "--server.headless=true", "--server.address=127.0.0.1", "--server.fileWatcherType=none",
         "--browser.gatherUsageStats=false", "--", *args],
        cwd=ROOT, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT,
    )
    url = ServerURL(f"http://127.0.0.1:{port}")
    url.pid = proc.pid
    try:
        wait_for_health(url, proc, timeout, Path(log.name))
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        Path(log.name).unlink(missing_ok=True)


def wait_for_health(url: str, proc: subprocess.Popen, timeout: float, log: Path) -> None:
    """Until the server at url answers /_stcore/health; RuntimeError with its log's tail if it exits or
    does not answer in timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"streamlit did not start in {timeout} s: {log.read_text()[-2000:]}")
        time.sleep(0.2)


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


def open_app(browser, url: str, width: int = 1600, height: int = 1000):
    """A fresh context (its own session) on the page, waited until the explorer has drawn."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector('input[type="range"][aria-label="mu_0"]', timeout=60_000)
    page.get_by_test_id("kl-total").filter(has_text="nats").wait_for(timeout=60_000)
    wait_until_idle(page)
    return page


def kl_text(page) -> str:
    """The browser's KL total, e.g. "4.324 nats" (Playwright's selectors pierce the component's shadow root)."""
    return page.get_by_test_id("kl-total").inner_text()


def kl_nats(page) -> float:
    return float(kl_text(page).split()[0])


def canvas_pixels(page, test_id: str) -> str:
    """What a picture shows now, as a data URL of its canvas."""
    return page.get_by_test_id(test_id).evaluate("canvas => canvas.toDataURL()")


def answers(page) -> int:
    """How many of its commits the explorer has heard answered (live/explorer.js keeps the list)."""
    return page.evaluate("(globalThis.__live?.settled ?? []).length")


def wait_for_answer(page, before: int, timeout: float = 15_000) -> None:
    """Until the server has answered a commit made after answers() was before, and its rerun is over."""
    page.wait_for_function(f"(globalThis.__live?.settled ?? []).length > {before}", timeout=timeout)
    wait_until_idle(page)


def drawings_heard(page) -> int:
    """How many of the drawing pad's commits the server has answered (live/js/hooks.js keeps the list)."""
    return page.evaluate("(globalThis.__live?.heard ?? []).length")


def wait_for_drawing(page, before: int, timeout: float = 15_000) -> None:
    """Until the server has answered a drawing committed after drawings_heard() was before."""
    page.wait_for_function(f"(globalThis.__live?.heard ?? []).length > {before}", timeout=timeout)
    wait_until_idle(page)


def wait_until_idle(page, timeout: float = 30_000) -> None:
    """Until Streamlit reports no script running (the status widget disappears)."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout
    )


def canvas_png(page, test_id: str) -> tuple[np.ndarray, bytes]:
    """A canvas's pixels as the browser reads them (R / 255), and as the PNG it makes of them."""
    png = base64.b64decode(canvas_pixels(page, test_id).split(",", 1)[1])
    rgba = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"), dtype=np.float64)
    return rgba[..., 0] / 255, png
