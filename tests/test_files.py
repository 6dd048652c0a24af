"""The files the browser caches (routes/files.py), asked of the Files middleware directly, as the server
asks it: immutable headers, names that change with the content, and a plain 404 for anything else."""

import asyncio
import gc
import json
import os
import shutil
from collections import OrderedDict

from pagetest import assert_is_half

import vae
from routes import files


def get(path: str, method: str = "GET") -> tuple[int, dict, bytes]:
    """One request through Files; what is not its own reaches a stand-in for Streamlit (status 299)."""
    sent = []

    async def streamlit(scope, receive, send):
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b"streamlit"})

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "method": method, "path": path, "headers": []}
    asyncio.run(files.Files(streamlit)(scope, receive, send))
    start, body = sent
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body["body"]


def test_the_code_is_served_under_its_version_and_cached_for_good():
    status, headers, body = get(files.code_url("main.js"))
    assert status == 200 and body == (files.CODE_DIR / "main.js").read_bytes()
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert headers["content-type"] in ("text/javascript", "application/javascript")
    assert headers["content-length"] == str(len(body))
    status, headers, body = get(files.code_url("live.css"))
    assert status == 200 and headers["content-type"] == "text/css"


def test_another_version_of_the_code_or_an_unknown_file_is_a_plain_404_never_cached():
    for path in ("/live/0123456789abcdef/main.js", files.code_url("nothing.js"), "/files/000.f32",
                 "/files/../app.py", "/files/" + "a" * 32 + ".exe"):
        status, headers, body = get(path)
        assert status == 404 and headers["cache-control"] == "no-store", path
        assert b"is not on this server" in body


def test_a_change_to_any_code_file_gives_the_code_a_new_version(tmp_path):
    copy = tmp_path / "live"
    shutil.copytree(files.CODE_DIR, copy)
    assert files.code_version(files.read_code(copy)) == files.CODE_VERSION
    (copy / "paint.js").write_bytes((copy / "paint.js").read_bytes() + b"\n// one more line\n")
    changed = files.code_version(files.read_code(copy))
    assert changed != files.CODE_VERSION
    (copy / "paint.js").rename(copy / "paint2.js")  # a file's name counts too
    assert files.code_version(files.read_code(copy)) not in (changed, files.CODE_VERSION)


def test_what_is_served_is_what_the_version_names():
    # one read of the folder gives both: a file edited under a running server is not served under the old name
    assert files.code_version(files.CODE) == files.CODE_VERSION
    assert all(get(files.code_url(name))[2] == data for name, data in files.CODE.items())


def test_a_published_file_is_named_by_its_content_and_served_as_published():
    one, two = files.publish(b"\x01\x02\x03", "u8"), files.publish(b"\x01\x02\x04", "u8")
    assert one != two and files.publish(b"\x01\x02\x03", "u8") == one
    status, headers, body = get(one)
    assert status == 200 and body == b"\x01\x02\x03"
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert headers["content-type"] == "application/octet-stream"


def test_a_shipped_model_is_served_by_its_sha256_by_any_server(monkeypatch):
    model = vae.load_pretrained("mnist-vae-z8")
    name = f"/files/{model.source[1][:32]}.decoder.f16.safetensors"
    assert files.model_urls(model)["decoder"] == name
    monkeypatch.setattr(files, "_CACHE", OrderedDict())  # a replica that never published it: the manifest's file
    monkeypatch.setattr(files, "_MAKERS", {})
    status, headers, body = get(name)
    assert status == 200 and headers["cache-control"].endswith("immutable")
    assert_is_half(body, model, "decoder")


def test_a_model_that_goes_forgets_its_files_but_not_those_of_its_namesake():
    model = vae.load_pretrained("digits-vae-z2")
    twin = vae.load_checkpoint(model.source[0])  # the same file loaded again: the same names
    name = files.model_urls(model)["decoder"].removeprefix("/files/")
    assert files.model_urls(twin)["decoder"] == f"/files/{name}"
    del model
    gc.collect()
    assert name in files._MAKERS  # the twin's, still
    del twin
    gc.collect()
    assert name not in files._MAKERS


def test_head_answers_the_headers_alone():
    status, headers, body = get(files.code_url("main.js"), method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) == len(files.CODE["main.js"])


def test_which_server_answers_is_never_cached_and_other_requests_pass_on():
    status, headers, body = get("/live-server")
    assert status == 200 and headers["cache-control"] == "no-store"
    assert json.loads(body) == {"server": files.SERVER_ID, "code": files.CODE_VERSION, "pid": os.getpid()}
    assert get("/")[0] == 299 and get("/_stcore/health")[0] == 299
    assert get(files.code_url("main.js"), method="POST")[0] == 299  # Files answers GET and HEAD only
