"""python -m benchmarks [--quick] [--out DIR]

Measures the figures of the performance issue on this machine and writes them, with the machine's
description, to results.md and results.json. Medians over repeated runs; targets are compared
here, never asserted in tests. --quick runs every measurement on a small budget (CI's smoke test).
"""

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import numpy as np  # noqa: E402
import torch  # noqa: E402
from liveapp import (  # noqa: E402
    chromium_path,
    launch_chromium,
    open_app,
    rss_mb,
    streamlit_server,
    wait_until_idle,
)
from streamlit_client import Session  # noqa: E402

import vae  # noqa: E402

TARGETS = {  # figure -> (target text, test on the measured value)
    "drag_mlp": ("input event → KL and pictures redrawn p95 ≤ 16.7 ms; decode + draw p95 ≤ 2 ms; 0 frames "
                 "during the drag, 1 after", lambda m: m["event_to_drawn"]["p95"] <= 16.7
                 and m["decode_draw"]["p95"] <= 2 and m["frames_during"] == 0 and m["frames_after_release"] == 1),
    "drag_mnist": ("input event → KL and pictures redrawn p95 ≤ 16.7 ms; decode + draw p95 ≤ 2 ms; 0 frames "
                   "during the drag, 1 after", lambda m: m["event_to_drawn"]["p95"] <= 16.7
                   and m["decode_draw"]["p95"] <= 2 and m["frames_during"] == 0 and m["frames_after_release"] == 1),
    "drag_conv": ("input event → KL and pictures redrawn p95 ≤ 16.7 ms; decode + draw p95 ≤ 8 ms; 0 frames "
                  "during the drag, 1 after", lambda m: m["event_to_drawn"]["p95"] <= 16.7
                  and m["decode_draw"]["p95"] <= 8 and m["frames_during"] == 0 and m["frames_after_release"] == 1),
    "key_to_kl_ms": ("(in the page: keydown → new KL text)", lambda m: True),
    "key_ratio_to_floor": ("< 1 (key → new KL, against the floor page's server round trip)",
                           lambda m: m["value"] < 1),
    "key_to_settled_ms": ("p50 ≤ 150, p95 ≤ 300 (key → commit → the server's answer in the page)",
                          lambda m: m["p50"] <= 150 and m["p95"] <= 300),
    "key_bursts_lost": ("0 steps lost (bursts of 8 presses, 15–60 ms apart)", lambda m: m["value"] == 0),
    "bytes_per_commit": ("(no target: what the server sends per commit, weights excluded)", lambda m: True),
    "server_ms": ("p50 ≤ 20 (the server alone: one session over the websocket)", lambda m: m["p50"] <= 20),
    "server_ms_beside_browser": ("(no target: Chromium shares the 2 cores)", lambda m: True),
    "model_compute_ms": ("digits ≤ 1, sprites ≤ 5", lambda m: all(
        v <= (5 if k.startswith("sprites") else 1) for k, v in m["p50_by_model"].items())),
    "first_render_s": ("≤ 5 cold, ≤ 1.5 warm", lambda m: m["cold"] <= 5 and m["warm"] <= 1.5),
    "memory_mb": ("≤ 450 with every model; growth ≤ 20 over 500 interactions",
                  lambda m: m["all_models_loaded"] <= 450 and m["growth"] <= 20),
    "class_students": ("p95 ≤ 1 s, 0 errors, own state only", lambda m: m["p95"] <= 1000 and m["errors"] == 0),
    "class_100_students": ("p95 ≤ 1 s, 0 errors, own state only", lambda m: m["p95"] <= 1000 and m["errors"] == 0),
    "class_hammer": ("(no target: no think time at all)", lambda m: True),
    "first_visit_ws_kb": ("≤ 200 KB over the websocket (a first visit in Chromium)", lambda m: m["value"] <= 200),
    "reload_kb": ("≤ 300 KB in all, HTTP and websocket (a reload in the same browser)", lambda m: m["value"] <= 300),
    "visit_cpu_ratio": ("≤ 4 (server CPU per first visit, against the floor page's, one run)",
                        lambda m: m["value"] <= 4),
    "visit_storm": ("p95 ≤ 1.5 s to a usable page, 100 first visits at once on one replica, 0 errors",
                    lambda m: m["p95"] <= 1500 and m["errors"] == 0),
    "draw_mnist": ("pointer move → converted, encoded, decoded and drawn p95 ≤ 16.7 ms; encode + decode p95 ≤ 4 ms; "
                   "0 frames during a stroke, 1 after", lambda m: m["move_to_drawn"]["p95"] <= 16.7
                   and m["encode_decode"]["p95"] <= 4 and m["frames_during"] == 0 and m["frames_after"] == 1),
    "draw_sprites": ("pointer move → converted, encoded, decoded and drawn p95 ≤ 16.7 ms; 0 frames during a "
                     "stroke, 1 after", lambda m: m["move_to_drawn"]["p95"] <= 16.7 and m["frames_during"] == 0
                     and m["frames_after"] == 1),
    "stroke_cpu_ratio": ("≤ 1.5 (the server's CPU per stroke on the pad, against per slider release)",
                         lambda m: m["value"] <= 1.5),
    "training_ratio": ("≥ 0.95", lambda m: m["value"] >= 0.95),
    "rebuild_s": ("≤ 2700 (45 min)", lambda m: m["value"] <= 2700),
}


def milliseconds(values_ms) -> dict:
    ms = sorted(values_ms)
    return {"p50": round(statistics.median(ms), 1), "p95": round(ms[min(len(ms) - 1, int(0.95 * len(ms)))], 1),
            "n": len(ms)}


def percentiles(values_s) -> dict:
    return milliseconds([v * 1000 for v in values_s])


# ---- in-process figures -------------------------------------------------------------------------------


def model_compute(repeats: int) -> dict:
    """Encode + decode of one input per shipped model, one thread as the app runs it."""
    torch.set_num_threads(1)
    out = {}
    for card in vae.list_pretrained():
        model = vae.load_pretrained(card.name)
        x = vae.load_dataset(card.dataset, "test").images[:1]
        times = []
        with torch.inference_mode():
            for _ in range(repeats):
                start = time.perf_counter()
                model.decode(model.encode(x).mu)
                times.append(time.perf_counter() - start)
        out[card.name] = round(statistics.median(times) * 1000, 3)
    return {"p50_by_model": out}


def training_ratio(epochs: int, rounds: int) -> dict:
    """vae.train against a plain PyTorch loop: same model, data, batch, optimiser; examples per second."""
    from vae.train import train

    torch.set_num_threads(2)
    cfg = vae.TrainConfig(dataset="digits", kind="vae", latent_dim=8, epochs=epochs, batch_size=64)
    data = vae.load_dataset("digits", "train").images  # loaded once before either clock starts
    train(vae.TrainConfig(dataset="digits", kind="vae", latent_dim=8, epochs=1), progress=False)  # warm-up
    ratios = []
    for _ in range(rounds):
        start = time.perf_counter()
        train(cfg, progress=False)
        ours = epochs * len(data) / (time.perf_counter() - start)

        torch.manual_seed(0)
        model = vae.build_model(vae.ModelCard(name="plain", kind="vae", dataset="digits", image_shape=(1, 8, 8),
                                              latent_dim=8, architecture={"type": "mlp", "hidden": [256, 128]}))
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        start = time.perf_counter()
        for _ in range(epochs):
            for idx in torch.randperm(len(data)).split(64):
                x = data[idx]
                enc = model.encode(x)
                z = enc.mu + enc.log_sigma.exp() * torch.randn_like(enc.mu)
                rec = torch.nn.functional.binary_cross_entropy_with_logits(model.decode_logits(z), x, reduction="none")
                kl = 0.5 * (enc.mu**2 + (2 * enc.log_sigma).exp() - 2 * enc.log_sigma - 1)
                loss = rec.flatten(1).sum(1).mean() + kl.sum(1).mean()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        plain = epochs * len(data) / (time.perf_counter() - start)
        ratios.append(ours / plain)
    return {"value": round(statistics.median(ratios), 3), "rounds": [round(r, 3) for r in ratios]}


def rebuild_seconds(quick: bool) -> dict:
    if quick:
        seconds = sum(c.training.get("seconds", 0) for c in vae.list_pretrained())
        return {"value": round(seconds, 1), "how": "sum of the training times the shipped cards record"}
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "vae", "rebuild", "--out", out, "--quiet"], cwd=ROOT, check=True)
        return {"value": round(time.perf_counter() - start, 1), "how": "python -m vae rebuild into a temporary folder"}


# ---- the server, through the browser and through the websocket -----------------------------------------

# Timed inside the page, on its own clock: from a key's keydown event to the moment the watched
# text has changed (a MutationObserver), so Playwright's own round trips are not counted.
WATCH_KEY = """([selector, inShadow]) => {
    const find = () => inShadow
        ? [...document.querySelectorAll('*')].map(e => e.shadowRoot?.querySelector(selector)).find(Boolean)
        : document.querySelector(selector);
    const target = find(), before = target.textContent;
    window.__timed = null;
    document.addEventListener('keydown', (e) => {
        const pressed = e.timeStamp;
        const observer = new MutationObserver(() => {
            if (target.textContent !== before) { window.__timed = performance.now() - pressed; observer.disconnect(); }
        });
        observer.observe(target, {childList: true, characterData: true, subtree: true});
    }, {capture: true, once: true});
}"""
KL_SHOWN = ('[data-testid="kl-total"]', True)  # the explorer's KL, inside its component
FLOOR_KL_SHOWN = ('[data-testid="stMetricValue"]', False)


def key_to_text(page, key: str, watched) -> float:
    """ms from a key press to new text in the watched element, timed in the page."""
    page.evaluate(WATCH_KEY, list(watched))
    page.keyboard.press(key)
    page.wait_for_function("() => window.__timed !== null", timeout=15_000)
    return page.evaluate("window.__timed")


def key_presses(page, n: int, watched, settle) -> list[float]:
    page.locator('input[type="range"][aria-label="mu_0"]').focus()
    times = []
    for i in range(n):  # back and forth between two values: every press changes the KL
        times.append(key_to_text(page, ("ArrowRight", "ArrowLeft")[i % 2], watched))
        settle()
    return times


def key_to_settled(page, n: int) -> list[float]:
    """ms from a key press to the server's answer to its commit reaching the page (after the key
    pause and the server's rerun: the link and the open panel now follow the settled code); timed in
    the page. The stochastic panel, open, is redrawn in the browser at the key press itself."""
    page.locator('input[type="range"][aria-label="mu_0"]').focus()
    times = []
    for i in range(n):
        page.evaluate("() => { globalThis.__live.settled.length = 0; window.__pressed = null; "
                      "document.addEventListener('keydown', (e) => { window.__pressed = e.timeStamp; }, "
                      "{capture: true, once: true}); }")
        page.keyboard.press(("ArrowRight", "ArrowLeft")[i % 2])
        page.wait_for_function("() => globalThis.__live.settled.length > 0", polling="raf", timeout=15_000)
        times.append(page.evaluate("globalThis.__live.settled[0].at - window.__pressed"))
        wait_until_idle(page)
    return times


def drag(page, moves: int) -> dict:
    """A mouse drag on mu_0 with the button held: the component's own per-event timings (input event
    to KL text and pictures redrawn; decode + draw alone) and the websocket frames sent meanwhile."""
    frames = page.evaluate("window.__framesSent")
    page.evaluate("globalThis.__live.timings.length = 0; globalThis.__live.samplesTimings.length = 0")
    box = page.locator('input[type="range"][aria-label="mu_0"]').bounding_box()
    x, y = box["x"] + 4, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, moves + 1):
        page.mouse.move(x + i * (box["width"] - 8) / moves, y)
    during = page.evaluate("window.__framesSent") - frames
    timings = page.evaluate("globalThis.__live.timings.slice()")
    panel = page.evaluate("globalThis.__live.samplesTimings.slice()")  # the open stochastic panel's redraws
    page.mouse.up()
    page.wait_for_timeout(1000)
    wait_until_idle(page)
    after = page.evaluate("window.__framesSent") - frames - during
    return {"event_to_drawn": milliseconds([t["total"] for t in timings]),
            "decode_draw": milliseconds([t["work"] for t in timings]),
            "frames_during": during, "frames_after_release": after, "events": len(timings),
            "panel_redraw": milliseconds(panel) if panel else {"n": 0}}


COUNT_FRAMES = """() => { window.__framesSent = 0; const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (...args) { window.__framesSent += 1; return send.apply(this, args); }; }"""


def key_bursts(page, bursts: int) -> dict:
    """Bursts of 8 key presses, 15-60 ms apart: how many steps the slider lost once all replies are in."""
    slider = page.locator('input[type="range"][aria-label="mu_0"]')
    slider.focus()
    page.keyboard.press("Home")
    page.wait_for_timeout(600)
    start = slider.evaluate("s => s.valueAsNumber")
    rng = np.random.default_rng(0)
    for _ in range(bursts):
        for _ in range(8):
            page.keyboard.press("ArrowRight")
            page.wait_for_timeout(int(rng.integers(15, 61)))
        page.wait_for_timeout(int(rng.integers(30, 200)))
    page.wait_for_timeout(1500)
    wait_until_idle(page)
    moved = round((slider.evaluate("s => s.valueAsNumber") - start) / 0.05)
    return {"value": 8 * bursts - moved, "presses": 8 * bursts}


def browser_figures(n: int) -> dict:
    from playwright.sync_api import sync_playwright

    timings = Path(tempfile.mkstemp(suffix=".txt")[1])
    out = {}
    with sync_playwright() as p:
        browser = launch_chromium(p)
        # first render, cold: from `streamlit run` to the page fully drawn in the browser
        start = time.perf_counter()
        with streamlit_server(env={"EXPLORER_TIMINGS": str(timings)}) as url:
            page = open_app(browser, url)
            cold = time.perf_counter() - start
            warm = []
            for _ in range(5):  # later visitors on a warm server, each in a fresh browser context
                start = time.perf_counter()
                visitor = open_app(browser, url)
                warm.append(time.perf_counter() - start)
                visitor.context.close()
            out["first_render_s"] = {"cold": round(cold, 2), "warm": round(statistics.median(warm), 2),
                                     "warm_each": [round(w, 2) for w in warm]}
            out |= visit_bytes(browser, url)
            for name, query in DRAGGED:
                context = browser.new_context(viewport={"width": 1280, "height": 720})
                context.add_init_script(f"({COUNT_FRAMES})()")
                dragged = open_app_in(context, f"{url}/?{query}")
                out[f"drag_{name}"] = drag(dragged, 30)
                if name == "mlp":
                    out["key_bursts_lost"] = key_bursts(dragged, 5 if n > 10 else 2)
                if name in ("mnist", "conv"):  # the default pair and the sprites pair: drawn on the pad
                    drawn = "draw_mnist" if name == "mnist" else "draw_sprites"
                    out[drawn] = draw_figures(dragged, 2 if n <= 10 else 5)
                context.close()
            out["stroke_cpu_ratio"] = stroke_cpu(browser, url, 4 if n <= 10 else 20)
            key_presses(page, 3, KL_SHOWN, lambda: page.wait_for_timeout(300))  # warm-up
            out["key_to_kl_ms"] = milliseconds(key_presses(page, n, KL_SHOWN, lambda: page.wait_for_timeout(250)))
            timings.write_text("")
            out["key_to_settled_ms"] = milliseconds(key_to_settled(page, n))
            server = [float(line.split()[1]) for line in timings.read_text().splitlines()]
            out["server_ms_beside_browser"] = milliseconds(server)
            page.context.close()
        with streamlit_server(app=ROOT / "benchmarks" / "floor_app.py") as url:
            context = browser.new_context()
            page = context.new_page()
            page.goto(url)
            page.wait_for_selector('input[type="range"][aria-label="mu_0"]', timeout=60_000)
            wait_until_idle(page)
            settle = lambda: wait_until_idle(page)  # noqa: E731
            key_presses(page, 3, FLOOR_KL_SHOWN, settle)
            out["floor_key_to_kl_ms"] = milliseconds(key_presses(page, n, FLOOR_KL_SHOWN, settle))
            context.close()
        browser.close()
    timings.unlink()
    out["key_ratio_to_floor"] = {"value": round(out["key_to_kl_ms"]["p50"] / out["floor_key_to_kl_ms"]["p50"], 3)}
    return out


def visit_bytes(browser, url: str) -> dict:
    """A first visit, then a reload, in one Chromium context, counted by Chromium itself (CDP's Network
    events): KB received over the websocket on the first visit, and KB moved in all on the reload (HTTP as
    it came over the network, headers included; websocket frames both ways)."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    moved = {"http": 0, "ws_in": 0, "ws_out": 0}

    def frame(event, way):
        payload = event["response"]["payloadData"]  # a binary frame comes base64-encoded
        moved[way] += len(payload) * 3 // 4 if event["response"]["opcode"] == 2 else len(payload.encode())

    cdp.on("Network.loadingFinished", lambda e: moved.__setitem__("http", moved["http"] + e["encodedDataLength"]))
    cdp.on("Network.webSocketFrameReceived", lambda e: frame(e, "ws_in"))
    cdp.on("Network.webSocketFrameSent", lambda e: frame(e, "ws_out"))
    page.goto(url)
    page.get_by_test_id("kl-total").filter(has_text="nats").wait_for(timeout=60_000)
    wait_until_idle(page)
    page.wait_for_timeout(1500)
    first = dict(moved)
    moved.update(http=0, ws_in=0, ws_out=0)
    page.reload()
    page.get_by_test_id("kl-total").filter(has_text="nats").wait_for(timeout=60_000)
    wait_until_idle(page)
    page.wait_for_timeout(1500)
    again = dict(moved)
    context.close()
    kb = lambda n: round(n / 1000, 1)  # noqa: E731
    return {"first_visit_ws_kb": {"value": kb(first["ws_in"]), "http_kb": kb(first["http"]),
                                  "sent_kb": kb(first["ws_out"])},
            "reload_kb": {"value": kb(again["http"] + again["ws_in"] + again["ws_out"]), "http_kb": kb(again["http"]),
                          "ws_kb": kb(again["ws_in"] + again["ws_out"])}}


def draw_figures(page, strokes: int = 3, moves: int = 30) -> dict:
    """Strokes on the drawing pad with the mouse: per pointer move, in the page, event → converted, encoded,
    decoded and drawn, and encode + decode alone; websocket frames sent during the strokes and after."""
    pad = page.get_by_test_id("draw-pad")
    pad.scroll_into_view_if_needed()
    page.evaluate("globalThis.__live.drawTimings.length = 0")
    box = pad.bounding_box()
    during, after = 0, 0
    for s in range(strokes):
        frames = page.evaluate("window.__framesSent")
        x0, y0 = box["x"] + box["width"] * (0.2 + 0.15 * (s % 4)), box["y"] + box["height"] * 0.15
        page.mouse.move(x0, y0)
        page.mouse.down()
        for i in range(1, moves + 1):
            page.mouse.move(x0 + box["width"] * 0.1 * np.sin(i / 5), y0 + box["height"] * 0.7 * i / moves)
        during += page.evaluate("window.__framesSent") - frames
        page.mouse.up()
        page.wait_for_timeout(800)
        wait_until_idle(page)
        after += page.evaluate("window.__framesSent") - frames
    timings = page.evaluate("globalThis.__live.drawTimings.slice()")
    return {"move_to_drawn": milliseconds([t["total"] for t in timings]),
            "encode_decode": milliseconds([t["encodeDecode"] for t in timings]),
            "frames_during": during, "frames_after": round((after - during) / strokes, 2), "moves": len(timings)}


def stroke_cpu(browser, url, rounds: int) -> dict:
    """The server's CPU (user + system) per stroke on the pad, against per slider release, on the default page
    (the stochastic panel open): each stroke a new drawing, each release a new code, one after another."""
    page = open_app(browser, url, 1280, 900)
    pad = page.get_by_test_id("draw-pad")
    pad.scroll_into_view_if_needed()

    def stroke(i: int) -> None:
        box, heard = pad.bounding_box(), page.evaluate("globalThis.__live.heard.length")
        x, y = box["x"] + box["width"] * (0.3 + 0.4 * (i % 5) / 5), box["y"] + box["height"] * 0.2
        page.mouse.move(x, y)
        page.mouse.down()
        for k in range(1, 11):
            page.mouse.move(x + box["width"] * 0.05 * np.sin(k), y + box["height"] * 0.06 * k)
        page.mouse.up()
        page.wait_for_function(f"globalThis.__live.heard.length > {heard}", timeout=15_000)
        wait_until_idle(page)

    def release(i: int) -> None:
        settled = page.evaluate("globalThis.__live.settled.length")
        page.locator(f'input[type="range"][aria-label="sigma_{i % 8}"]').focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"globalThis.__live.settled.length > {settled}", timeout=15_000)
        wait_until_idle(page)

    def cpu_ms(act, i: int) -> float:
        page.wait_for_timeout(300)  # the page's own requests after the last act have settled
        before = cpu_seconds([url.pid])
        act(i)
        return (cpu_seconds([url.pid]) - before) * 1000

    stroke(0), release(0)  # warm-up: the encoders fetched, the panel's caches filled
    strokes, releases = [], []
    for i in range(1, rounds + 1):
        strokes.append(cpu_ms(stroke, i))
        releases.append(cpu_ms(release, i))
    page.context.close()
    per_stroke, per_release = statistics.median(strokes), statistics.median(releases)
    return {"value": round(per_stroke / per_release, 2), "stroke_ms": round(per_stroke, 1),
            "release_ms": round(per_release, 1), "rounds": rounds}


# MLP decoders (8x8 digits, and the default page's 28x28 MNIST) and the conv one, the stochastic panel open
DRAGGED = (("mlp", "pair=digits-z8"), ("mnist", "pair=mnist-z8"), ("conv", "pair=sprites-z6"))


def open_app_in(context, url: str):
    page = context.new_page()
    page.goto(url)
    page.get_by_test_id("kl-total").filter(has_text="nats").wait_for(timeout=60_000)
    wait_until_idle(page)
    return page


EVERY_MODEL = ["pair=digits-z2", "pair=digits-z8&vae=digits-vae-z8-b0.1", "pair=digits-z8&vae=digits-vae-z8-b4",
               "pair=digits-z8&vae=digits-vae-z8-from-ae&panel=AE+%E2%86%92+VAE+conversion",
               "pair=sprites-z6&vae=sprites-vae-z6-b4"]


async def memory_figures(url, interactions: int, timings: Path) -> dict:
    """RSS with every model loaded, then its growth over interactions slider moves in one session,
    during which the explorer's own server time is recorded (nothing else runs on the machine)."""
    for query in EVERY_MODEL:  # each visit loads what its page needs; together, every shipped model
        visitor = Session(url, query_string=query)
        await visitor.connect()
        await visitor.close()
    loaded = rss_mb(url.pid)
    session = Session(url)
    await session.connect()
    first_visit = session.received_bytes  # the page, with both models' weights and the input
    for i in range(20):
        await session.set_code(mu_0=-1 + 0.05 * (i % 40))
    before = rss_mb(url.pid)
    timings.write_text("")
    received = session.received_bytes
    for i in range(interactions):
        await session.set_code(mu_0=-1 + 0.05 * (i % 40))
    after = rss_mb(url.pid)
    per_commit = (session.received_bytes - received) / interactions
    await session.close()
    server = milliseconds([float(line.split()[1]) for line in timings.read_text().splitlines()])
    return {"memory_mb": {"all_models_loaded": round(loaded, 1), "growth": round(after - before, 1),
                          "interactions": interactions}, "server_ms": server,
            "bytes_per_commit": {"value": round(per_commit), "first_visit": first_visit}}


async def class_figures(url, sessions: int, seconds: float, think: float) -> dict:
    """sessions students moving mu_0 for seconds, each pausing think seconds (on average) between moves;
    every session checks that the page shows the KL of its own value."""
    from pagetest import expected_kl_text

    rng = np.random.default_rng(0)
    values = {s: [round(-3 + 0.05 * ((7 * s + k) % 120), 2) for k in range(6)] for s in range(sessions)}
    expected = expected_kl_text({v for vs in values.values() for v in vs})
    latencies, problems = [], []

    async def student(s):
        session = Session(url)
        try:
            await session.connect()
            await asyncio.sleep(rng.uniform(0, think))  # students do not start in step
            deadline, i = time.monotonic() + seconds, 0
            while time.monotonic() < deadline:
                value = values[s][i % len(values[s])]
                latencies.append(await session.set_code(mu_0=value))
                if session.kl() != expected[value]:
                    problems.append(f"session {s} saw another state")
                i += 1
                await asyncio.sleep(rng.uniform(0.5, 1.5) * think)
            problems.extend(session.errors)
        except Exception as e:
            problems.append(f"{type(e).__name__}: {e}")
        finally:
            await session.close()

    await asyncio.gather(*(student(s) for s in range(sessions)))
    return {**percentiles(latencies), "errors": len(problems), "sessions": sessions, "seconds": seconds,
            "think_s": think, "examples": problems[:3]}


async def http_get_all(base: str, paths: list[str], cookie: str = "", connections: int = 6) -> int:
    """GET every path as a browser does: over at most six kept-alive connections to the host. Returns the
    bytes received; RuntimeError for an answer that is not 200."""
    parts = urlsplit(base)
    headers = (f"Host: {parts.netloc}\r\nAccept-Encoding: gzip, deflate, br\r\n"  # as a browser asks
               + (f"Cookie: replica={cookie}\r\n" if cookie else ""))
    queue = list(paths)
    received = 0

    async def connection():
        nonlocal received
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            while queue:
                path = queue.pop()
                writer.write(f"GET {path} HTTP/1.1\r\n{headers}\r\n".encode())
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                fields = dict(line.lower().split(b":", 1) for line in head.split(b"\r\n")[1:] if b":" in line)
                if b"content-length" in fields:
                    length = int(fields[b"content-length"])
                    await reader.readexactly(length)
                else:  # chunked: what nginx gzips as it passes it on
                    length = 0
                    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                        length += len(await reader.readexactly(size + 2)) - 2
                    await reader.readuntil(b"\r\n")
                received += len(head) + length
                if status != 200:
                    raise RuntimeError(f"{path}: HTTP {status}")
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(min(connections, len(paths)))))
    return received


def files_of(session) -> list[str]:
    """Every file a browser fetches for this page: the component's code (main.js imports every module) and
    the files its mounts name (the decoders, the input, draws of eps; an encoder only once a drawing begins)."""
    from routes.files import CODE

    urls = set()
    for element, _ in session.elements.values():
        if element.WhichOneof("type") != "bidi_component" or '"live"' not in element.bidi_component.json:
            continue
        data = json.loads(element.bidi_component.json)
        folder = data["code"].rsplit("/", 1)[0]
        urls |= {f"{folder}/{name}" for name in CODE if name.endswith((".js", ".css"))}
        live = data["live"]
        for value in [live.get("x"), live.get("eps_draws"), live.get("images"),
                      *[(live.get(m) or {}).get("decoder") for m in ("ae", "vae")]]:
            if isinstance(value, str) and value.startswith("/files/"):
                urls.add(value)
    return sorted(urls)


async def first_visit(url: str, session_type=Session, query: str = "") -> float:
    """A first visit as a cold browser makes it: the page's script run over the websocket, then every file
    its component fetches. Seconds until the page is usable."""
    start = time.perf_counter()
    session = session_type(url, query_string=query)
    try:
        await session.connect()
        await http_get_all(url, files_of(session), getattr(session, "cookie", ""))
        if session.errors:
            raise RuntimeError(session.errors[0])
    finally:
        await session.close()
    return time.perf_counter() - start


def cpu_seconds(pids) -> float:
    """User + system CPU time of these processes so far (/proc/PID/stat fields 14 and 15)."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


async def visits_cpu(url, visits: int) -> float:
    """The server's CPU seconds per first visit, visits one after another (after one to warm it)."""
    await first_visit(url)
    before = cpu_seconds([url.pid])
    for _ in range(visits):
        await first_visit(url)
    return (cpu_seconds([url.pid]) - before) / visits


async def visit_storm(url, visits: int, session_type=Session) -> dict:
    """visits first visits at once: seconds each took to a usable page, and what went wrong."""
    results = await asyncio.gather(*(first_visit(url, session_type) for _ in range(visits)), return_exceptions=True)
    times = [r for r in results if isinstance(r, float)]
    errors = [f"{type(r).__name__}: {r}" for r in results if not isinstance(r, float)]
    return {**(percentiles(times) if times else {"p50": None, "p95": None, "n": 0}), "errors": len(errors),
            "visits": visits, "examples": errors[:3]}


def visit_figures(quick: bool) -> dict:
    """The server's CPU per first visit against Streamlit's one-slider floor page, in one run; and a class
    arriving at once on one replica."""
    visits = 5 if quick else 20
    with streamlit_server() as url:
        ours = asyncio.run(visits_cpu(url, visits))
        storm = asyncio.run(visit_storm(url, 20 if quick else 100))
    with streamlit_server(app=ROOT / "benchmarks" / "floor_app.py") as url:
        floor = asyncio.run(visits_cpu(url, visits))
    return {"visit_cpu_ratio": {"value": round(ours / floor, 2), "ours_ms": round(ours * 1000, 1),
                                "floor_ms": round(floor * 1000, 1), "visits": visits},
            "visit_storm": storm}


def server_figures(quick: bool) -> dict:
    timings = Path(tempfile.mkstemp(suffix=".txt")[1])
    with streamlit_server(env={"EXPLORER_TIMINGS": str(timings)}) as url:
        alone = asyncio.run(memory_figures(url, 100 if quick else 500, timings))
        seconds = 5 if quick else 60
        students = asyncio.run(class_figures(url, 30, seconds, think=1.0))
        hundred = asyncio.run(class_figures(url, 100, seconds, think=1.0))
        hammer = asyncio.run(class_figures(url, 30, seconds, think=0.0))
        health = urllib.request.urlopen(f"{url}/_stcore/health", timeout=5).status
    timings.unlink()
    return {**alone, "class_students": students, "class_100_students": hundred, "class_hammer": hammer,
            "health_after": health}


# ---- the report -----------------------------------------------------------------------------------------


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next(int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))
    import streamlit

    chromium = subprocess.run([chromium_path() or "chromium", "--version"], capture_output=True, text=True).stdout
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_mb": mem, "python": platform.python_version(),
            "torch": torch.__version__, "streamlit": streamlit.__version__, "chromium": chromium.strip(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def describe(name: str, m: dict) -> str:
    if name.startswith("drag_"):
        return (f"event → drawn p50 {m['event_to_drawn']['p50']} / p95 {m['event_to_drawn']['p95']} ms; decode + draw "
                f"p50 {m['decode_draw']['p50']} / p95 {m['decode_draw']['p95']} ms ({m['events']} input events); "
                f"frames sent: {m['frames_during']} during, {m['frames_after_release']} after release; "
                + (f"the stochastic panel redrawn {m['panel_redraw']['n']} times during the drag, p50 "
                   f"{m['panel_redraw']['p50']} / p95 {m['panel_redraw']['p95']} ms each" if m["panel_redraw"]["n"]
                   else "the stochastic panel redrawn on release (too slow to follow the hand)"))
    if name == "bytes_per_commit":
        return f"{m['value']} bytes per commit; {m['first_visit']} bytes for a first visit (page, weights, input)"
    if name == "key_bursts_lost":
        return f"{m['value']} of {m['presses']} presses"
    if "p50" in m:
        unit = " ms" if "ms" in name or name.startswith("class") else ""
        extra = f", {m['errors']} errors, {m['sessions']} sessions × {m['seconds']} s, think {m['think_s']} s" \
            if name.startswith("class") else ""
        return f"p50 {m['p50']}{unit}, p95 {m['p95']}{unit} (n = {m['n']}){extra}"
    if name == "model_compute_ms":
        return ", ".join(f"{k} {v} ms" for k, v in m["p50_by_model"].items())
    if name == "first_visit_ws_kb":
        return f"{m['value']} KB over the websocket ({m['http_kb']} KB over HTTP, into the browser's cache)"
    if name == "reload_kb":
        return f"{m['value']} KB in all ({m['http_kb']} KB HTTP, {m['ws_kb']} KB websocket)"
    if name == "visit_cpu_ratio":
        return (f"{m['value']} ({m['ours_ms']} ms against {m['floor_ms']} ms of CPU per first visit, "
                f"{m['visits']} visits)")
    if name == "stroke_cpu_ratio":
        return (f"{m['value']} ({m['stroke_ms']} ms of CPU per stroke against {m['release_ms']} ms per slider "
                f"release, medians of {m['rounds']})")
    if name == "visit_storm":
        return f"p50 {m['p50']} ms, p95 {m['p95']} ms, {m['errors']} errors ({m['visits']} visits at once)"
    if name.startswith("draw_"):
        return (f"move → drawn p50 {m['move_to_drawn']['p50']} / p95 {m['move_to_drawn']['p95']} ms; encode + decode "
                f"p50 {m['encode_decode']['p50']} / p95 {m['encode_decode']['p95']} ms ({m['moves']} moves); frames: "
                f"{m['frames_during']} during the strokes, {m['frames_after']} after each")
    if name == "first_render_s":
        return f"cold {m['cold']} s, warm {m['warm']} s (median of {len(m['warm_each'])} visitors)"
    if name == "memory_mb":
        return f"{m['all_models_loaded']} MB with every model; +{m['growth']} MB over {m['interactions']} interactions"
    return f"{m['value']}" + (f" ({m['how']})" if "how" in m else "")


def only_stroke_cpu(quick: bool) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p, streamlit_server() as url:
        browser = launch_chromium(p)
        figure = stroke_cpu(browser, url, 4 if quick else 20)
        browser.close()
    figure["measured"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return figure


def write_report(results: dict, out: Path, command: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    rows = ["# Benchmarks", "", f"Measured by `{command}` on {results['machine']['date']}.", "",
            "Machine: " + ", ".join(f"{k} {v}" for k, v in results["machine"].items() if k != "date") + ".", "",
            "| figure | target | measured | met |", "|---|---|---|---|"]
    for name, (target, met) in TARGETS.items():
        if name in results["figures"]:
            m = results["figures"][name]
            rows.append(f"| {name} | {target} | {describe(name, m)} | {'yes' if met(m) else '**no**'} |")
    floor = results["figures"].get("floor_key_to_kl_ms")
    if floor:
        rows += ["", "Streamlit's floor (benchmarks/floor_app.py, one slider and one metric, as shipped): key → new "
                 f"KL, in the page: {describe('floor_ms', floor)}."]
    # bytes.md and board.md: python -m benchmarks.bytes and benchmarks.board write them
    for part in (out / "bytes.md", out / "board.md", Path(__file__).with_name("HISTORY.md")):
        if part.exists():
            rows += ["", part.read_text().strip()]
    (out / "results.md").write_text("\n".join(rows) + "\n")


def rewrite_report(out: Path) -> None:
    """results.md again from results.json, as the command it names measured it: after bytes.md or board.md changed."""
    command = (out / "results.md").read_text().split("Measured by `", 1)[1].split("`", 1)[0]
    write_report(json.loads((out / "results.json").read_text()), out, command)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small budgets: a smoke test, not the figures")
    parser.add_argument("--out", default=str(Path(__file__).parent), help="where results.md/json go")
    parser.add_argument("--no-rebuild", action="store_true", help="leave out the rebuild (it takes ~26 minutes)")
    parser.add_argument("--only", choices=["stroke_cpu_ratio"],
                        help="measure this figure alone, into the results already written")
    args = parser.parse_args(argv)
    quick = args.quick
    if args.only:
        results = json.loads((Path(args.out) / "results.json").read_text())
        results["figures"][args.only] = only_stroke_cpu(quick)
        write_report(results, Path(args.out), results.get("command", "python -m benchmarks"))
        print((Path(args.out) / "results.md").read_text())
        return 0
    figures = {}
    figures["model_compute_ms"] = model_compute(20 if quick else 500)
    figures["training_ratio"] = training_ratio(epochs=1 if quick else 20, rounds=1 if quick else 3)
    figures |= browser_figures(n=5 if quick else 40)
    figures |= server_figures(quick)
    figures |= visit_figures(quick)
    if not args.no_rebuild:
        figures["rebuild_s"] = rebuild_seconds(quick)
    command = "python -m benchmarks" + (" --quick" if quick else "") + (" --no-rebuild" if args.no_rebuild else "")
    results = {"machine": machine(), "quick": quick, "figures": figures, "command": command}
    write_report(results, Path(args.out), command)
    print((Path(args.out) / "results.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
