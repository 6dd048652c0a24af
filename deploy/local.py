"""python -m deploy.local --replicas N --port P [--board redis] [--nginx PATH] [--app app.py] [--timeout S] [-- ARGS]

A class's deployment on this machine: N replicas of `streamlit run app.py` on free loopback ports,
and nginx in front of them on 127.0.0.1:P with deploy/nginx.conf, rendered for those ports. The class
board's store: by default the replicas share the embedded one (one SQLite file, routes/board/sqlite.py);
with `--board redis`, a redis-server of its own on a free loopback port (its data in the run's folder,
every write on disk before it is answered), which the replicas reach through VAE_BOARD. It
runs until SIGTERM or SIGINT, then stops everything it started, by pid, and waits for it. A missing
nginx or redis-server, a port in use, or a replica that does not come up ends it with one line on stderr,
exit status 1, and nothing left running. Arguments after `--` go to the app (e.g. `-- --models DIR`).
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).with_name("nginx.conf")
# The Dockerfile's flags, less its port and address (tests/test_replicas.py holds them together).
APP_FLAGS = ["--server.headless=true", "--server.fileWatcherType=none", "--browser.gatherUsageStats=false",
             "--client.showErrorDetails=none"]
# What deploy/nginx.conf leaves to the main config nginx's package or image brings, kept in one
# temporary folder here so that nothing of the system's nginx is read or written.
MAIN_CONF = """\
worker_processes 1;
pid {run}/nginx.pid;
error_log stderr warn;
daemon off;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {run}/client_body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    include {run}/explorer.conf;
}}
"""


class Failed(Exception):
    """Why the deployment cannot run, in one line for the person who started it."""


@dataclass
class Child:
    name: str  # "replica 1", "nginx"
    proc: subprocess.Popen
    log: Path

    def last_words(self) -> str:
        lines = self.log.read_text(errors="replace").strip().splitlines()
        return lines[-1].strip() if lines else "(no output)"


def render(template: str, ports: list[int], listen: str, cache: str) -> str:
    """deploy/nginx.conf with its server line repeated for each replica's port, listening on listen, and
    its file cache in the folder cache."""
    line = next(line for line in template.splitlines() if line.strip().startswith("server app:8501 "))
    servers = "\n".join(line.replace("app:8501", f"127.0.0.1:{port}") for port in ports)
    return (template.replace(line, servers).replace("listen 80;", f"listen {listen};")
            .replace("/var/cache/nginx/explorer", cache))


def find_nginx(given: str | None) -> str:
    path = given or shutil.which("nginx")
    if not path:
        raise Failed("nginx not found on PATH: install it (apt-get install -y nginx) or pass --nginx PATH")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise Failed(f"nginx not found: {path} is not an executable file")
    return path


def check_free(port: int) -> None:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as nginx binds: a closing socket is no obstacle
        try:
            s.bind(("127.0.0.1", port))
        except OSError as e:
            raise Failed(f"port {port} on 127.0.0.1 is in use ({e.strerror})") from None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(name: str, cmd: list[str], log: Path, env: dict | None = None) -> Child:
    # a session of its own: Ctrl-C in the terminal reaches the children only through us, so they
    # stop in order and are waited for
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, env=env)
    return Child(name, proc, log)


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def wait_healthy(child: Child, url: str, deadline: float, timeout: float) -> None:
    while not healthy(url):
        if child.proc.poll() is not None:
            raise Failed(f"{child.name} exited with code {child.proc.returncode} before it was healthy: "
                         f"{child.last_words()}")
        if time.monotonic() > deadline:
            raise Failed(f"{child.name} was not healthy within {timeout:g} s ({url}/_stcore/health)")
        time.sleep(0.2)


def find_redis() -> str:
    path = shutil.which("redis-server")
    if not path:
        raise Failed("redis-server not found on PATH: install it (apt-get install -y redis-server) or leave out "
                     "--board redis (the replicas then share one SQLite file)")
    return path


def start_redis(run: Path, children: list[Child]) -> str:
    """A redis-server for the board on a free loopback port, answering PING; returns its URL for VAE_BOARD."""
    port = free_port()
    (run / "redis").mkdir()
    # appendfsync always: a drawing answered 201 is on disk, so a restart of Redis loses none
    cmd = [find_redis(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(run / "redis"), "--save", "",
           "--appendonly", "yes", "--appendfsync", "always"]
    children.append(child := start("redis-server", cmd, run / "redis.log"))
    url = f"redis://127.0.0.1:{port}/0"
    say(f"redis-server starting on {url} (pid {child.proc.pid})")
    deadline = time.monotonic() + 10
    while not redis_answers(port):
        if child.proc.poll() is not None:
            raise Failed(f"redis-server exited with code {child.proc.returncode}: {child.last_words()}")
        if time.monotonic() > deadline:
            raise Failed(f"redis-server did not answer on 127.0.0.1:{port} within 10 s")
        time.sleep(0.1)
    return url


def redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def stop(children: list[Child]) -> None:
    """SIGTERM to each, then wait; SIGKILL whoever has not gone after 10 s."""
    for sig in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not cut the cleanup short
        signal.signal(sig, signal.SIG_IGN)
    for child in reversed(children):  # nginx first: no new browser reaches a stopping replica
        if child.proc.poll() is None:
            child.proc.terminate()
    for child in children:
        wait_or_kill(child.proc, 10)
    if children:
        say("stopped " + ", ".join(f"{c.name} (pid {c.proc.pid})" for c in children))


def wait_or_kill(proc: subprocess.Popen, seconds: float) -> None:
    try:
        proc.wait(seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def say(line: str) -> None:
    print(f"deploy.local: {line}", flush=True)


def serve(args, app_args: list[str], run: Path, children: list[Child]) -> None:
    nginx = find_nginx(args.nginx)
    check_free(args.port)
    app = Path(args.app).resolve()
    ports = []
    while len(ports) < args.replicas:
        port = free_port()
        if port != args.port and port not in ports:
            ports.append(port)
    site = render(TEMPLATE.read_text(), ports, f"127.0.0.1:{args.port}", str(run / "cache"))
    (run / "explorer.conf").write_text(site)
    (run / "nginx.conf").write_text(MAIN_CONF.format(run=run))
    nginx_cmd = [nginx, "-p", str(run), "-c", str(run / "nginx.conf"), "-e", "stderr"]
    check = subprocess.run([*nginx_cmd, "-t", "-q"], capture_output=True, text=True)
    if check.returncode != 0:
        raise Failed(f"nginx refused the configuration: {(check.stderr.strip().splitlines() or ['?'])[-1]}")

    env = dict(os.environ)
    if args.board == "redis":
        env["VAE_BOARD"] = start_redis(run, children)
    deadline = time.monotonic() + args.timeout  # the replicas start side by side, against one clock
    for k, port in enumerate(ports, 1):
        cmd = [sys.executable, "-m", "streamlit", "run", str(app), f"--server.port={port}",
               "--server.address=127.0.0.1", *APP_FLAGS, *(["--", *app_args] if app_args else [])]
        children.append(start(f"replica {k}", cmd, run / f"replica-{k}.log", env))
        say(f"replica {k} starting on http://127.0.0.1:{port} (pid {children[-1].proc.pid})")
    for child, port in zip([c for c in children if c.name.startswith("replica")], ports):
        wait_healthy(child, f"http://127.0.0.1:{port}", deadline, args.timeout)
        say(f"{child.name} healthy")

    front = start("nginx", nginx_cmd, run / "nginx.log")
    children.append(front)
    url = f"http://127.0.0.1:{args.port}"
    wait_healthy(front, url, time.monotonic() + 10, 10)
    say(f"nginx on {url} (pid {front.proc.pid}) in front of {args.replicas} replica(s); logs in {run}; "
        "SIGTERM or Ctrl-C stops everything")

    gone = set()
    while True:  # until a signal: report replicas that die (nginx sends their browsers to the others)
        time.sleep(0.5)
        if front.proc.poll() is not None:
            raise Failed(f"nginx exited with code {front.proc.returncode}: {front.last_words()}")
        for child in children:
            if child.proc.poll() is not None and child.name not in gone:
                gone.add(child.name)
                then = ("the board answers 503 until a redis-server is back on its port" if child.name == "redis-server"
                        else "nginx sends its browsers to the others")
                say(f"{child.name} (pid {child.proc.pid}) exited with code {child.proc.returncode}; {then}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    app_args = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(prog="python -m deploy.local", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, default=2, help="app servers behind nginx (default 2)")
    parser.add_argument("--port", type=int, default=8080, help="nginx's port on 127.0.0.1 (default 8080)")
    parser.add_argument("--nginx", default=os.environ.get("NGINX"), help="the nginx binary (default: $NGINX, PATH)")
    parser.add_argument("--app", default=str(ROOT / "app.py"), help="the Streamlit script (default app.py)")
    parser.add_argument("--board", choices=("sqlite", "redis"), default="sqlite",
                        help="the class board's store: one SQLite file the replicas share (default), or a "
                             "redis-server started here")
    parser.add_argument("--timeout", type=float, default=90, help="seconds for the replicas to become healthy")
    args = parser.parse_args(argv)
    if args.replicas < 1:
        parser.error("--replicas must be at least 1")

    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM stops us as Ctrl-C does
    children: list[Child] = []
    run = Path(tempfile.mkdtemp(prefix="deploy-local-"))
    run.chmod(0o755)  # nginx's workers drop root and must reach their temporary folders in here
    try:
        serve(args, app_args, run, children)
    except Failed as e:
        print(f"deploy.local: {e}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop(children)
        shutil.rmtree(run, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
