"""Small writes leave the server at once: TCP_NODELAY on the server's sockets.

Streamlit 1.67 serves through uvicorn on a socket it creates as socket.socket(family), whose proto
is 0; asyncio only disables Nagle's algorithm on sockets whose proto is IPPROTO_TCP, so every
connection keeps it. A rerun answers with several small websocket messages: the first leaves, the
rest wait for its ACK, and the browser delays that ACK by up to 40 ms. Measured with a websocket
client on a one-slider page here: 44 ms a round trip as shipped, 6 ms with TCP_NODELAY.
"""

import os
import socket


def tcp_nodelay() -> int:
    """Sets TCP_NODELAY on every TCP socket this process holds; returns how many.

    Linux copies the option from a listening socket to the connections it accepts, so once the
    server's own socket has it, so does every later visitor's."""
    count = 0
    fds = "/proc/self/fd"
    for fd in os.listdir(fds) if os.path.isdir(fds) else []:
        try:
            if not os.readlink(f"{fds}/{fd}").startswith("socket:"):
                continue
            sock = socket.socket(fileno=os.dup(int(fd)))  # a duplicate: closing it leaves the original open
        except OSError:  # gone since the listing, or not a socket Python can wrap
            continue
        with sock:
            if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                count += 1
    return count
