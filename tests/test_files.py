"""The files the browser caches (panels/files.py), asked of the Files middleware directly, as the server
asks it: immutable headers, names that change with the content, and a plain 404 for anything else."""

import asyncio
import json
import os
import shutil

import vae
from panels import files


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
    assert files.code_version(copy) == files.CODE_VERSION
    (copy / "paint.js").write_bytes((copy / "paint.js").read_bytes() + b"\n// one more line\n")
    changed = files.code_version(copy)
    assert changed != files.CODE_VERSION
    (copy / "paint.js").rename(copy / "paint2.js")  # a file's name counts too
    assert files.code_version(copy) not in (changed, files.CODE_VERSION)


def test_a_published_file_is_named_by_its_content_and_served_as_published():
    one, two = files.publish(b"\x01\x02\x03", "u8"), files.publish(b"\x01\x02\x04", "u8")
    assert one != two and files.publish(b"\x01\x02\x03", "u8") == one
    status, headers, body = get(one)
    assert status == 200 and body == b"\x01\x02\x03"
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert headers["content-type"] == "application/octet-stream"


def test_a_shipped_model_is_served_by_its_sha256_by_any_server():
    model = vae.load_pretrained("mnist-vae-z8")
    name = f"/files/{model.source[1][:32]}.decoder.safetensors"
    assert files.model_urls(model)["decoder"] == name
    assert name.removeprefix("/files/") in files._shipped_files()  # by the manifest: a replica that never published it
    status, headers, body = get(name)
    assert status == 200 and len(body) > 1_000_000 and headers["cache-control"].endswith("immutable")


def test_which_server_answers_is_never_cached_and_other_requests_pass_on():
    status, headers, body = get("/live-server")
    assert status == 200 and headers["cache-control"] == "no-store"
    assert json.loads(body) == {"server": files.SERVER_ID, "code": files.CODE_VERSION, "pid": os.getpid()}
    assert get("/")[0] == 299 and get("/_stcore/health")[0] == 299
    assert get(files.code_url("main.js"), method="POST")[0] == 299  # Files answers GETs only
