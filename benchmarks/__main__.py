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

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import numpy as np  # noqa: E402
import torch  # noqa: E402
from liveapp import (  # noqa: E402
    chromium_path,
    image_src,
    launch_chromium,
    open_app,
    rss_mb,
    streamlit_server,
    wait_until_idle,
)
from streamlit_client import Session  # noqa: E402

import vae  # noqa: E402

TARGETS = {  # figure -> (target text, test on the measured value)
    "slider_latency_ms": ("p50 ≤ 150, p95 ≤ 300", lambda m: m["p50"] <= 150 and m["p95"] <= 300),
    "resample_latency_ms": ("p50 ≤ 150, p95 ≤ 300", lambda m: m["p50"] <= 150 and m["p95"] <= 300),
    "overhead_ratio": ("≤ 1.5 (against Streamlit as shipped)", lambda m: m["value"] <= 1.5),
    "overhead_ratio_same_server": ("(no target: against a floor given the explorer's TCP_NODELAY too)", lambda m: True),
    "server_ms": ("p50 ≤ 20 (the server alone: one session over the websocket)", lambda m: m["p50"] <= 20),
    "server_ms_beside_browser": ("(no target: Chromium shares the 2 cores)", lambda m: True),
    "model_compute_ms": ("digits ≤ 1, sprites ≤ 5", lambda m: all(
        v <= (5 if k.startswith("sprites") else 1) for k, v in m["p50_by_model"].items())),
    "first_render_s": ("≤ 5 cold, ≤ 1.5 warm", lambda m: m["cold"] <= 5 and m["warm"] <= 1.5),
    "memory_mb": ("≤ 450 with every model; growth ≤ 20 over 500 interactions",
                  lambda m: m["all_models_loaded"] <= 450 and m["growth"] <= 20),
    "class_students": ("p95 ≤ 1 s, 0 errors, own state only", lambda m: m["p95"] <= 1000 and m["errors"] == 0),
    "class_hammer": ("(no target: no think time at all)", lambda m: True),
    "training_ratio": ("≥ 0.95", lambda m: m["value"] >= 0.95),
    "rebuild_s": ("≤ 1800", lambda m: m["value"] <= 1800),
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
    torch.set_num_threads(2)
    cfg = vae.TrainConfig(dataset="digits", kind="vae", latent_dim=8, epochs=epochs, batch_size=64)
    data = vae.load_dataset("digits", "train").images  # loaded once before either clock starts
    vae.train(vae.TrainConfig(dataset="digits", kind="vae", latent_dim=8, epochs=1), progress=False)  # warm-up
    ratios = []
    for _ in range(rounds):
        start = time.perf_counter()
        vae.train(cfg, progress=False)
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

FIRST_METRIC = '[data-testid="stMetricValue"]'  # the KL metric comes first on both pages
KL_CHANGED = "([s, before]) => { const e = document.querySelector(s); return !!e && e.innerText !== before; }"
IMAGE_CHANGED = """([caption, before]) => [...document.querySelectorAll('[data-testid="stImageContainer"]')].some(
    c => (c.querySelector('[data-testid="stImageCaption"]')?.innerText || '').startsWith(caption)
         && !!c.querySelector('img')?.src && c.querySelector('img').src !== before)"""
VAE_IMAGE = "VAE: decode z"


def time_until_changed(page, act, kl: bool, image: bool) -> float:
    """Seconds from an action until the KL text and/or the VAE image on the page have changed."""
    kl_before = page.locator(FIRST_METRIC).first.inner_text()
    image_before = image_src(page, VAE_IMAGE) if image else None
    start = time.perf_counter()
    act()
    if kl:
        page.wait_for_function(KL_CHANGED, arg=[FIRST_METRIC, kl_before], polling="raf", timeout=15_000)
    if image:
        page.wait_for_function(IMAGE_CHANGED, arg=[VAE_IMAGE, image_before], polling="raf", timeout=15_000)
    elapsed = time.perf_counter() - start
    wait_until_idle(page)
    return elapsed


def slider_moves(page, n: int, image: bool) -> list[float]:
    slider = page.locator('input[type="range"][aria-label="mu_0"]')
    slider.focus()
    keys = ("ArrowRight", "ArrowLeft")  # back and forth between two values: every move changes KL and z
    return [time_until_changed(page, lambda k=keys[i % 2]: page.keyboard.press(k), kl=True, image=image)
            for i in range(n)]


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

            slider_moves(page, 3, image=True)  # warm-up
            timings.write_text("")
            out["slider_latency_ms"] = percentiles(slider_moves(page, n, image=True))
            server = [float(line.split()[1]) for line in timings.read_text().splitlines()]
            out["server_ms_beside_browser"] = milliseconds(server)
            resample = page.get_by_role("button", name="Resample eps")
            out["resample_latency_ms"] = percentiles(
                [time_until_changed(page, resample.click, kl=False, image=True) for _ in range(n)])
            page.context.close()
        for name, env in (("floor_latency_ms", {}), ("floor_nodelay_latency_ms", {"FLOOR_NODELAY": "1"})):
            with streamlit_server(app=ROOT / "benchmarks" / "floor_app.py", env=env) as url:
                context = browser.new_context()
                page = context.new_page()
                page.goto(url)
                page.wait_for_selector('input[type="range"][aria-label="mu_0"]', timeout=60_000)
                wait_until_idle(page)
                slider_moves(page, 3, image=False)
                out[name] = percentiles(slider_moves(page, n, image=False))
                context.close()
        browser.close()
    timings.unlink()
    for name, floor in (("overhead_ratio", "floor_latency_ms"),
                        ("overhead_ratio_same_server", "floor_nodelay_latency_ms")):
        out[name] = {"value": round(out["slider_latency_ms"]["p50"] / out[floor]["p50"], 2)}
    return out


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
    for i in range(20):
        await session.set_slider("mu_0", -1 + 0.05 * (i % 40))
    before = rss_mb(url.pid)
    timings.write_text("")
    for i in range(interactions):
        await session.set_slider("mu_0", -1 + 0.05 * (i % 40))
    after = rss_mb(url.pid)
    await session.close()
    server = milliseconds([float(line.split()[1]) for line in timings.read_text().splitlines()])
    return {"memory_mb": {"all_models_loaded": round(loaded, 1), "growth": round(after - before, 1),
                          "interactions": interactions}, "server_ms": server}


async def class_figures(url, sessions: int, seconds: float, think: float) -> dict:
    """sessions students moving mu_0 for seconds, each pausing think seconds (on average) between moves;
    every session checks that the page shows the KL of its own value."""
    from test_many_users import expected_kl_text

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
                latencies.append(await session.set_slider("mu_0", value))
                if session.metric("KL") != expected[value]:
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


def server_figures(quick: bool) -> dict:
    timings = Path(tempfile.mkstemp(suffix=".txt")[1])
    with streamlit_server(env={"EXPLORER_TIMINGS": str(timings)}) as url:
        alone = asyncio.run(memory_figures(url, 100 if quick else 500, timings))
        seconds = 5 if quick else 60
        students = asyncio.run(class_figures(url, 30, seconds, think=1.0))
        hammer = asyncio.run(class_figures(url, 30, seconds, think=0.0))
        health = urllib.request.urlopen(f"{url}/_stcore/health", timeout=5).status
    timings.unlink()
    return {**alone, "class_students": students, "class_hammer": hammer, "health_after": health}


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
    if "p50" in m:
        unit = " ms" if "ms" in name or name.startswith("class") else ""
        extra = f", {m['errors']} errors, {m['sessions']} sessions × {m['seconds']} s, think {m['think_s']} s" \
            if name.startswith("class") else ""
        return f"p50 {m['p50']}{unit}, p95 {m['p95']}{unit} (n = {m['n']}){extra}"
    if name == "model_compute_ms":
        return ", ".join(f"{k} {v} ms" for k, v in m["p50_by_model"].items())
    if name == "first_render_s":
        return f"cold {m['cold']} s, warm {m['warm']} s (median of {len(m['warm_each'])} visitors)"
    if name == "memory_mb":
        return f"{m['all_models_loaded']} MB with every model; +{m['growth']} MB over {m['interactions']} interactions"
    return f"{m['value']}" + (f" ({m['how']})" if "how" in m else "")


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
    floors = [(results["figures"].get(name), how) for name, how in (
        ("floor_latency_ms", "as shipped"), ("floor_nodelay_latency_ms", "with TCP_NODELAY, as the explorer sets it"))]
    if floors[0][0]:
        rows += ["", "Streamlit's floor (benchmarks/floor_app.py, one slider and one metric): "
                 + "; ".join(f"{how}, {describe('floor_ms', m)}" for m, how in floors if m) + "."]
    history = Path(__file__).with_name("HISTORY.md")
    if history.exists():
        rows += ["", history.read_text().strip()]
    (out / "results.md").write_text("\n".join(rows) + "\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small budgets: a smoke test, not the figures")
    parser.add_argument("--out", default=str(Path(__file__).parent), help="where results.md/json go")
    args = parser.parse_args(argv)
    quick = args.quick
    figures = {}
    figures["model_compute_ms"] = model_compute(20 if quick else 500)
    figures["training_ratio"] = training_ratio(epochs=1 if quick else 20, rounds=1 if quick else 3)
    figures |= browser_figures(n=5 if quick else 40)
    figures |= server_figures(quick)
    figures["rebuild_s"] = rebuild_seconds(quick)
    command = "python -m benchmarks" + (" --quick" if quick else "")
    results = {"machine": machine(), "quick": quick, "figures": figures}
    write_report(results, Path(args.out), command)
    print((Path(args.out) / "results.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
