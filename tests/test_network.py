"""TCP_NODELAY on the server's sockets (routes/network.py): without it a rerun's small messages wait
up to 40 ms for the browser's delayed ACK."""

import asyncio
import ctypes
import os
import socket

import pytest
from liveapp import streamlit_server
from streamlit_client import Session

from routes.network import tcp_nodelay

PIDFD_GETFD = 438  # the same number on every Linux architecture


def nodelay(sock: socket.socket) -> bool:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_sets_nodelay_on_open_connections_and_on_those_accepted_later():
    with socket.socket(family=socket.AF_INET) as server:  # as Streamlit makes it: proto 0
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname()) as _, server.accept()[0] as before:
            assert not nodelay(before)  # what asyncio leaves a proto-0 socket with
            unix = socket.socketpair()
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM), unix[0], unix[1]:
                assert tcp_nodelay() >= 3  # the listener and both ends; the UDP and Unix sockets are left be
            assert nodelay(before) and nodelay(server)
            with socket.create_connection(server.getsockname()) as _, server.accept()[0] as after:
                assert nodelay(after)  # Linux copies it from the listener


def server_sockets(pid: int) -> list[socket.socket]:
    """Duplicates of every TCP socket another process holds (pidfd_getfd)."""
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    found = []
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if not os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                    continue
            except OSError:
                continue
            dup = libc.syscall(PIDFD_GETFD, pidfd, int(fd), 0)
            if dup >= 0:
                sock = socket.socket(fileno=dup)
                if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
                    found.append(sock)
                else:
                    sock.close()
    finally:
        os.close(pidfd)
    return found


@pytest.mark.slow
def test_the_running_app_sends_without_delay():
    async def visit(url):
        first, second = Session(url), Session(url)
        await first.connect()
        await second.connect()  # accepted after the app set the option on the listener
        sockets = server_sockets(url.pid)
        try:
            return len(sockets), [nodelay(s) for s in sockets]
        finally:
            for s in sockets:
                s.close()
            await first.close()
            await second.close()

    with streamlit_server() as url:
        count, flags = asyncio.run(visit(url))
    assert count >= 3  # the listener and the two sessions' connections
    assert all(flags)
