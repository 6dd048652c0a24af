"""A class on several replicas behind nginx (python -m deploy.local): it comes up and goes away
cleanly, keeps each browser on its replica, and survives a replica killed mid-lesson.

Which replica served a request is nginx's X-Replica header (deploy/nginx.conf). In the browser, the
tests read only the URL's query, /_stcore/health, that header, and the explorer's total KL.
"""

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import ROOT
from deploying import StickySession, children_of, deployment, running, served_by, started_pids
from liveapp import free_port, launch_chromium
from pagetest import expected_kl_text

from deploy.local import APP_FLAGS, render


def test_compose_runs_the_dockerfile_as_it_is_behind_the_nginx_config():
    docker = (ROOT / "Dockerfile").read_text()
    compose = (ROOT / "deploy" / "compose.yaml").read_text()
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    app = compose.split("\n  app:\n", 1)[1].split("\n\n", 1)[0]  # the app service's block
    assert "context: .." in app
    for key in ("command:", "entrypoint:", "healthcheck:", "ports:", "image:"):
        assert key not in app, f"compose's app overrides the Dockerfile's {key}"
    port = re.search(r"^EXPOSE (\d+)$", docker, re.M)[1]
    assert f"--server.port={port}" in docker and f'- "{port}"' in app
    assert re.search(rf"^\s+server app:{port} max_fails=\d+ fail_timeout=\d+s;", nginx, re.M)
    assert "./nginx.conf:/etc/nginx/conf.d/default.conf" in compose
    for flag in APP_FLAGS:  # deploy.local runs the replicas as the image does
        assert flag in docker, flag


@pytest.mark.slow
def test_the_config_renders_for_loopback_replicas_and_nginx_accepts_it(tmp_path):
    conf = render((ROOT / "deploy" / "nginx.conf").read_text(), [41001, 41002, 41003], "127.0.0.1:41000",
                  str(tmp_path / "cache"))
    assert "listen 127.0.0.1:41000;" in conf and "app:8501" not in conf
    assert len(re.findall(r"server 127\.0\.0\.1:4100[123] max_fails=1 fail_timeout=10s;", conf)) == 3
    (tmp_path / "site.conf").write_text(conf)
    main = f"pid {tmp_path}/nginx.pid; events {{}} http {{ include {tmp_path}/site.conf; }}"
    (tmp_path / "main.conf").write_text(main)
    check = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "main.conf"), "-e", "stderr"],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


# ---- the launcher ------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_launcher_comes_up_healthy_and_leaves_nothing_running_after_sigterm(tmp_path):
    with deployment(2, "--", "--models", str(tmp_path)) as d:
        assert len(d.replicas) == 2 and all(running(pid) for pid in d.pids())
        for pid in d.replicas.values():  # what follows `--` goes to the app
            assert Path(f"/proc/{pid}/cmdline").read_bytes().endswith(f"--\0--models\0{tmp_path}\0".encode())
        for addr in d.replicas:  # each replica on its own loopback port, and nginx in front of both
            with urllib.request.urlopen(f"http://{addr}/_stcore/health", timeout=5) as r:
                assert r.status == 200
        with urllib.request.urlopen(f"{d.url}/_stcore/health", timeout=5) as r:
            assert r.status == 200 and served_by(r.headers) in d.replicas
        workers = children_of(d.nginx)
        assert workers
        d.proc.send_signal(signal.SIGTERM)
        assert d.proc.wait(60) == 0
        log = d.log.read_text()
        left = [pid for pid in d.pids() + workers if running(pid)]
    assert left == [], f"still running after SIGTERM: {left}\n{log}"
    assert "stopped replica 1" in log


def bad_start(*args: str, env: dict | None = None) -> tuple[str, str]:
    """Runs a launch that must fail; returns its one line on stderr and its log (stdout)."""
    result = subprocess.run([sys.executable, "-m", "deploy.local", "--replicas", "2", *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=180, env={**os.environ, **(env or {})})
    assert result.returncode == 1, result.stdout + result.stderr
    left = [pid for pid in started_pids(result.stdout) if running(pid)]
    assert left == [], f"left running: {left}\n{result.stdout}"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("deploy.local: "), result.stderr
    return lines[0], result.stdout


@pytest.mark.slow
def test_without_nginx_it_says_so_and_starts_nothing():
    line, text = bad_start("--port", str(free_port()), env={"PATH": "/usr/bin:/bin", "NGINX": ""})
    assert "nginx not found on PATH" in line and started_pids(text) == []
    line, text = bad_start("--port", str(free_port()), "--nginx", "/nonexistent/nginx")
    assert "nginx not found: /nonexistent/nginx" in line and started_pids(text) == []


@pytest.mark.slow
def test_a_port_in_use_is_refused_before_anything_starts():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        line, text = bad_start("--port", str(port))
    assert f"port {port} on 127.0.0.1 is in use" in line and started_pids(text) == []


@pytest.mark.slow
def test_a_replica_that_fails_to_start_stops_the_others():
    line, text = bad_start("--port", str(free_port()), "--app", "/nonexistent/app.py")
    assert re.search(r"replica \d exited with code \d+ before it was healthy: .*does not exist", line), line
    assert len(started_pids(text)) == 2  # both were started, both are gone (bad_start checks)


@pytest.mark.slow
def test_a_replica_that_is_not_healthy_in_time_is_stopped():
    # no time at all: a replica can answer its health check 0.4 s after it starts (seen here), so
    # any real timeout races it; the first check comes before the new Python has even imported
    line, text = bad_start("--port", str(free_port()), "--timeout", "0")
    assert re.search(r"replica 1 was not healthy within 0 s", line), line
    assert len(started_pids(text)) == 2


# ---- sticky sessions -----------------------------------------------------------------------------


async def sticky_sessions(url: str, replicas: set[str], each: int = 2) -> list[str]:
    """Sessions until each replica holds `each`; every session moves mu_0 over its own values,
    reconnects as a reload does, and moves again. Returns what went wrong."""
    values = [round(-2 + 0.25 * k, 2) for k in range(17)]
    expected = expected_kl_text(values)
    problems, held = [], {r: 0 for r in replicas}
    for s in range(40):  # a fresh key lands on either replica with even odds: 40 leave no doubt
        if min(held.values()) >= each:
            break
        session = StickySession(url)
        await session.connect()
        first = session.replica
        held[first] += 1
        for visit in range(2):
            for k in range(3):
                value = values[(3 * s + k) % len(values)]
                await session.set_code(mu_0=value)
                if session.kl() != expected[value]:
                    problems.append(f"session {s} saw KL {session.kl()} for its mu_0 = {value}")
                if session.replica != first:
                    problems.append(f"session {s} moved from {first} to {session.replica}")
            await session.close()
            if visit == 0:
                session.elements.clear()
                await session.connect()  # the same cookie: the same replica
        problems.extend(session.errors)
    if min(held.values()) < each:
        problems.append(f"sessions did not spread over the replicas: {held}")
    return problems


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_websocket_sessions_spread_over_replicas_and_stay_on_theirs():
    with deployment(2) as d:
        assert asyncio.run(sticky_sessions(d.url, set(d.replicas))) == []


# ---- a replica killed under a class, in the browser -----------------------------------------------------

def kl_total(page):
    """The locator of the page's total KL (its text starts with the number), once drawn."""
    kl = page.get_by_test_id("kl-total")
    kl.filter(has_text=re.compile(r"^\s*-?\d")).wait_for(timeout=90_000)
    return kl


def query(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


def wait_until(test, what: str, page=None, timeout: float = 30) -> None:
    """Polls test; with a page, Playwright's waiting lets the page's events (its URL) come in."""
    deadline = time.monotonic() + timeout
    while not test():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        page.wait_for_timeout(100) if page else time.sleep(0.1)


def replica_now(page) -> str:
    """Which replica the page's browser reaches now, with its cookie, through nginx."""
    base = page.url.split("?")[0].rstrip("/")
    return served_by(page.context.request.get(f"{base}/_stcore/health").headers)


@dataclass
class Visit:
    page: object
    replica: str
    link: dict  # the query the page settled on
    kl: str


def open_visit(browser, url: str) -> Visit:
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    response = page.goto(url)
    return Visit(page, served_by(response.headers), {}, "")


def settle(visit: Visit, wanted: dict) -> None:
    """Waits until the page shows its link's view: the query holds what was asked, and the KL is drawn."""
    kl = kl_total(visit.page)
    wait_until(lambda: all(query(visit.page).get(k) == v for k, v in wanted.items()) and "vae" in query(visit.page),
               f"the link to hold {wanted}: {visit.page.url}", visit.page)
    visit.link, visit.kl = query(visit.page), kl.inner_text()


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_killed_replica_leaves_the_others_untouched_and_its_pages_reload_themselves_onto_a_survivor():
    from playwright.sync_api import expect, sync_playwright

    with deployment(2) as d, sync_playwright() as p:
        browser = launch_chromium(p)
        visits, held = [], {r: 0 for r in d.replicas}
        for i in range(24):  # each visitor its own view; until each replica holds two
            if min(held.values()) >= 2:
                break
            wanted = {"pair": ("digits-z2", "digits-z8")[i % 2], "index": str(3 + i), "seed": str(100 + i),
                      "mu_0": str(round(-1.5 + 0.35 * (i % 9), 2)), "sigma_1": str(round(0.2 + 0.05 * i, 2))}
            visit = open_visit(browser, f"{d.url}/?" + "&".join(f"{k}={v}" for k, v in wanted.items()))
            if held[visit.replica] >= 2:
                visit.page.context.close()
                continue
            held[visit.replica] += 1
            settle(visit, wanted)
            visits.append(visit)
        assert min(held.values()) >= 2, f"browsers did not spread over the replicas: {held}"
        assert len({v.kl for v in visits}) == len(visits), "each view its own KL, so a mix-up would show"
        for v in visits:  # sessions stay: the browser's later requests reach the same replica
            assert replica_now(v.page) == v.replica

        dead = visits[0].replica
        survivor = next(r for r in d.replicas if r != dead)
        for v in visits:
            v.page.evaluate("() => { window.beforeTheKill = true; }")  # gone once a page has loaded again
        os.kill(d.replicas[dead], signal.SIGKILL)
        wait_until(lambda: not running(d.replicas[dead]), "the replica to die")

        for v in [v for v in visits if v.replica == survivor]:  # untouched, and still working
            assert query(v.page) == v.link and kl_total(v.page).inner_text() == v.kl
            assert v.page.evaluate("window.beforeTheKill")  # never reloaded
            v.page.locator('input[type="range"][aria-label="mu_0"]').focus()
            v.page.keyboard.press("ArrowRight")
            expect(kl_total(v.page)).not_to_have_text(v.kl, timeout=30_000)
            wait_until(lambda v=v: query(v.page).get("mu_0") != v.link["mu_0"], "the link to follow mu_0", v.page)
            assert replica_now(v.page) == survivor

        for i, v in enumerate([v for v in visits if v.replica == dead]):
            if i == 0:  # a move after the death, which no server hears: the reload's link keeps it
                v.page.locator('input[type="range"][aria-label="mu_0"]').focus()
                v.page.keyboard.press("ArrowRight")
                v.link = {**v.link, "mu_0": repr(round(float(v.link["mu_0"]) + 0.05, 10))}
                v.kl = v.page.get_by_test_id("kl-total").inner_text()
            # no click: the page sees another server answer and reloads itself to its link, on the survivor
            v.page.wait_for_function("() => !window.beforeTheKill", timeout=30_000)
            link, kl = v.link, v.kl
            settle(v, link)
            assert replica_now(v.page) == survivor
            assert {k: float(x) if k.startswith(("mu_", "sigma_")) else x for k, x in v.link.items()} == \
                {k: float(x) if k.startswith(("mu_", "sigma_")) else x for k, x in link.items()}
            assert v.kl == kl  # the same view, nothing lost
        browser.close()


# ---- the files, from nginx's cache -------------------------------------------------------------------


async def published_weights(url: str) -> tuple[str, str]:
    """A session through nginx: the URLs of its code and of its VAE's weights, and the replica it is on."""
    session = StickySession(url)
    await session.connect()
    data, _, _ = session.live()  # the explorer's state
    code = next(json.loads(e.bidi_component.json)["code"] for e, _ in session.elements.values()
                if e.WhichOneof("type") == "bidi_component" and '"live"' in e.bidi_component.json)
    await session.close()
    return code, data["vae"]["decoder"], session.cookie


def get(url: str, cookie: str = "") -> tuple[int, object, bytes]:
    """(status, headers (any case of a name reads them), body)."""
    request = urllib.request.Request(url, headers={"Cookie": f"replica={cookie}"} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_nginx_serves_code_and_weights_from_its_cache_reaching_a_replica_once_per_file():
    from concurrent.futures import ThreadPoolExecutor

    with deployment(2) as d:
        code, weights, cookie = asyncio.run(published_weights(d.url))
        for path in (code, weights):
            with ThreadPoolExecutor(8) as pool:  # a class arriving at once, with other cookies or none
                answers = list(pool.map(lambda i, path=path: get(d.url + path, cookie if i % 2 else ""), range(8)))
            assert [status for status, _, _ in answers] == [200] * 8
            assert sorted(h["X-Cache"] for _, h, _ in answers) == ["HIT"] * 7 + ["MISS"], path  # one reached a replica
            assert len({body for _, _, body in answers}) == 1
            assert all("immutable" in h["Cache-Control"] and "max-age=31536000" in h["Cache-Control"]
                       for _, h, _ in answers)
            assert get(d.url + path)[1]["X-Cache"] == "HIT"
        status, headers, _ = get(f"{d.url}/files/{'0' * 32}.safetensors")
        assert status == 404 and headers["X-Cache"] == "MISS"
        assert get(f"{d.url}/files/{'0' * 32}.safetensors")[1]["X-Cache"] == "MISS"  # a 404 is not kept


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_phone_photo_uploads_through_nginx(tmp_path):
    """nginx's default body limit is 1 MB: a photo of a few MB came back 413 before the limit was set."""
    import numpy as np
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(0)
    photo = Image.fromarray(rng.normal(235, 16, (2000, 2600)).clip(0, 255).astype(np.uint8))
    ImageDraw.Draw(photo).line([(900, 400), (1600, 400), (1100, 1600)], fill=20, width=90)
    path = tmp_path / "photo.jpg"
    photo.save(path, quality=100)
    assert path.stat().st_size > 3_000_000
    with deployment(1) as d, sync_playwright_browser() as browser:
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.goto(d.url)
        kl_total(page)
        statuses = []
        page.on("response", lambda r: statuses.append(r.status) if "upload_file" in r.url else None)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
        page.get_by_text("Input: upload: photo.jpg").wait_for(timeout=60_000)
        assert statuses and 413 not in statuses


@contextmanager
def sync_playwright_browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        yield browser
        browser.close()


# ---- the benchmark runs ------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_quick_replica_benchmark_runs_and_writes_its_figures(tmp_path):
    subprocess.run([sys.executable, "-m", "benchmarks.replicas", "--quick", "--out", str(tmp_path)], cwd=ROOT,
                   check=True, capture_output=True, text=True, timeout=580)
    figures = json.loads((tmp_path / "replicas.json").read_text())["figures"]
    assert [m["errors"] for m in figures.values()] == [0] * len(figures)
    assert figures["failover"]["came_back"] == figures["failover"]["on_killed_replica"]
    assert "| run | replicas |" in (tmp_path / "replicas.md").read_text()
