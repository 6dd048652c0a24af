"""What the browser fetches over HTTP, as files it caches: the component's code and content-named data.

The websocket carries state only. Everything larger (weights, an input image, draws of eps, test
codes) is a file named by its content, `/files/<sha256[:32]>.<kind>`, and the browser code is
served under the hash of the whole code folder, `/live/<version>/<file>`, so that its relative
imports stay inside one version. Both are immutable: a redeploy or a new model gives new names,
and never mixes old code or weights with new. `python -m streamlit run app.py` serves these routes
beside Streamlit's own (app.py puts Files in front of them); so does nginx, from its cache
(deploy/nginx.conf).

This module never imports streamlit: Files answers in the server's event loop, the page's script
publishes from its own thread, and both meet in _CACHE.
"""

import asyncio
import functools
import hashlib
import json
import mimetypes
import os
import threading
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .network import tcp_nodelay

CODE_DIR = Path(__file__).parent.parent / "live" / "js"  # the browser's ES modules and stylesheet
IMMUTABLE = "public, max-age=31536000, immutable"
SERVER_ID = uuid.uuid4().hex[:12]  # this process: a page whose server changed reloads itself to its link
KINDS = {"safetensors": "application/octet-stream", "f32": "application/octet-stream",
         "u8": "application/octet-stream", "json": "application/json"}


def read_code(folder: Path = CODE_DIR) -> dict[str, bytes]:
    """The browser code: every file of the (flat) code folder by name, read once."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def code_version(code: dict[str, bytes]) -> str:
    """The hash of every code file, names included: one version of the browser code."""
    h = hashlib.sha256()
    for name, data in sorted(code.items()):
        h.update(name.encode() + b"\0" + data + b"\0")
    return h.hexdigest()[:16]


CODE = read_code()  # the code as served, by name: what the version names (an edit waits for a restart)
CODE_VERSION = code_version(CODE)


def code_url(file: str = "main.js") -> str:
    return f"/live/{CODE_VERSION}/{file}"


# ---- content-named files ------------------------------------------------------------------------

_lock = threading.Lock()
_MAKERS: dict[str, Callable[[], bytes | None]] = {}  # name -> how to make its bytes again (weights)
_CACHE: OrderedDict[str, bytes] = OrderedDict()  # name -> bytes, the most recently used last
CACHE_BYTES = 48 << 20  # what _CACHE may hold in all: the pairs a class looks at, and small files
_cached = [0]  # the bytes _CACHE holds


def _keep(name: str, data: bytes) -> None:
    with _lock:
        _cached[0] += len(data) - len(_CACHE.get(name, b""))
        _CACHE[name] = data
        _CACHE.move_to_end(name)
        while len(_CACHE) > 1 and _cached[0] > CACHE_BYTES:
            _cached[0] -= len(_CACHE.popitem(last=False)[1])


def publish(data: bytes, kind: str) -> str:
    """The URL of these bytes (an input, draws of eps, test codes: kilobytes), kept in memory."""
    name = f"{hashlib.sha256(data).hexdigest()[:32]}.{kind}"
    _keep(name, data)
    return f"/files/{name}"


def publish_floats(array) -> str:
    """Floats as little-endian float32, the layout a Float32Array reads."""
    return publish(np.ascontiguousarray(array, dtype="<f4").tobytes(), "f32")


_MODELS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> the names of its halves
HALVES = ("decoder", "encoder")
FLOATS = ("f16", "f32")  # what a half's file holds, in its name: float16 (half the bytes) or float32 values


def model_urls(model) -> dict[str, str]:
    """{"decoder": URL, "encoder": URL}: the model's two halves as safetensors files (each with the card),
    so that a page draws once it has the decoders, and fetches an encoder only to encode a drawing. A
    model loaded from a file is named by that file's sha256, so that every server names it alike; a model
    trained in a session, by its bytes. The halves hold float16 values when every weight of the model is
    one (a loaded model's are: vae.checkpoints.round_to_float16), half the bytes of float32 and exactly
    the weights torch computes with; else float32. The names are forgotten with the model."""
    names = _MODELS.get(model)
    if names is None:
        from vae.checkpoints import checkpoint_bytes

        source = getattr(model, "source", None)  # (path, sha256), set by vae.load_checkpoint
        digest = source[1] if source else hashlib.sha256(checkpoint_bytes(model)).hexdigest()
        ref, floats = weakref.ref(model), _floats_of(model)
        names = {half: f"{digest[:32]}.{half}.{floats}.safetensors" for half in HALVES}
        with _lock:
            for half, name in names.items():
                _MAKERS[name] = maker = functools.partial(_half_of, ref, half, floats)
                weakref.finalize(model, _forget, name, maker)
        _MODELS[model] = names
    return {half: f"/files/{name}" for half, name in names.items()}


def _forget(name: str, maker) -> None:
    """A model has gone: its halves are no longer made here, unless another model of the same bytes
    (loaded again) has taken the name since."""
    with _lock:
        if _MAKERS.get(name) is maker:
            del _MAKERS[name]


def _floats_of(model) -> str:
    from vae.checkpoints import holds_float16

    return "f16" if holds_float16(model) else "f32"


def _half_bytes(model, half: str, floats: str) -> bytes:
    import torch

    from vae.checkpoints import checkpoint_bytes

    return checkpoint_bytes(model, half, torch.float16 if floats == "f16" else torch.float32)


def _half_of(ref, half: str, floats: str) -> bytes | None:
    model = ref()
    return None if model is None else _half_bytes(model, half, floats)


def file_bytes(name: str) -> bytes | None:
    """A published file's bytes, or a shipped model's by the sha256 in its name (so that any replica
    serves it, whoever published it); None if this server has neither."""
    with _lock:
        data, make = _CACHE.get(name), _MAKERS.get(name)
    if data is None and make is None:
        make = _shipped_files().get(name)  # reads the manifest when it changed: not under the lock
    if data is None and make is not None:
        data = make()
        if data is not None:
            _keep(name, data)
    return data


def _shipped_files() -> dict[str, Callable[[], bytes | None]]:
    """The shipped models' halves by their names here, from the manifest (read again when it changes)."""
    from vae.checkpoints import pretrained_dir, read_manifest
    from vae.errors import CheckpointError

    directory = pretrained_dir()
    try:
        stamp = (directory / "manifest.json").stat().st_mtime_ns
        if _shipped.get("stamp") != (directory, stamp):
            entries = read_manifest(directory)["models"]
            _shipped.update(stamp=(directory, stamp), files={
                f"{e['sha256'][:32]}.{half}.{f}.safetensors": functools.partial(_shipped_half, e["name"], half, f)
                for e in entries if isinstance(e, dict) and "sha256" in e and "name" in e
                for half in HALVES for f in FLOATS})
    except (OSError, CheckpointError):
        return {}
    return _shipped["files"]


def _shipped_half(name: str, half: str, floats: str) -> bytes | None:
    """A shipped model's half, its file checked against the manifest as it is loaded; None if the model
    holds other floats than these (the name another server would never have given it)."""
    from vae.checkpoints import load_pretrained
    from vae.errors import CheckpointError

    try:
        model = load_pretrained(name)
    except CheckpointError:
        return None
    return _half_bytes(model, half, floats) if _floats_of(model) == floats else None


_shipped: dict = {}


# ---- the routes ---------------------------------------------------------------------------------


class Files:
    """ASGI middleware in front of Streamlit (app.py's st.App): it answers these GET (and HEAD) requests
    itself, and passes every other on.
    - /live/<version>/<file>: the browser code of this version (another version's: 404, never mixed);
    - /files/<name>: a published file (404 for one this server never published);
    - /live-server: which process answers (never cached).
    Answered here, a file costs the server no more than its bytes: Streamlit's own stack (its session and
    path middleware, and a gzip that compresses every answer anew, 0.2 s of CPU for a model's weights) is
    for the page, not for immutable files. Each answer carries an ETag that names it for good, so that
    routes.compress.Gzip, in front (app.py), gzips each file once."""

    def __init__(self, app):
        self.app = app
        self.nodelay = False

    async def __call__(self, scope, receive, send):
        if not self.nodelay:  # once the listening socket has it, every connection it accepts has it too
            self.nodelay = tcp_nodelay() > 0
        method = scope.get("method") if scope["type"] == "http" else None
        path = scope.get("path", "") if method in ("GET", "HEAD") else ""
        answer = functools.partial(_answer, send, head=method == "HEAD")
        if path.startswith("/live/"):
            version, _, name = path.removeprefix("/live/").partition("/")
            body = CODE.get(name) if version == CODE_VERSION else None
            media = mimetypes.guess_type(name)[0] or "application/octet-stream"
            return await answer(body, media, f"code {path}", etag=f"{version}/{name}")
        if path.startswith("/files/"):
            name = path.removeprefix("/files/")
            kind = name.rsplit(".", 1)[-1]
            with _lock:
                body = _CACHE.get(name)
            if body is None and kind in KINDS and "/" not in name:  # made again, or read from disk: off the loop
                body = await asyncio.to_thread(file_bytes, name)
            return await answer(body, KINDS.get(kind, ""), f"file {name}", etag=name)
        if path == "/live-server":
            body = json.dumps({"server": SERVER_ID, "code": CODE_VERSION, "pid": os.getpid()}).encode()
            return await answer(body, "application/json", "", cache="no-store")
        await self.app(scope, receive, send)


async def _answer(send, body: bytes | None, media: str, what: str, cache: str = IMMUTABLE, head=False,
                  etag: str = "") -> None:
    """etag: what names these bytes for good (their path's version or content hash), so that routes.compress.Gzip
    keeps their gzip once."""
    status = 200 if body is not None else 404
    if body is None:
        body, media, cache, etag = f"{what} is not on this server".encode(), "text/plain; charset=utf-8", "no-store", ""
    headers = [(b"content-type", media.encode()), (b"content-length", str(len(body)).encode()),
               (b"cache-control", cache.encode())]
    await send({"type": "http.response.start", "status": status,
                "headers": headers + ([(b"etag", f'"{etag}"'.encode())] if etag else [])})
    await send({"type": "http.response.body", "body": b"" if head else body})
