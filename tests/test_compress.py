"""routes/compress.py: files leave gzipped when the browser asks, each compressed once; the bytes after
gunzip are the file's own; everything else passes as it is. Asked of the middleware directly, in front of
a stand-in for Streamlit and in front of routes.files.Files as app.py stacks them; and of a real
`streamlit run` for Streamlit's own static files."""

import asyncio
import gzip
import os
import urllib.request
from pathlib import Path

import pytest
import streamlit
from deploying import deployment
from liveapp import streamlit_server

import vae
from routes import compress, files
from routes.compress import Gzip, accepts_gzip
from vae.checkpoints import read_manifest

TEXT = b"export function f(x) { return x * 2; }\n" * 200  # 7.8 KB of code
NOISE = os.urandom(20_000)  # what gzip cannot shrink


def file_app(body: bytes, media: bytes = b"application/javascript", status: int = 200, etag: bytes | None = b'"v1"',
             chunk: int = 1000):
    """A stand-in for Streamlit's static files: the body in chunks of `chunk` bytes, as FileResponse sends it."""

    async def app(scope, receive, send):
        headers = [(b"content-type", media), (b"content-length", str(len(body)).encode()), (b"accept-ranges", b"bytes")]
        await send({"type": "http.response.start", "status": status,
                    "headers": headers + ([(b"etag", etag)] if etag else [])})
        if scope["method"] == "HEAD":
            return await send({"type": "http.response.body", "body": b""})
        for i in range(0, len(body), chunk):
            await send({"type": "http.response.body", "body": body[i:i + chunk], "more_body": i + chunk < len(body)})

    return app


def get(app, path: str = "/static/js/index.js", encoding: str | None = "gzip, deflate, br", method: str = "GET",
        extra=()) -> tuple[int, dict, bytes]:
    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    headers = ([(b"accept-encoding", encoding.encode())] if encoding is not None else []) + list(extra)
    asyncio.run(app({"type": "http", "method": method, "path": path, "headers": headers}, receive, send))
    start, body = sent[0], b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body


def test_a_file_goes_gzipped_when_asked_and_is_the_same_bytes_after_gunzip():
    status, headers, body = get(Gzip(file_app(TEXT)))
    assert status == 200 and headers["content-encoding"] == "gzip" and headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(body) == TEXT and int(headers["content-length"]) == len(body) < len(TEXT) / 10
    assert headers["etag"] == 'W/"v1"' and "accept-ranges" not in headers  # the file's validator, weak; no ranges


@pytest.mark.parametrize("encoding", [None, "", "identity", "br", "gzip;q=0", "*;q=0", "br, *;q=0"])
def test_a_file_goes_as_it_is_when_gzip_is_not_asked_for(encoding):
    status, headers, body = get(Gzip(file_app(TEXT)), encoding=encoding)
    assert status == 200 and body == TEXT and "content-encoding" not in headers
    assert headers["vary"] == "Accept-Encoding" and headers["etag"] == '"v1"'  # a cache in between keeps both apart


def test_which_encodings_accept_gzip():
    def accepts(value):
        return accepts_gzip([(b"accept-encoding", value.encode())])

    assert accepts("gzip") and accepts("GZIP;q=0.5") and accepts("deflate, *") and accepts("x-gzip")
    assert accepts("gzip;q=1, *;q=0") and not accepts("*;q=1, gzip;q=0") and not accepts("deflate, br")
    assert not accepts("gzip;q=x") and not accepts_gzip([])


def test_each_file_is_compressed_once_even_when_asked_for_at_once(monkeypatch):
    made, real = [], gzip.compress
    monkeypatch.setattr(compress.gzip, "compress", lambda data, *a, **kw: made.append(data) or real(data, *a, **kw))
    app = Gzip(file_app(TEXT))

    async def many():
        scope = {"type": "http", "method": "GET", "path": "/static/js/index.js",
                 "headers": [(b"accept-encoding", b"gzip")]}
        bodies = [[] for _ in range(5)]

        async def one(i):
            async def send(message):
                bodies[i].append(message.get("body", b""))
            await app(scope, None, send)

        await asyncio.gather(*(one(i) for i in range(5)))
        return [b"".join(b) for b in bodies]

    for body in asyncio.run(many()) + [get(app)[2]]:
        assert gzip.decompress(body) == TEXT
    assert made == [TEXT]  # six answers, one compression
    get(Gzip(file_app(TEXT, etag=b'"v2"')))  # another version of the file is another file
    assert len(made) == 2


def test_a_file_gzip_does_not_shrink_goes_as_it_is_and_is_not_tried_again():
    app = Gzip(file_app(NOISE, media=b"application/octet-stream"))
    assert get(app)[2] == NOISE and "content-encoding" not in get(app)[1]
    assert app.kept == {("/static/js/index.js", b'"v1"'): None}


@pytest.mark.parametrize("what, app, kw", [
    ("a font, compressed already", file_app(TEXT, media=b"font/woff2"), {}),
    ("an image", file_app(TEXT, media=b"image/png"), {}),
    ("an answer that is not a file (no ETag)", file_app(TEXT, etag=None), {}),
    ("a 404", file_app(TEXT, status=404), {}),
    ("a small file", file_app(TEXT[:500]), {}),
    ("a range request", file_app(TEXT), {"extra": [(b"range", b"bytes=0-99")]}),
    ("a HEAD", file_app(TEXT), {"method": "HEAD"}),
])
def test_everything_else_passes_as_it_is(what, app, kw):
    status, headers, body = get(Gzip(app), **kw)
    assert "content-encoding" not in headers, what
    assert body == (b"" if kw.get("method") == "HEAD" else TEXT[:500] if "small" in what else TEXT), what


def test_what_is_gzipped_already_is_left_alone():
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"application/json"), (b"content-encoding", b"gzip"), (b"etag", b'"x"')]})
        await send({"type": "http.response.body", "body": gzip.compress(TEXT)})

    status, headers, body = get(Gzip(app))
    assert gzip.decompress(body) == TEXT and "vary" not in headers


def test_a_websocket_passes_untouched():
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    asyncio.run(Gzip(app)({"type": "websocket", "path": "/_stcore/stream", "headers": []}, None, None))
    assert seen == ["websocket"]


def test_the_browser_code_and_the_weights_leave_files_gzipped():
    stack = Gzip(files.Files(file_app(b"streamlit", etag=None)))  # as app.py stacks them
    status, headers, body = get(stack, files.code_url("main.js"))
    assert headers["content-encoding"] == "gzip" and gzip.decompress(body) == files.CODE["main.js"]
    assert headers["cache-control"].endswith("immutable")
    model = vae.load_pretrained("mnist-vae-z8")
    url = files.model_urls(model)["decoder"]
    raw = get(stack, url, encoding=None)[2]
    status, headers, body = get(stack, url)
    assert headers["content-encoding"] == "gzip" and gzip.decompress(body) == raw
    assert len(body) < 0.95 * len(raw)  # float16 weights shrink by about 7%


STATIC = Path(streamlit.__file__).parent / "static"
SCRIPT = max((STATIC / "static" / "js").glob("index.*.js"), key=lambda p: p.stat().st_size)  # Streamlit's page, 480 KB


def fetch(url: str, encoding: str | None):
    request = urllib.request.Request(url, headers={"Accept-Encoding": encoding} if encoding else {})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return answer.headers, answer.read()


@pytest.mark.slow
def test_streamlits_own_files_leave_the_server_gzipped():
    with streamlit_server() as base:
        for path, disk in ((f"/static/js/{SCRIPT.name}", SCRIPT), ("/", STATIC / "index.html")):
            headers, body = fetch(base + path, "gzip, deflate")
            assert headers["Content-Encoding"] == "gzip" and gzip.decompress(body) == disk.read_bytes()
            assert headers["Vary"] == "Accept-Encoding"
            headers, body = fetch(base + path, None)
            assert headers["Content-Encoding"] is None and body == disk.read_bytes()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_nginx_keeps_one_gzipped_copy_of_each_file_and_unzips_it_for_a_browser_without_gzip():
    sha = next(e["sha256"] for e in read_manifest()["models"] if e["name"] == "mnist-vae-z8")
    with deployment(1) as d:
        for path in (f"/files/{sha[:32]}.decoder.f16.safetensors", files.code_url("live.css")):
            headers, body = fetch(d.url + path, "gzip, deflate, br")
            assert headers["Content-Encoding"] == "gzip" and headers["X-Cache"] == "MISS", path
            plain = gzip.decompress(body)
            headers, again = fetch(d.url + path, None)  # from the same copy: a HIT, unzipped by nginx
            assert headers["Content-Encoding"] is None and headers["X-Cache"] == "HIT" and again == plain, path
            headers, again = fetch(d.url + path, "gzip")
            assert headers["Content-Encoding"] == "gzip" and headers["X-Cache"] == "HIT", path
        assert plain == files.CODE["live.css"]
        headers, body = fetch(f"{d.url}/static/js/{SCRIPT.name}", "gzip")  # Streamlit's own, gzipped by the app
        assert headers["Content-Encoding"] == "gzip" and gzip.decompress(body) == SCRIPT.read_bytes()
