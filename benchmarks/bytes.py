"""python -m benchmarks.bytes [--url URL] [--no-nginx] [--out DIR]

Bytes on the wire of a first visit on a phone, and of that visit plus one drawn stroke, counted by Chromium
itself (CDP's Network events): every HTTP answer as it came over the network (encodedDataLength: headers
and the body as sent, compressed or not) and the websocket's frames both ways. The phone is 390x844, mobile
and touch; the stroke is a finger's, on the drawing pad (in the sidebar, opened first if it is closed),
and the count runs until the page has redrawn the drawing's encoding. Measured against `streamlit run
app.py` and, unless --no-nginx, through nginx (python -m deploy.local, one replica, its cache cold); --url
measures an already running server instead (another version of the app, say). Writes bytes.json and
bytes.md (a section of results.md: python -m benchmarks puts it there; so does this).
"""

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from liveapp import launch_chromium, streamlit_server, wait_until_idle  # noqa: E402

TARGETS = {"first_visit": 3.2e6, "with_drawing": 4.8e6}  # issue 29: bytes on the wire, on a phone
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3}


def phone_visit(browser, url: str) -> dict:
    """A first visit on a phone in a fresh context, then one stroke: bytes moved by each, by kind."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    moved = {"http": 0, "ws": 0}
    sizes, urls = {}, {}  # request id -> bytes on the wire, URL: to name the largest answers

    def finished(event):
        moved["http"] += event["encodedDataLength"]
        sizes[event["requestId"]] = event["encodedDataLength"]

    def frame(event):
        payload = event["response"]["payloadData"]  # a binary frame comes base64-encoded
        moved["ws"] += len(payload) * 3 // 4 if event["response"]["opcode"] == 2 else len(payload.encode())

    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.responseReceived", lambda e: urls.__setitem__(e["requestId"], e["response"]["url"]))
    cdp.on("Network.webSocketFrameReceived", frame)
    cdp.on("Network.webSocketFrameSent", frame)
    page.goto(url)
    page.get_by_test_id("kl-total").filter(has_text="nats").wait_for(timeout=120_000)
    wait_until_idle(page)
    page.wait_for_timeout(2000)
    first = dict(moved)
    largest = sorted(((n, urls.get(r, r)) for r, n in sizes.items()), reverse=True)[:6]
    stroke(page, context)
    drawn = {"http": moved["http"] - first["http"], "ws": moved["ws"] - first["ws"]}
    context.close()
    return {"first_visit": first | {"total": first["http"] + first["ws"]},
            "stroke": drawn | {"total": drawn["http"] + drawn["ws"]},
            "with_drawing": first["http"] + first["ws"] + drawn["http"] + drawn["ws"],
            "largest_first": [[n, url.split("/", 3)[-1]] for n, url in largest]}


def stroke(page, context) -> None:
    """One finger stroke down the pad, then until the page shows the drawing as its input, redrawn."""
    pad = page.get_by_test_id("draw-pad")
    if pad.bounding_box()["x"] < 0:  # in the sidebar, which a phone's page starts with closed
        page.get_by_test_id("stExpandSidebarButton").click()
        page.wait_for_function("() => document.querySelector('[data-testid=stSidebar]')"
                               ".getBoundingClientRect().left >= 0")
        page.wait_for_timeout(1000)  # until its slide is over
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    cdp = context.new_cdp_session(page)
    x, y = box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.15

    def touch(kind, points):
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", [{"x": x, "y": y}])
    for k in range(1, 15):
        touch("touchMove", [{"x": x, "y": y + k * box["height"] * 0.05}])
    touch("touchEnd", [])
    page.get_by_text("Input: your drawing").first.wait_for(timeout=60_000)
    wait_until_idle(page)
    page.wait_for_timeout(2000)


@contextlib.contextmanager
def through_nginx():
    from test_replicas import deployment

    with deployment(1) as d:
        yield d.url


def measure(url: str | None, nginx: bool) -> dict:
    from playwright.sync_api import sync_playwright

    out = {}
    with sync_playwright() as p:
        browser = launch_chromium(p)
        servers = {"given": contextlib.nullcontext(url)} if url else \
            {"streamlit run": streamlit_server(), **({"nginx": through_nginx()} if nginx else {})}
        for name, server in servers.items():
            with server as base:
                out[name] = phone_visit(browser, base)
        browser.close()
    return out


def report(results: dict) -> str:
    mb = lambda n: f"{n / 1e6:.2f} MB"  # noqa: E731
    rows = ["## Bytes on the wire: a first visit on a phone", "",
            f"Measured by `{results['command']}` on {results['date']}, in Chromium at 390x844 (mobile, touch), a "
            "fresh browser each time: HTTP as it came over the network (headers and bodies, gzipped where the "
            "server gzips) and websocket frames both ways. A drawing: one finger stroke on the pad, counted until "
            "the page shows its encoding.", "",
            "| server | first visit | target | met | + one stroke | with a drawing | target | met |",
            "|---|---|---|---|---|---|---|---|"]
    for name, m in results["servers"].items():
        first, total = m["first_visit"]["total"], m["with_drawing"]
        rows.append(f"| {name} | {mb(first)} ({mb(m['first_visit']['http'])} HTTP, "
                    f"{m['first_visit']['ws'] / 1e3:.1f} KB websocket) | ≤ {mb(TARGETS['first_visit'])} | "
                    f"{'yes' if first <= TARGETS['first_visit'] else '**no**'} | {mb(m['stroke']['total'])} | "
                    f"{mb(total)} | ≤ {mb(TARGETS['with_drawing'])} | "
                    f"{'yes' if total <= TARGETS['with_drawing'] else '**no**'} |")
    for name, m in results["servers"].items():
        rows += ["", f"Largest answers of a first visit ({name}): "
                 + "; ".join(f"{path} {n / 1e3:.0f} KB" for n, path in m["largest_first"]) + "."]
    return "\n".join(rows) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bytes", description=__doc__)
    parser.add_argument("--url", help="measure this running server instead of starting one")
    parser.add_argument("--no-nginx", action="store_true", help="leave out the visit through nginx")
    parser.add_argument("--out", default=str(Path(__file__).parent), help="where bytes.md/json go")
    args = parser.parse_args(argv)
    out = Path(args.out)
    command = "python -m benchmarks.bytes" + (" --no-nginx" if args.no_nginx else "")
    results = {"command": command, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               "servers": measure(args.url, not args.no_nginx)}
    print(json.dumps(results, indent=1))
    if args.url:  # another server's figures: printed, never written over this version's
        return 0
    (out / "bytes.json").write_text(json.dumps(results, indent=1) + "\n")
    (out / "bytes.md").write_text(report(results))
    if (out / "results.json").exists():
        from benchmarks.__main__ import rewrite_report

        rewrite_report(out)
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
