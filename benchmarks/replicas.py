"""python -m benchmarks.replicas [--quick] [--out DIR]

A class through nginx (python -m deploy.local) on this machine: sessions that each commit a slider
value about once a second, on one replica and on two, with p50/p95 commit → settled and errors; then
two replicas with one killed (SIGKILL) mid-run, and how long its sessions waited to be served again.
Writes replicas.md and replicas.json (beside this file unless --out). Figures, never assertions.
"""

import argparse
import asyncio
import json
import os
import re
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import numpy as np  # noqa: E402
import websockets  # noqa: E402
from deploying import StickySession, children_of, deployment  # noqa: E402
from pagetest import expected_kl_text  # noqa: E402

from benchmarks.__main__ import class_figures, cpu_seconds, machine, percentiles, visit_storm  # noqa: E402

DISCONNECTED = (websockets.ConnectionClosed, OSError, asyncio.TimeoutError)


async def thought(session, seconds: float) -> bool:
    """A student's pause; False at once if the connection closes meanwhile (a browser hears it)."""
    closed = asyncio.ensure_future(session.ws.wait_closed())
    done, _ = await asyncio.wait({closed}, timeout=seconds)
    closed.cancel()
    return not done


async def come_back(url: str, cookie: str, query: str, patience: float = 30) -> StickySession:
    """What a reload does: the same cookie, the link's view; retried until a replica answers."""
    deadline = time.monotonic() + patience
    while True:
        session = StickySession(url, query_string=query, cookie=cookie)
        try:
            await session.connect()
            return session
        except DISCONNECTED:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def failover_figures(d, sessions: int, seconds: float, kill_at: float) -> dict:
    """sessions students on two replicas; kill_at seconds in, one replica is SIGKILLed. Its students
    come back (same cookie, their link) and go on; every page must show its own KL throughout."""
    rng = np.random.default_rng(0)
    values = {s: [round(-3 + 0.05 * ((7 * s + k) % 120), 2) for k in range(6)] for s in range(sessions)}
    expected = expected_kl_text({v for vs in values.values() for v in vs})
    victim = next(iter(d.replicas))
    before, after, problems, back_after, homes = [], [], [], [], []
    killed = asyncio.Event()
    killed_at = 0.0

    async def kill():
        nonlocal killed_at
        await asyncio.sleep(kill_at)
        os.kill(d.replicas[victim], signal.SIGKILL)
        killed_at = time.monotonic()
        killed.set()

    async def student(s):
        session = StickySession(d.url)
        try:
            await session.connect()
            homes.append(session.replica)
            await asyncio.sleep(rng.uniform(0, 1))  # students do not start in step
            deadline, i, value = time.monotonic() + seconds, 0, None
            while time.monotonic() < deadline:
                try:
                    value = values[s][i % len(values[s])]
                    took = await session.set_code(mu_0=value)
                    (after if killed.is_set() else before).append(took)
                    if session.kl() != expected[value]:
                        problems.append(f"session {s} saw another state")
                    i += 1
                    alive = await thought(session, rng.uniform(0.5, 1.5))
                except DISCONNECTED:
                    alive = False
                if not alive:  # its replica died: the page is reloaded, with mu_0 in its link
                    if not killed.is_set():
                        problems.append(f"session {s} lost its connection before any replica was killed")
                    await killed.wait()
                    problems.extend(session.errors)
                    session = await come_back(d.url, session.cookie, f"mu_0={value}" if value is not None else "")
                    back_after.append(time.monotonic() - killed_at)
                    if session.replica == victim or (value is not None and session.kl() != expected[value]):
                        problems.append(f"session {s} came back to {session.replica} with KL {session.kl()}")
            problems.extend(session.errors)
        except Exception as e:
            problems.append(f"{type(e).__name__}: {e}")
        finally:
            await session.close()

    await asyncio.gather(kill(), *(student(s) for s in range(sessions)))
    return {"sessions": sessions, "seconds": seconds, "killed_after_s": kill_at,
            "on_killed_replica": homes.count(victim), "came_back": len(back_after),
            "served_again_s": {"p50": round(float(np.median(back_after)), 2) if back_after else None,
                               "max": round(max(back_after), 2) if back_after else None},
            "before_kill_ms": percentiles(before) if before else None,
            "after_kill_ms": percentiles(after) if after else None,
            "errors": len(problems), "examples": problems[:3]}


def runs(quick: bool) -> list[tuple[str, int, int]]:
    """(name, replicas, sessions): a class on one replica, and a hall (100) on one and on two."""
    small, large = (4, 8) if quick else (30, 100)
    return [(f"{small} sessions, 1 replica", 1, small), (f"{large} sessions, 1 replica", 1, large),
            (f"{large} sessions, 2 replicas", 2, large)]


async def warm(d) -> None:
    """Sessions until every replica has run the page once (loaded its models and caches)."""
    seen = set()
    for _ in range(40):
        session = StickySession(d.url)
        await session.connect()
        await session.close()
        seen.add(session.replica)
        if seen == set(d.replicas):
            return


def measure(quick: bool) -> dict:
    seconds = 3 if quick else 40
    figures = {}
    for name, replicas, sessions in runs(quick):
        with deployment(replicas) as d:
            asyncio.run(warm(d))
            # CPU time per commit does not depend on what else the machine runs, unlike latency
            groups = {"replicas": list(d.replicas.values()), "nginx": children_of(d.nginx)}
            start = {group: cpu_seconds(pids) for group, pids in groups.items()}
            m = asyncio.run(class_figures(d.url, sessions, seconds, think=1.0))
            cpu = {f"{group}_cpu_ms_per_commit": round((cpu_seconds(pids) - start[group]) * 1000 / m["n"], 1)
                   for group, pids in groups.items()}
            figures[name] = {"replicas": replicas, **m, **cpu}
    with deployment(2) as d:
        asyncio.run(warm(d))
        sessions = 4 if quick else 30
        figures["failover"] = asyncio.run(failover_figures(d, sessions, seconds, kill_at=1.5 if quick else 15))
    with deployment(2) as d:
        asyncio.run(warm(d))
        figures["storm"] = asyncio.run(visit_storm(d.url, 20 if quick else 100, StickySession))
    with deployment(2) as d:
        figures["browser_failover"] = browser_failover(d, pages=4 if quick else 8)
    return figures


def browser_failover(d, pages: int, wait_s: float = 60) -> dict:
    """Chromium pages on two replicas; one replica is killed (SIGKILL). For each of its pages, the seconds
    from the kill until it shows its view again on the survivor, with no click (it reloads itself to its
    link), and whether that view is the one it had. The pages are watched together, each timed when it is
    first seen back (every ~50 ms); one not back within wait_s counts as an error."""
    from deploying import served_by
    from liveapp import launch_chromium
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright
    from test_replicas import kl_total, open_visit

    with sync_playwright() as p:
        browser = launch_chromium(p)
        visits = []
        for i in range(pages):
            visit = open_visit(browser, f"{d.url}/?pair=digits-z8&index={3 + i}&mu_0={round(-1 + 0.3 * i, 2)}")
            visit.kl = kl_total(visit.page).inner_text()
            visits.append(visit)
        victim = visits[0].replica
        dead = [v for v in visits if v.replica == victim]
        for v in dead:
            v.page.evaluate("() => { window.beforeTheKill = true; }")
        os.kill(d.replicas[victim], signal.SIGKILL)
        killed = time.monotonic()
        back, waiting = {}, list(dead)
        while waiting and time.monotonic() - killed < wait_s:
            for v in list(waiting):
                try:  # a new document (it reloaded itself) whose KL is drawn
                    live = v.page.evaluate("() => !window.beforeTheKill") and v.page.get_by_test_id(
                        "kl-total").filter(has_text=re.compile(r"^\s*-?\d")).count() > 0
                except PlaywrightError:  # between two documents
                    live = False
                if live:
                    back[id(v)] = time.monotonic() - killed
                    waiting.remove(v)
            time.sleep(0.05)
        same = sum(kl_total(v.page).inner_text() == v.kl
                   and served_by(v.page.context.request.get(f"{d.url}/_stcore/health").headers) != victim
                   for v in dead if id(v) in back)
        browser.close()
    times = list(back.values())
    return {"pages": pages, "on_killed_replica": len(dead), "live_again_s": {
        "p50": round(float(np.median(times)), 2) if times else None, "max": round(max(times), 2) if times else None},
        "same_view": same, "never_back": len(waiting), "errors": len(dead) - same}


def write_report(results: dict, out: Path, command: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "replicas.json").write_text(json.dumps(results, indent=1) + "\n")
    f = results["figures"]
    rows = ["# Replicas behind nginx", "", f"Measured by `{command}` on {results['machine']['date']}.", "",
            "Machine: " + ", ".join(f"{k} {v}" for k, v in results["machine"].items() if k != "date")
            + ". The sessions' client and nginx share the machine's cores with the replicas; the load average "
            f"was {results['load_average_1min']['before']} before and {results['load_average_1min']['after']} after.",
            "",
            "Each session commits a value of mu_0 about once a second (0.5–1.5 s apart) and checks that the "
            "page shows the KL of its own value; commit → settled is the time until its rerun finished.", "",
            "| run | replicas | sessions × seconds | commits | p50 ms | p95 ms | errors | CPU ms per commit: "
            "replicas, nginx |", "|---|---|---|---|---|---|---|---|"]
    for name, m in f.items():
        if name not in ("failover", "storm", "browser_failover"):
            rows.append(f"| {name} | {m['replicas']} | {m['sessions']} × {m['seconds']} | {m['n']} | {m['p50']} | "
                        f"{m['p95']} | {m['errors']} | {m['replicas_cpu_ms_per_commit']}, "
                        f"{m['nginx_cpu_ms_per_commit']} |")
    k = f["failover"]
    rows += ["", f"**Failover.** {k['sessions']} sessions on 2 replicas; after {k['killed_after_s']} s one replica "
             f"is killed (SIGKILL). Its {k['on_killed_replica']} sessions come back as a reload does (same cookie, "
             f"their link): served again by the survivor {k['served_again_s']['p50']} s (median) and at most "
             f"{k['served_again_s']['max']} s after the kill ({k['came_back']} came back). Commit → settled before "
             f"the kill: {describe(k['before_kill_ms'])}; after, all on one replica: {describe(k['after_kill_ms'])}. "
             f"Errors: {k['errors']}."]
    s, b = f["storm"], f["browser_failover"]
    rows += ["", f"**A class arriving at once.** {s['visits']} first visits at the same moment through nginx on 2 "
             "replicas, each fetching what a browser fetches (the page over the websocket, then the component's "
             f"code, the decoders, the input and the draws of eps, from nginx's cache once a replica has served "
             f"them): usable after p50 {s['p50']} ms, p95 {s['p95']} ms; {s['errors']} errors (target: p95 ≤ 1.5 s).",
             "", f"**Failover in the browser.** {b['pages']} Chromium pages on 2 replicas, one replica killed: its "
             f"{b['on_killed_replica']} pages reloaded themselves to their links (no click) and were live on the "
             f"survivor {b['live_again_s']['p50']} s (median) and at most {b['live_again_s']['max']} s after the kill, "
             f"{b['same_view']} of them with the same view, {b['never_back']} not back within a minute "
             "(target: within 5 s)."]
    kept = out / "replicas.md"  # the class board's section (python -m benchmarks.board) stays as it was
    board = re.search(r"^## Class board.*", kept.read_text(), re.S | re.M) if kept.exists() else None
    (out / "replicas.md").write_text("\n".join(rows) + "\n" + ("\n" + board.group(0) if board else ""))


def describe(m: dict | None) -> str:
    return f"p50 {m['p50']} ms, p95 {m['p95']} ms (n = {m['n']})" if m else "none"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.replicas", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a few sessions for a few seconds: a smoke test")
    parser.add_argument("--out", default=str(Path(__file__).parent), help="where replicas.md/json go")
    args = parser.parse_args(argv)
    command = "python -m benchmarks.replicas" + (" --quick" if args.quick else "")
    load = os.getloadavg()[0]  # others' work on the machine skews these figures: say how much there was
    results = {"machine": machine(), "quick": args.quick, "figures": measure(args.quick),
               "load_average_1min": {"before": round(load, 2), "after": round(os.getloadavg()[0], 2)}}
    write_report(results, Path(args.out), command)
    print((Path(args.out) / "replicas.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
