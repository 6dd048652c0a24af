"""What the browser fetches over HTTP, as files it caches: the component's code and content-named data.

The websocket carries state only. Everything larger (weights, an input image, draws of eps, test
codes) is a file named by its content, `/files/<sha256[:32]>.<kind>`, and the browser code is
served under the hash of the whole code folder, `/live/<version>/<file>`, so that its relative
imports stay inside one version. Both are immutable: a redeploy or a new model gives new names,
and never mixes old code or weights with new. `python -m streamlit run app.py` serves these routes
beside Streamlit's own (app.py builds a `st.App` with them); so does nginx, from its cache
(deploy/nginx.conf).

This module never imports streamlit: the routes run in the server's event loop, the page's script
publishes files from its own thread, and both meet in _FILES.
"""

import functools
import hashlib
import mimetypes
import os
import threading
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import numpy as np

CODE_DIR = Path(__file__).parent / "live"  # the browser's ES modules and stylesheet
IMMUTABLE = "public, max-age=31536000, immutable"
SERVER_ID = uuid.uuid4().hex[:12]  # this process: a page whose server changed reloads itself to its link
KINDS = {"safetensors": "application/octet-stream", "f32": "application/octet-stream",
         "u8": "application/octet-stream", "json": "application/json"}


def code_version(folder: Path = CODE_DIR) -> str:
    """The hash of every file in the code folder, names included: one version of the browser code."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


CODE_VERSION = code_version()


def code_url(file: str = "main.js") -> str:
    return f"/live/{CODE_VERSION}/{file}"


# ---- content-named files ------------------------------------------------------------------------

_lock = threading.Lock()
_MAKERS: dict[str, Callable[[], bytes | None]] = {}  # name -> how to make its bytes again (weights)
_CACHE: OrderedDict[str, bytes] = OrderedDict()  # name -> bytes, the most recently used last
CACHE_BYTES = 48 << 20  # what _CACHE may hold in all: the pairs a class looks at, and small files


def _keep(name: str, data: bytes) -> None:
    with _lock:
        _CACHE[name] = data
        _CACHE.move_to_end(name)
        while len(_CACHE) > 1 and sum(map(len, _CACHE.values())) > CACHE_BYTES:
            _CACHE.popitem(last=False)


def publish(data: bytes, kind: str) -> str:
    """The URL of these bytes (an input, draws of eps, test codes: kilobytes), kept in memory."""
    name = f"{hashlib.sha256(data).hexdigest()[:32]}.{kind}"
    _keep(name, data)
    return f"/files/{name}"


def publish_floats(array) -> str:
    """Floats as little-endian float32, the layout a Float32Array reads."""
    return publish(np.ascontiguousarray(array, dtype="<f4").tobytes(), "f32")


_MODELS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> its weights' name


def weights_url(model) -> str:
    """The model's safetensors file (card, encoder and decoder). A model loaded from a file is served
    that file, named by its sha256, so that every server names it alike; a model trained in a session
    has no file and is served as save_checkpoint would write it. Its name is forgotten with the model."""
    name = _MODELS.get(model)
    if name is None:
        source = getattr(model, "source", None)  # (path, sha256), set by vae.load_checkpoint
        if source is not None:
            path, digest = source
            make = functools.partial(_file_if_unchanged, path, digest)
        else:
            from vae.checkpoints import checkpoint_bytes

            ref = weakref.ref(model)
            data = checkpoint_bytes(model)
            digest = hashlib.sha256(data).hexdigest()
            make = lambda: None if ref() is None else checkpoint_bytes(ref())  # noqa: E731
        name = f"{digest[:32]}.safetensors"
        _MODELS[model] = name
        with _lock:
            _MAKERS[name] = make
        weakref.finalize(model, _MAKERS.pop, name, None)
    return f"/files/{name}"


def _file_if_unchanged(path: Path, digest: str) -> bytes | None:
    """The file's bytes if they are still the ones its name promises (a rebuild may have replaced them)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == digest else None


def file_bytes(name: str) -> bytes | None:
    """A published file's bytes, or a shipped model's by the sha256 in its name (so that any replica
    serves it, whoever published it); None if this server has neither."""
    with _lock:
        data, make = _CACHE.get(name), _MAKERS.get(name) or _shipped_files().get(name)
    if data is None and make is not None:
        data = make()
        if data is not None:
            _keep(name, data)
    return data


def _shipped_files() -> dict[str, Callable[[], bytes | None]]:
    """The shipped models' weights by their file names here, from the manifest (read when it changes)."""
    from vae.checkpoints import pretrained_dir, read_manifest
    from vae.errors import CheckpointError

    directory = pretrained_dir()
    try:
        stamp = (directory / "manifest.json").stat().st_mtime_ns
        if _shipped.get("stamp") != (directory, stamp):
            entries = read_manifest(directory)["models"]
            _shipped.update(stamp=(directory, stamp), files={
                f"{e['sha256'][:32]}.safetensors": functools.partial(_file_if_unchanged, directory / e["file"],
                                                                     e["sha256"])
                for e in entries if isinstance(e, dict) and "sha256" in e and "file" in e})
    except (OSError, CheckpointError):
        return {}
    return _shipped["files"]


_shipped: dict = {}


# ---- the routes ---------------------------------------------------------------------------------


class Uncompressed:
    """ASGI middleware: these files leave as they are. Streamlit gzips every other response as it goes, every
    time: 0.2 s of CPU for a model's weights, which float numbers shrink by 7%. The code is 70 KB, and nginx
    may compress it once for its cache (deploy/nginx.conf)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith(("/files/", "/live/")):
            scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k != b"accept-encoding"]}
        await self.app(scope, receive, send)


def routes() -> list:
    """Starlette routes for app.py's st.App: the code, the files, and which server this is."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse, PlainTextResponse, Response
    from starlette.routing import Route

    def missing(what: str) -> Response:
        return PlainTextResponse(f"{what} is not on this server", status_code=404,
                                 headers={"Cache-Control": "no-store"})

    async def code(request) -> Response:
        version, path = request.path_params["version"], request.path_params["path"]
        if version != CODE_VERSION:  # another deploy's code: never mixed with this one's
            return missing(f"code version {version}")
        target = (CODE_DIR / path).resolve()
        if CODE_DIR.resolve() not in target.parents or not target.is_file():
            return missing(path)
        media = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return Response(await run_in_threadpool(target.read_bytes), media_type=media,
                        headers={"Cache-Control": IMMUTABLE})

    async def data(request) -> Response:
        name = request.path_params["name"]
        data = await run_in_threadpool(file_bytes, name) if name.rsplit(".", 1)[-1] in KINDS else None
        if data is None:
            return missing(name)
        return Response(data, media_type=KINDS[name.rsplit(".", 1)[-1]], headers={"Cache-Control": IMMUTABLE})

    async def server(request) -> Response:
        return JSONResponse({"server": SERVER_ID, "code": CODE_VERSION, "pid": os.getpid()},
                            headers={"Cache-Control": "no-store"})

    return [Route("/live/{version}/{path:path}", code), Route("/files/{name}", data),
            Route("/live-server", server)]
