"""A class on several replicas behind nginx, as tests and benchmarks run it: python -m deploy.local started and
stopped, which replica answered, and a websocket session that keeps to its replica (nginx's cookie)."""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import websockets
from conftest import ROOT
from liveapp import free_port
from streamlit_client import Session

from deploy.local import wait_or_kill


@dataclass
class Deployment:
    url: str  # nginx, http://127.0.0.1:P
    proc: subprocess.Popen  # python -m deploy.local
    replicas: dict  # "127.0.0.1:PORT" -> pid
    nginx: int  # nginx's master pid
    log: Path

    def pids(self) -> list[int]:
        return [*self.replicas.values(), self.nginx]


def launch(*args: str, env: dict | None = None) -> tuple[subprocess.Popen, Path]:
    log = Path(tempfile.mkstemp(prefix="deploy-local-", suffix=".log")[1])
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "deploy.local", *args], cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    return proc, log


def started_pids(log_text: str) -> list[int]:
    """Every pid the launcher's log says it started."""
    return [int(pid) for pid in re.findall(r"(?:starting on|nginx on) \S+ \(pid (\d+)\)", log_text)]


@contextmanager
def deployment(replicas: int, *args: str, timeout: float = 240):
    port = free_port()
    proc, log = launch("--replicas", str(replicas), "--port", str(port), *args)
    try:
        deadline = time.monotonic() + timeout
        while "nginx on" not in log.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"deploy.local did not come up:\n{log.read_text()}")
            time.sleep(0.2)
        text = log.read_text()
        yield Deployment(
            url=f"http://127.0.0.1:{port}", proc=proc, log=log,
            replicas={addr: int(pid) for addr, pid in re.findall(r"starting on http://(\S+) \(pid (\d+)\)", text)},
            nginx=int(re.search(r"nginx on \S+ \(pid (\d+)\)", text)[1]),
        )
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            wait_or_kill(proc, 60)
        log.unlink(missing_ok=True)


def running(pid: int) -> bool:
    """Whether pid is a live process (a zombie is not: it has stopped, only unreaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def children_of(pid: int) -> list[int]:
    """nginx's workers, say: every process whose parent is pid."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(stat.parent.name))
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            pass
    return out


def served_by(headers) -> str:
    """The replica that answered: X-Replica's last address (earlier ones refused, nginx tried on).
    headers: any mapping; Playwright's has lower-case names."""
    return (headers.get("X-Replica") or headers["x-replica"]).split(",")[-1].strip()


@dataclass
class StickySession(Session):
    """A Session through nginx that keeps its replica cookie, as a browser does, and knows which
    replica each of its connections reached."""

    cookie: str = ""
    replica: str = ""

    async def connect(self) -> float:
        host = self.url.split("://", 1)[1]
        self.ws = await websockets.connect(
            f"ws://{host}/_stcore/stream", subprotocols=["streamlit"], max_size=2**26, open_timeout=30,
            additional_headers={"Cookie": f"replica={self.cookie}"} if self.cookie else {})
        self.cookie = self.cookie or re.search(r"replica=([^;]+)", self.ws.response.headers["Set-Cookie"])[1]
        self.replica = served_by(self.ws.response.headers)
        return await self.rerun()


# ---- the files -------------------------------------------------------------------------------------
