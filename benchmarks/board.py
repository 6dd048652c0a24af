"""python -m benchmarks.board [--quick] [--only sqlite|flood|replicas] [--out DIR]

The class board under a class, through its HTTP contract only (tests/boardkit.py's client; a student is a
thread that sends, a board is a thread that listens to the event stream as a browser's EventSource does:
on a lost stream it waits RETRY_S and comes back with Last-Event-ID).
- sqlite: one `streamlit run app.py` (the embedded SQLite store), 30 students each sending every 1.5–3 s for
  30 s while a board listens: send → event at the board, POST, lost and duplicated;
- flood: one participant sending 40 at once beside 10 students: the share refused with 429, and the others;
- replicas: `python -m deploy.local --replicas 2 --board redis`, 60 students each sending every 2–5 s for 40 s,
  spread over both replicas (no affinity cookie: nginx picks a replica per request); as is, with the board's
  replica SIGKILLed halfway, and with Redis stopped for 5 s (SIGTERM, then the same redis-server again on
  its data 5 s later).
A failed send (no answer, 502, 503) is sent again with the same seq, as the student's page does; a drawing
counts as accepted once answered 201, lost if the board never hears of it, duplicated if the board hears of
one (participant, seq) twice, or of one id twice. Writes a "Class board" section into results.md, and the
replicas' into replicas.md (beside this file unless --out). Figures, never assertions.
"""

import argparse
import contextlib
import functools
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import numpy as np  # noqa: E402
from boardkit import Client, free_port, link_form, stroke  # noqa: E402

RETRY_S = 1.0  # the event stream's retry: what routes/board/api.py tells a browser
PING_S = 15  # the server's heartbeat on the event stream
RESEND_S = 0.3  # a failed send's next try


@dataclass
class Tally:
    accepted: dict = field(default_factory=dict)  # drawing id -> (participant, seq, first try's time)
    post_s: list = field(default_factory=list)  # every answered POST's round trip
    refused: int = 0  # 429
    resent: int = 0  # tries after a failure
    failures: list = field(default_factory=list)  # (status or error) of failed tries
    heard: dict = field(default_factory=dict)  # drawing id -> when the board heard it
    heard_twice: int = 0
    sends_heard: dict = field(default_factory=dict)  # (participant, seq) -> ids heard
    gaps_s: list = field(default_factory=list)  # a lost stream: its last event → the stream answering again
    snapshots_after_reconnect: int = 0
    store_events: list = field(default_factory=list)
    stream: object = None  # the board's open stream
    killed: str = ""  # the replica a fault killed
    lock: threading.Lock = field(default_factory=threading.Lock)


def listen(base: str, code: str, tally: Tally, stop: threading.Event) -> None:
    """A board: the event stream, followed as EventSource does. A stream silent for longer than two heartbeats
    is a lost one too."""
    client, last, lost_at = Client(base), None, None
    while not stop.is_set():
        try:
            stream = client.events(code, last_event_id=last, timeout=2 * PING_S)
        except OSError:
            time.sleep(RETRY_S)
            continue
        tally.stream = stream
        try:
            if stream.status != 200:
                raise ConnectionError(f"status {stream.status}")
            if lost_at is not None:
                tally.gaps_s.append(time.monotonic() - lost_at)
                lost_at = None
            while not stop.is_set():
                e = stream.next()
                now = time.monotonic()
                last = e.get("id", last)
                if e["event"] == "snapshot" and tally.gaps_s:
                    tally.snapshots_after_reconnect += 1
                if e["event"] == "store":
                    tally.store_events.append(e["data"])
                if e["event"] == "drawing":
                    d = e["data"]
                    with tally.lock:
                        if d["id"] in tally.heard:
                            tally.heard_twice += 1
                        tally.heard.setdefault(d["id"], now)
                        tally.sends_heard.setdefault((d["participant"], d["seq"]), set()).add(d["id"])
        except (OSError, ValueError):  # the replica went (ConnectionError is an OSError): come back, as a browser
            lost_at = lost_at or time.monotonic()
            if not stop.is_set():
                time.sleep(RETRY_S)
        finally:
            stream.close()


def student(base: str, code: str, participant: str, every: tuple, until: float, tally: Tally, seed: int,
            patience: float = 30) -> None:
    rng = np.random.default_rng(seed)
    client, seq = Client(base), 0
    time.sleep(rng.uniform(0, every[1]))
    while time.monotonic() < until:
        draw, first = link_form(stroke(int(rng.integers(4)))), time.monotonic()
        while True:  # one drawing: sent again with the same seq until it is answered
            t0 = time.monotonic()
            try:
                answer = client.send(code, participant, seq, draw)
            except OSError as e:
                answer = None
                tally.failures.append(type(e).__name__)
            if answer is not None and answer.status in (201, 429):
                tally.post_s.append(time.monotonic() - t0)
                if answer.status == 201:
                    tally.accepted[answer.body["id"]] = (participant, seq, first)
                else:
                    tally.refused += 1
                break
            if answer is not None:
                tally.failures.append(answer.status)
            if time.monotonic() - first > patience:
                break
            tally.resent += 1
            time.sleep(RESEND_S)
        seq += 1
        time.sleep(rng.uniform(*every))


def run_class(base: str, code: str, students: int, seconds: float, every: tuple, faults=(), seed: int = 0,
              listener_base: str | None = None) -> Tally:
    """students send for seconds while a board listens; faults: (seconds in, callable(tally)) run on time."""
    tally, stop = Tally(), threading.Event()
    board = threading.Thread(target=listen, args=(listener_base or base, code, tally, stop), daemon=True)
    board.start()
    time.sleep(1)
    start = time.monotonic()
    until = start + seconds
    threads = [threading.Thread(target=student, args=(base, code, f"student-{seed}-{k:03d}", every, until, tally,
                                                      seed * 1000 + k), daemon=True) for k in range(students)]
    for t in threads:
        t.start()
    for at, fault in sorted(faults, key=lambda f: f[0]):
        time.sleep(max(0.0, start + at - time.monotonic()))
        fault(tally)
    for t in threads:
        t.join()
    deadline = time.monotonic() + 10  # the board's last events
    while set(tally.accepted) - set(tally.heard) and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    with contextlib.suppress(OSError, AttributeError):
        tally.stream.conn.sock.shutdown(socket.SHUT_RDWR)  # wakes the board's read
    board.join(5)
    return tally


def figures(t: Tally) -> dict:
    delays = [t.heard[i] - first for i, (_, _, first) in t.accepted.items() if i in t.heard]
    twice = t.heard_twice + sum(len(ids) - 1 for ids in t.sends_heard.values())
    out = {"accepted": len(t.accepted), "lost": len(set(t.accepted) - set(t.heard)), "duplicated": twice,
           "refused_429": t.refused, "resent": t.resent, "failed_tries": len(t.failures),
           "send_to_event_ms": ms(delays), "post_ms": ms(t.post_s)}
    if t.gaps_s:
        out["stream_back_s"] = [round(g, 2) for g in t.gaps_s]
        out["snapshots_after_reconnect"] = t.snapshots_after_reconnect
    if t.store_events:
        out["store_events"] = [e.get("reachable") for e in t.store_events]
    return out


def ms(values_s: list) -> dict:
    if not values_s:
        return {"n": 0}
    v = np.asarray(values_s) * 1000
    return {"p50": round(float(np.percentile(v, 50)), 1), "p95": round(float(np.percentile(v, 95)), 1),
            "p99": round(float(np.percentile(v, 99)), 1), "max": round(float(v.max()), 1), "n": len(v)}


def room(base: str, pair: str = "mnist-z2") -> dict:
    deadline = time.monotonic() + 60
    while True:
        try:
            return Client(base).room(pair)
        except (OSError, AssertionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


# ---- one process, SQLite -------------------------------------------------------------------------------


def one_server(folder: Path):
    """`streamlit run app.py` with the board's SQLite in folder; returns (process, base URL)."""
    port = free_port()
    env = {**os.environ, "VAE_BOARD_DIR": str(folder)}
    env.pop("VAE_BOARD", None)
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), f"--server.port={port}",
                             "--server.address=127.0.0.1", "--server.headless=true", "--server.fileWatcherType=none",
                             "--browser.gatherUsageStats=false"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, f"http://127.0.0.1:{port}"


def sqlite_figures(quick: bool) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        proc, base = one_server(Path(folder))
        try:
            code = room(base)["code"]
            Client(base).send(code, "warming-up", 0, link_form(stroke()))  # the pair's models loaded
            n, seconds = (10, 8) if quick else (30, 30)
            out = {"class": {"students": n, "seconds": seconds, "every_s": [1.5, 3.0],
                             **figures(run_class(base, code, n, seconds, (1.5, 3.0)))}}
            out["flood"] = flood(base, room(base)["code"], quick)
            out["explorer"] = explorer_beside_board(base, room(base)["code"], quick)
            return out
        finally:
            proc.terminate()
            proc.wait(30)


def explorer_beside_board(base: str, code: str, quick: bool, rounds: int = 2) -> dict:
    """The explorer's own class (benchmarks.__main__.class_figures: 30 sessions moving a slider, think 1 s)
    alone, then while 30 students send to a board on the same server; rounds times over, in turn, so that the
    machine's other work shows as the spread between rounds."""
    import asyncio

    from benchmarks.__main__ import class_figures

    seconds = 8 if quick else 20
    asyncio.run(class_figures(base, 30, 5, 1.0))  # warming up: the explorer's first pages are not its class
    out = []
    keep = ("p50", "p95", "n", "errors")
    for round_ in range(rounds):
        alone = asyncio.run(class_figures(base, 30, seconds, 1.0))
        board: list = []

        def send(into: list, seed: int) -> None:
            into.append(run_class(base, code, 30, seconds + 4, (1.5, 3.0), seed=seed))

        sending = threading.Thread(target=send, args=(board, 3 + round_))
        sending.start()
        time.sleep(2)
        beside = asyncio.run(class_figures(base, 30, seconds, 1.0))
        sending.join()
        out.append({"alone": {k: alone.get(k) for k in keep}, "beside_board": {k: beside.get(k) for k in keep},
                    "board": {k: figures(board[0])[k] for k in ("accepted", "lost", "duplicated", "post_ms")},
                    "p95_ratio": round(beside["p95"] / alone["p95"], 2) if alone.get("p95") else None})
    return {"seconds": seconds, "rounds": out}


def flood(base: str, code: str, quick: bool) -> dict:
    """One participant sends 40 at once (distinct seqs) while 10 others send every 1.5–3 s."""
    answers: list = []
    others = threading.Thread(target=lambda: answers.append(run_class(base, code, 10, 6 if quick else 12,
                                                                      (1.5, 3.0), seed=7)))
    others.start()
    time.sleep(3)
    client = Client(base)
    statuses: list = []

    def one(seq):
        statuses.append(client.send(code, "flooding-participant", seq, link_form(stroke(seq))).status)

    burst = [threading.Thread(target=one, args=(seq,)) for seq in range(40)]
    for t in burst:
        t.start()
    for t in burst:
        t.join()
    others.join()
    rest = figures(answers[0])
    return {"sent_at_once": 40, "refused_429": statuses.count(429), "accepted": statuses.count(201),
            "refused_share": round(statuses.count(429) / 40, 3),
            "others": {k: rest[k] for k in ("accepted", "lost", "duplicated", "refused_429", "failed_tries",
                                            "post_ms", "send_to_event_ms")}}


# ---- replicas and Redis ----------------------------------------------------------------------------------


def replicas_figures(quick: bool) -> dict:
    from deploying import deployment

    n, seconds = (12, 10) if quick else (60, 40)
    out = {}
    with deployment(2, "--board", "redis") as d:
        text = d.log.read_text()
        port, redis_pid = map(int, re.search(r"redis-server starting on \S+:(\d+)/0 \(pid (\d+)\)", text).groups())
        run = re.search(r"logs in (\S+);", text)[1]
        cases = [("plain", None), ("redis_stopped_5s", "redis"), ("board_replica_killed", "kill")]
        warm = room(d.url)["code"]
        for k, address in enumerate(d.replicas):  # each replica loads the pair's models before the clock runs
            Client(f"http://{address}").send(warm, f"warming-up-{k}", 0, link_form(stroke()))
        for name, fault in cases:
            code = room(d.url)["code"]
            faults = {None: [], "kill": [(seconds / 2, functools.partial(kill_board_replica, d))],
                      "redis": [(seconds / 2, lambda _: restart_redis(redis_pid, port, run))]}[fault]
            out[name] = {"students": n, "seconds": seconds, "every_s": [2, 5],
                         **figures(run_class(d.url, code, n, seconds, (2.0, 5.0), faults, seed=len(out)))}
            if fault == "kill":  # a replica down: nginx serves the class from the other from here on
                break
    return out


def kill_board_replica(d, tally: Tally) -> None:
    """SIGKILL to the replica that serves the board's event stream (nginx's X-Replica on it names it)."""
    address = tally.stream.response.getheader("x-replica", "").split(",")[-1].strip()
    tally.killed = address
    os.kill(d.replicas[address], signal.SIGKILL)


_restarted: list = []


def restart_redis(pid: int, port: int, run: str) -> None:
    """Redis away for 5 s: SIGTERM (it exits, its appendonly file on disk), then redis-server again on the same
    port and data, as deploy.local started it."""
    os.kill(pid, signal.SIGTERM)
    while Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1][:3]:
        time.sleep(0.05)
    time.sleep(5)
    cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", f"{run}/redis", "--save", "",
           "--appendonly", "yes", "--appendfsync", "always"]
    _restarted.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))


# ---- writing -------------------------------------------------------------------------------------------


def write_section(path: Path, heading: str, lines: list[str]) -> None:
    """Replaces the section under heading (## heading) in path, or appends it."""
    text = path.read_text() if path.exists() else ""
    section = f"## {heading}\n\n" + "\n".join(lines) + "\n"
    pattern = re.compile(rf"^## {re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text)
    else:
        text = (text.rstrip() + "\n\n" if text.strip() else "") + section
    path.write_text(text)


def describe(f: dict) -> str:
    s, p = f["send_to_event_ms"], f["post_ms"]
    text = (f"{f['accepted']} accepted, {f['lost']} lost, {f['duplicated']} duplicated; send → event at the board "
            f"p50 {s.get('p50')} / p95 {s.get('p95')} / p99 {s.get('p99')} ms; POST p50 {p.get('p50')} / p95 "
            f"{p.get('p95')} ms; {f['refused_429']} refused (429); {f['failed_tries']} failed tries sent again")
    if "stream_back_s" in f:
        text += (f"; the board's stream back after {', '.join(map(str, f['stream_back_s']))} s (with Last-Event-ID; "
                 f"{f['snapshots_after_reconnect']} snapshots after it)")
    if "store_events" in f:
        text += f"; the board told store reachable: {f['store_events']}"
    return text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.board", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer students, shorter runs (a smoke test)")
    parser.add_argument("--only", choices=("sqlite", "replicas"), help="one part")
    parser.add_argument("--out", default=str(Path(__file__).parent), help="where results.md and replicas.md are")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    command = "python -m benchmarks.board" + (" --quick" if args.quick else "")
    head = (f"Measured by `{command}` on {when}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at "
            "the start (the machine is shared: its other work moves the tails). Send → event counts from a drawing's "
            "first try, so it includes the tries a failure made it send again.")
    if args.only in (None, "sqlite"):
        f = sqlite_figures(args.quick)
        c, fl, ex = f["class"], f["flood"], f["explorer"]
        print(f, flush=True)
        write_section(out / "board.md", "Class board", [head, "", "| figure | target | measured |", "|---|---|---|",
            f"| {c['students']} students, each sending every 1.5–3 s for {c['seconds']} s, a board listening; one "
            f"process (`streamlit run app.py`), SQLite | send → event p95 ≤ 500 ms, POST p95 ≤ 150 ms, 0 lost, "
            f"0 duplicated | {describe(c)} |",
            f"| one participant sending 40 at once, beside 10 students | ≥ 85% refused (429), the others unaffected "
            f"| {fl['refused_429']} of 40 refused ({100 * fl['refused_share']:.0f}%), {fl['accepted']} accepted; the "
            f"others: {describe({**fl['others'], 'resent': 0})} |",
            f"| the explorer's own class (30 sessions moving mu_0, think 1 s; commit → settled), {ex['seconds']} s "
            f"alone, then {ex['seconds']} s while 30 students send to a board on the same process; "
            f"{len(ex['rounds'])} rounds | p95 at most 20% worse than without the board | "
            + "; ".join(f"round {k + 1}: alone p50 {r['alone']['p50']} / p95 {r['alone']['p95']} ms, beside the board "
                        f"p50 {r['beside_board']['p50']} / p95 {r['beside_board']['p95']} ms (p95 × {r['p95_ratio']}; "
                        f"{r['alone']['errors'] + r['beside_board']['errors']} errors; the board: "
                        f"{r['board']['accepted']} accepted, {r['board']['lost']} lost, POST p95 "
                        f"{r['board']['post_ms'].get('p95')} ms)" for k, r in enumerate(ex["rounds"])) + " |"])
        if (out / "results.json").exists():  # results.md includes board.md
            from benchmarks.__main__ import rewrite_report

            rewrite_report(out)
    if args.only in (None, "replicas"):
        try:
            f = replicas_figures(args.quick)
        finally:
            for proc in _restarted:
                proc.terminate()
                proc.wait(10)
        print(f, flush=True)
        rows = {"plain": "as is", "board_replica_killed": "the board's replica SIGKILLed halfway",
                "redis_stopped_5s": "Redis stopped for 5 s halfway (SIGTERM, started again on its data)"}
        write_section(out / "replicas.md", "Class board on 2 replicas with Redis", [
            head, "", "`python -m deploy.local --replicas 2 --board redis`; students spread over both replicas "
            "(no affinity cookie), each sending every 2–5 s; a board listening through nginx as EventSource does "
            "(back after 1 s with Last-Event-ID). Targets: send → board p95 ≤ 500 ms, p99 ≤ 1 s; POST p95 ≤ 200 ms; "
            "0 lost, 0 duplicated; after a kill, the stream back within 3 s.", "",
            "| run | students × s | measured |", "|---|---|---|",
            *(f"| {rows[k]} | {v['students']} × {v['seconds']} | {describe(v)} |" for k, v in f.items())])
    return 0


if __name__ == "__main__":
    sys.exit(main())
