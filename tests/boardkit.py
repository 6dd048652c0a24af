"""What the class board's tests and benchmark share: a board server in this process (uvicorn in a thread, on
loopback), a redis-server of the test's own, and a client that speaks the board's HTTP contract and reads its
event stream, with nothing but the standard library."""

import base64
import contextlib
import http.client
import json
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass

import numpy as np
from liveapp import free_port


def link_form(x: np.ndarray) -> str:
    """Pixels in [0, 1] -> the link's draw= text, written independently of live/drawing.py: levels k / 15,
    two a byte, the first in the high bits, base64url without padding."""
    levels = np.round(np.asarray(x).ravel() * 15).astype(np.uint8)
    if len(levels) % 2:
        levels = np.append(levels, 0)
    return base64.urlsafe_b64encode(((levels[0::2] << 4) | levels[1::2]).tobytes()).decode().rstrip("=")


def stroke(k: int = 0, size: int = 28) -> np.ndarray:
    """A vertical bar (a 1), moved k pixels: drawings that differ. (size, size) in [0, 1]."""
    x = np.zeros((size, size))
    col = size // 2 - 2 + k % 4
    x[size // 5: size - size // 5, col: col + max(1, size // 14)] = 1
    return x


@contextlib.contextmanager
def board_server(store, port: int | None = None):
    """Board(store) in front of an app that answers 418 to everything else, served by uvicorn on
    127.0.0.1:port in a thread; yields the base URL."""
    import uvicorn

    from routes.board.api import Board

    async def elsewhere(scope, receive, send):
        await send({"type": "http.response.start", "status": 418, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(Board(elsewhere, store), host="127.0.0.1", port=port,
                                          log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


class RedisServer:
    """A redis-server of our own on a free loopback port, its data in a temporary folder (appendonly, every
    write on disk before it is answered, so a restart keeps it); stop() and start() again on the same port."""

    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="board-redis-")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        cmd = [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
               "--dir", self.folder, "--save", "", "--appendonly", "yes", "--appendfsync", "always"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not self.answers():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@contextlib.contextmanager
def redis_server():
    """A RedisServer, started; stopped and its folder removed at the end."""
    server = RedisServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)


@dataclass
class Answer:
    status: int
    body: dict | list | None
    headers: dict

    @property
    def error(self) -> str:
        return self.body.get("error", "") if isinstance(self.body, dict) else ""


class Client:
    """The board's HTTP contract, one request a connection."""

    def __init__(self, base: str):
        host, port = base.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)

    def request(self, method: str, path: str, body=None, key: str | None = None, raw: bytes | None = None,
                timeout: float = 30) -> Answer:
        c = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        headers = {"Content-Type": "application/json"} | ({"X-Board-Key": key} if key is not None else {})
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        try:
            c.request(method, path, body=data, headers=headers)
            r = c.getresponse()
            text = r.read()
            ctype = r.getheader("content-type", "")
            parsed = json.loads(text) if ctype.startswith("application/json") else text
            return Answer(r.status, parsed, {k.lower(): v for k, v in r.getheaders()})
        finally:
            c.close()

    def room(self, pair: str | None = "mnist-z2") -> dict:
        answer = self.request("POST", "/board/rooms", {"pair": pair} if pair else None)
        assert answer.status == 201, answer
        return answer.body

    def send(self, code: str, participant: str, seq: int, draw: str) -> Answer:
        return self.request("POST", f"/board/{code}/drawings", {"participant": participant, "seq": seq, "draw": draw})

    def events(self, code: str, last_event_id: str | None = None, timeout: float = 10) -> "Events":
        return Events(self, code, last_event_id, timeout)


class Events:
    """An open event stream: next() gives {"id", "event", "data"} (data parsed from JSON), skipping comments."""

    def __init__(self, client: Client, code: str, last_event_id: str | None, timeout: float):
        self.conn = http.client.HTTPConnection(client.host, client.port, timeout=timeout)
        headers = {"Accept": "text/event-stream"} | ({"Last-Event-ID": last_event_id} if last_event_id else {})
        self.conn.request("GET", f"/board/{code}/events", headers=headers)
        self.response = self.conn.getresponse()
        self.status = self.response.status
        self.content_type = self.response.getheader("content-type", "")
        self.comments = 0

    def next(self) -> dict:
        """The next event; raises TimeoutError when none comes within the timeout."""
        event: dict = {}
        while True:
            line = self.response.readline()
            if not line:
                raise ConnectionError("the event stream ended")
            line = line.decode().rstrip("\r\n")
            if not line:
                if "event" in event or "data" in event:
                    event["data"] = json.loads(event.get("data", "null"))
                    return event
                continue
            if line.startswith(":"):
                self.comments += 1
                continue
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            event[field] = event.get(field, "") + ("\n" if field == "data" and field in event else "") + value

    def until(self, kind: str) -> dict:
        while (e := self.next())["event"] != kind:
            pass
        return e

    def close(self) -> None:
        self.conn.close()
