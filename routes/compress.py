"""Files leave the server gzipped, each compressed once: Streamlit's own JS and CSS, the root document, the
browser code and the models' weights.

Streamlit 1.67 gzips its dynamic answers itself (SelectiveGZipMiddleware: Starlette's GZipMiddleware at
level 5, anew on every request), but leaves its static bundles (/static/...: a first visit's 3.4 MB besides
the weights) and the root document uncompressed on purpose, for a proxy in front to compress; and the
routes of routes/files.py, in front of its middleware, pass none of it. Gzip sits in front of both (app.py)
and compresses any answer that is a file (it has an ETag) of a type worth compressing, once per path and
ETag, keeping the result; a file gzip does not shrink by a twentieth is remembered as such and sent as it
is. This module never imports streamlit."""

import asyncio
import gzip
from collections import OrderedDict

# Media types worth compressing: text, and the weights (float16 values shrink by about 7%, which
# pays once a file is compressed only once). woff2 fonts and PNG images are compressed already.
TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml", "application/octet-stream")
MIN_BYTES = 1000  # below this the gzip header and a round trip's latency cost more than the bytes saved
PAYS = 0.95  # a compressed file is sent only if at most this share of the original's size
LEVEL = 9  # paid once per file
CACHE_BYTES = 32 << 20  # what the kept compressed files may hold in all
REPLACED = (b"content-length", b"etag", b"accept-ranges")  # the file's headers that do not describe its gzip


def accepts_gzip(headers) -> bool:
    """Whether the request's Accept-Encoding allows gzip (by name or by *, with a q above 0)."""
    q = {}
    for item in (_header(headers, b"accept-encoding") or b"").decode("latin-1").lower().split(","):
        coding, _, params = (part.strip() for part in item.partition(";"))
        try:
            q[coding] = float(params.removeprefix("q=")) if params.startswith("q=") else 1.0
        except ValueError:
            q[coding] = 0.0
    return q.get("gzip", q.get("x-gzip", q.get("*", 0.0))) > 0


def _header(headers, name: bytes) -> bytes | None:
    return next((v for k, v in headers if k.lower() == name), None)


class Gzip:
    """ASGI middleware: GET answers that are files (200, an ETag, a compressible type, at least MIN_BYTES)
    go out gzipped to a browser that accepts gzip, with Vary: Accept-Encoding (on every such answer, so
    that a cache in between keeps both forms apart) and a weak ETag (the bytes differ from the file's, the
    file is the same: Starlette's If-None-Match still matches it). A range request, a HEAD, and every other
    answer pass as they are."""

    def __init__(self, app, cache_bytes: int = CACHE_BYTES):
        self.app = app
        self.cache_bytes = cache_bytes
        self.kept: OrderedDict[tuple[str, bytes], bytes | None] = OrderedDict()  # (path, etag) -> gzip or None
        self.held = 0  # bytes in self.kept
        self.making: dict[tuple[str, bytes], asyncio.Future] = {}  # (path, etag) -> its compression under way

    async def __call__(self, scope, receive, send):
        headers = scope.get("headers", ()) if scope["type"] == "http" else ()
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD") or _header(headers, b"range"):
            return await self.app(scope, receive, send)
        wanted = scope["method"] == "GET" and accepts_gzip(headers)
        start, chunks = None, []  # a file's answer, held until its last byte when it is to be compressed

        async def sending(message):
            nonlocal start
            if message["type"] == "http.response.start":
                if not _compressible(message):
                    start = False
                    return await send(message)
                message = {**message, "headers": [*message["headers"], (b"vary", b"Accept-Encoding")]}
                start = message if wanted else False
                return None if wanted else await send(message)
            if start is False or message["type"] != "http.response.body":
                return await send(message)
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                await send_file(start, b"".join(chunks))

        async def send_file(start, body: bytes):
            headers, etag = start["headers"], _header(start["headers"], b"etag")
            squeezed = await self.compressed((scope["path"], etag), body) if len(body) >= MIN_BYTES else None
            if squeezed is not None:
                headers = [(k, v) for k, v in headers if k.lower() not in REPLACED]
                headers += [(b"content-encoding", b"gzip"), (b"content-length", str(len(squeezed)).encode()),
                            (b"etag", etag if etag.startswith(b"W/") else b"W/" + etag)]
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body if squeezed is None else squeezed})

        await self.app(scope, receive, sending)

    async def compressed(self, key: tuple[str, bytes], body: bytes) -> bytes | None:
        """The file's gzip, made once (off the event loop) and kept; None when gzip does not pay for it."""
        if key in self.kept:
            self.kept.move_to_end(key)
            return self.kept[key]
        making = self.making.get(key)
        if making is None:  # the first request for it compresses it; others at the same time wait for it
            making = self.making[key] = asyncio.ensure_future(self._compress(key, body))
            making.add_done_callback(lambda _: self.making.pop(key, None))
        return await asyncio.shield(making)  # a request that goes away leaves the compression to finish

    async def _compress(self, key: tuple[str, bytes], body: bytes) -> bytes | None:
        squeezed = await asyncio.to_thread(gzip.compress, body, LEVEL, mtime=0)
        result = squeezed if len(squeezed) <= PAYS * len(body) else None
        self._keep(key, result)
        return result

    def _keep(self, key, result: bytes | None) -> None:
        self.kept[key] = result
        self.held += len(result or b"")
        while len(self.kept) > 1 and self.held > self.cache_bytes:
            self.held -= len(self.kept.popitem(last=False)[1] or b"")


def _compressible(start: dict) -> bool:
    headers = start.get("headers", [])
    media = (_header(headers, b"content-type") or b"").decode("latin-1").lower()
    return (start.get("status") == 200 and _header(headers, b"content-encoding") is None
            and _header(headers, b"etag") is not None and media.startswith(TYPES))
