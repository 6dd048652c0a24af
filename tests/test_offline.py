"""No network at run time: the README's run command, traced with strace while it starts and serves
a page, connects to nothing but loopback and Unix sockets.

Only the server's process tree is traced (strace -f), not Chromium. Every connect(), sendto(),
sendmsg() and sendmmsg() (how glibc sends DNS queries) is read: an address given in the call must be
loopback (127.0.0.0/8, ::1, or 127.x mapped into IPv6), a Unix socket, or netlink to the kernel; a
call without one (a send on a connected socket) is judged by the peer strace -yy prints for its file
descriptor. CI installs strace and Chromium, so a missing one fails the test rather than skipping it.
"""

import ipaddress
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, readme_commands
from liveapp import chromium_path, free_port, launch_chromium, wait_for_health, wait_until_idle

pytestmark = pytest.mark.slow

HEALTH_TIMEOUT = 90  # seconds: torch's import under strace on 2 shared cores
SETTLE = 5  # seconds after the page has drawn, for the script run's tail and any deferred work

CALL = re.compile(r"^(?P<pid>\d+)\s+(?:<\.\.\. )?(?P<name>connect|sendto|sendmsg|sendmmsg)\b(?P<rest>.*)$")
SOCKADDR = re.compile(r"\{sa_family=(?P<family>AF_\w+)(?P<body>[^{}]*)\}")
NETLINK = re.compile(r"\{nl_family=AF_NETLINK, nl_pid=(?P<nl_pid>\d+)")
INET = re.compile(r'sin_addr=inet_addr\("(?P<addr>[^"]+)"\)')
INET6 = re.compile(r'inet_pton\(AF_INET6, "(?P<addr>[^"]+)"')
# -yy: 5<UDP:[10.0.0.2:41234->8.8.8.8:1]>, 7<TCPv6:[[::ffff:127.0.0.1]:8501->[::ffff:127.0.0.1]:40000]>
FD_PEER = re.compile(r"^\(\d+<(?:TCP|UDP|TCPv6|UDPv6|UDPLITE|UDPLITEv6):\[(?P<local>.+?)->(?P<peer>.+?)\]>")


def readme_run_command(port: int) -> list[str]:
    """The README's run command (after its pip install), with only a free port added."""
    run = readme_commands()[0].split(" && ")[-1]
    argv = shlex.split(run)
    assert argv[:4] == ["python3", "-m", "streamlit", "run"], run
    return [sys.executable, *argv[1:], f"--server.port={port}"]


def is_loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or bool(mapped and mapped.is_loopback)


def endpoint_host(endpoint: str) -> str:
    """'127.0.0.1:8501' or '[::1]:8501' -> the address."""
    host = endpoint.rsplit(":", 1)[0]
    return host[1:-1] if host.startswith("[") else host


def off_loopback(trace: str) -> list[str]:
    """Every traced call that names, or sends to, a destination off loopback."""
    bad = []
    for line in trace.splitlines():
        call = CALL.match(line)
        if not call:
            continue
        rest = call["rest"]
        named = False
        for sockaddr in SOCKADDR.finditer(rest):
            named = True
            family, body = sockaddr["family"], sockaddr["body"]
            if family in ("AF_UNIX", "AF_UNSPEC"):  # a local socket; or a UDP socket's disconnect
                continue
            found = (INET if family == "AF_INET" else INET6).search(body) if family in ("AF_INET", "AF_INET6") else None
            if not found or not is_loopback(found["addr"]):
                bad.append(line)
        for netlink in NETLINK.finditer(rest):
            named = True
            if netlink["nl_pid"] != "0":  # 0 is the kernel: interface and route queries, all local
                bad.append(line)
        if not named:  # send on a connected socket: the peer strace -yy shows for the fd
            fd = FD_PEER.match(rest)
            if fd and not is_loopback(endpoint_host(fd["peer"])):
                bad.append(line)
    return bad


def test_off_loopback_finds_what_it_should():
    lines = [
        '9 connect(5<UDP:[12]>, {sa_family=AF_INET, sin_port=htons(1), sin_addr=inet_addr("8.8.8.8")}, 16) = 0',
        '9 connect(6<TCP:[13]>, {sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), '
        'inet_pton(AF_INET6, "2600:1f18::1", &sin6_addr), sin6_scope_id=0}, 28 <unfinished ...>',
        '9 sendto(7<UDP:[10.0.0.2:4000->10.0.0.1:53]>, "\\x12", 1, MSG_NOSIGNAL, NULL, 0) = 1',
        '9 sendmsg(8<UDP:[14]>, {msg_name={sa_family=AF_INET, sin_port=htons(53), '
        'sin_addr=inet_addr("192.168.1.1")}, msg_namelen=16}, 0) = 1',
        '9 sendmmsg(7<UDP:[10.0.0.2:4001->10.0.0.1:53]>, [{msg_hdr={msg_name=NULL, msg_namelen=0}}], 1, 0) = 1',
    ]
    fine = [
        '9 connect(5<UDP:[12]>, {sa_family=AF_INET, sin_port=htons(0), sin_addr=inet_addr("127.0.0.53")}, 16) = 0',
        '9 connect(5<UDP:[12]>, {sa_family=AF_INET6, sin6_port=htons(0), sin6_flowinfo=htonl(0), '
        'inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0',
        '9 connect(5<UDP:[12]>, {sa_family=AF_UNSPEC, sa_data="\\0\\0"}, 16) = 0',
        '9 connect(4<UNIX:[15]>, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT',
        '9 sendto(3<NETLINK:[16]>, {{len=20, type=RTM_GETADDR}}, 20, 0, {nl_family=AF_NETLINK, nl_pid=0, '
        'nl_groups=00000000}, 12) = 20',
        '9 sendto(7<TCPv6:[[::ffff:127.0.0.1]:8501->[::ffff:127.0.0.1]:40000]>, "HTTP/1.1 200", 12, 0, NULL, 0) = 12',
        "9 <... connect resumed>) = 0",
    ]
    assert off_loopback("\n".join(lines)) == lines
    assert off_loopback("\n".join(fine)) == []


def listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on port (from /proc/net/tcp and tcp6), as hex."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


def stop(strace: subprocess.Popen) -> None:
    """SIGTERM the traced server (strace's child) by pid; strace exits after it, trace complete."""
    for pid in children(strace.pid):
        os.kill(pid, signal.SIGTERM)
    try:
        strace.wait(30)
    except subprocess.TimeoutExpired:
        for pid in children(strace.pid):
            os.kill(pid, signal.SIGKILL)
        strace.wait(30)


def test_readme_run_command_connects_only_to_loopback(tmp_path):
    strace = shutil.which("strace")
    assert strace, "strace is missing: apt-get install -y strace (the README's test command installs it)"
    assert chromium_path(), "Chromium is missing: apt-get install -y chromium"
    from playwright.sync_api import sync_playwright

    port = free_port()
    trace_file, log_file = tmp_path / "connect.trace", tmp_path / "server.log"
    # The project's .streamlit/config.toml as a fresh user gets it: no ~/.streamlit, no STREAMLIT_* settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")} | {"HOME": str(tmp_path)}
    command = [strace, "-f", "-qq", "-yy", "-s", "256", "--seccomp-bpf", "-e", "trace=connect,sendto,sendmsg,sendmmsg",
               "-o", str(trace_file), *readme_run_command(port)]
    with open(log_file, "w") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, proc, HEALTH_TIMEOUT, log_file)
        # Still reachable from the classroom's LAN: bound to the wildcard address, not to loopback.
        listening = listening_addresses(port)
        assert listening and all(set(a) == {"0"} for a in listening), listening
        with sync_playwright() as p:
            browser = launch_chromium(p)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 720})
                page.goto(url)
                page.wait_for_selector('[data-testid="stApp"]', timeout=90_000)
                page.wait_for_selector('input[type="range"][aria-label="mu_0"]', timeout=90_000)  # the script ran
                wait_until_idle(page, timeout=90_000)
                time.sleep(SETTLE)
            finally:
                browser.close()
    finally:
        stop(proc)

    trace = trace_file.read_text()
    served = [line for line in trace.splitlines() if re.search(rf"sendto\(\d+<TCP(?:v6)?:\[\S*:{port}->", line)]
    assert served, f"the trace shows no reply to the browser on port {port}; is strace following the server?"
    bad = off_loopback(trace)
    assert not bad, "connections off loopback:\n" + "\n".join(bad) + f"\n\nserver output:\n{log_file.read_text()}"
