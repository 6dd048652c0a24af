"""The class board's HTTP contract (../shared/DESIGN.md, "Class board"), run against both stores: SQLite (a
file of the test's own) and Redis (a redis-server of the test's own: slow). The server is Board in front of
a stand-in app, served by uvicorn in this process on loopback."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
from boardkit import Client, board_server, link_form, redis_server, stroke
from conftest import ROOT

import vae
from routes.board import redis as redis_store
from routes.board import sqlite as sqlite_store
from routes.board.sqlite import SqliteStore
from routes.board.store import ROOM_TTL
from vae.judge import probabilities

CODE = re.compile(r"[A-HJ-NP-Z2-9]{6}")
PARTICIPANTS = [f"student-{k:03d}" for k in range(40)]


@pytest.fixture(scope="module")
def redis_url():
    with redis_server() as server:
        yield server.url


def make_store(kind: str, tmp_path, request):
    if kind == "sqlite":
        return SqliteStore(tmp_path / "board.sqlite3")
    url = request.getfixturevalue("redis_url")
    import redis

    redis.Redis.from_url(url).flushdb()
    return redis_store.RedisStore(url)


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.slow)])
def kind(request):
    return request.param


@pytest.fixture
def store(kind, tmp_path, request):
    return make_store(kind, tmp_path, request)


@pytest.fixture
def client(store):
    with board_server(store) as base:
        yield Client(base)


@pytest.fixture
def fast(monkeypatch):
    """No cooldown: a test that sends many drawings from one participant does not wait."""
    for module in (sqlite_store, redis_store):
        monkeypatch.setattr(module, "RATE_BURST", 1000)


def said(answer, status: int) -> str:
    """The answer's sentence, after checking its status and that it is one."""
    assert answer.status == status, (answer.status, answer.body)
    assert answer.headers["content-type"].startswith("application/json")
    sentence = answer.error
    assert re.fullmatch(r"[A-Z'\"(].{10,}[.)]", sentence), sentence
    return sentence


DRAW = link_form(stroke())


# ---- rooms --------------------------------------------------------------------------------------


def test_a_room_has_a_code_a_key_and_its_pair(client):
    room = client.room("mnist-z2")
    assert CODE.fullmatch(room["code"]) and len(room["key"]) >= 24
    info = client.request("GET", f"/board/{room['code'].lower()}/room")  # typed by hand: any case
    assert info.status == 200 and info.body["pair"] == "mnist-z2" and info.body["shape"] == [1, 28, 28]
    default = client.request("POST", "/board/rooms", raw=b"")
    assert default.status == 201
    assert client.request("GET", f"/board/{default.body['code']}/room").body["pair"] == "mnist-z8"
    other = client.room("mnist-z2")
    assert other["code"] != room["code"] and other["key"] != room["key"]


def test_the_students_page_is_no_streamlit_session(client):
    code = client.room()["code"]
    page = client.request("GET", f"/board/{code.lower()}")
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert b"streamlit" not in page.body.lower() and b"_stcore" not in page.body


def test_board_alone_is_a_box_for_the_code_that_goes_to_the_room(client):
    code = client.room()["code"]
    for path in ("/board", "/board/"):
        page = client.request("GET", path)
        assert page.status == 200 and page.headers["content-type"].startswith("text/html"), (path, page)
        assert b'<form class="enter" method="get" action="/board">' in page.body and b'name="code"' in page.body
        assert b"streamlit" not in page.body.lower()
    for typed in (code, code.lower(), f" {code.lower()} "):  # any case, as typed on a phone
        went = client.request("GET", f"/board?code={typed.replace(' ', '+')}")
        assert went.status == 303 and went.headers["location"] == f"/board/{code}", (typed, went)
    for typed, says in (("AB", b"is not a room&#x27;s code"), ("<b>I0", b"&#x27;&lt;b&gt;I0&#x27; is not"),
                        ("ZZZZZZ" if code != "ZZZZZZ" else "YYYYYY", b"There is no room")):
        again = client.request("GET", f"/board?code={typed}")
        assert again.status == 200 and says in again.body and b'name="code"' in again.body, (typed, again.body)


# ---- every status, each with its sentence ----------------------------------------------------------


def test_every_error_is_a_status_and_a_sentence(client, monkeypatch):
    for module in (sqlite_store, redis_store):  # a token comes back in 10 min, not 2 s: however slow this test runs
        monkeypatch.setattr(module, "RATE_PERIOD", 600.0)
    room = client.room()
    code, key = room["code"], room["key"]
    drawings = f"/board/{code}/drawings"
    assert "mnist-z2" in said(client.request("POST", "/board/rooms", {"pair": "cifar-z9"}), 400)
    said(client.request("POST", drawings, raw=b"{not json"), 400)
    said(client.request("POST", drawings, raw=b"[1, 2]"), 400)
    assert "participant" in said(client.send(code, "short", 0, DRAW), 400)
    assert "participant" in said(client.send(code, "has spaces in it", 0, DRAW), 400)
    for seq in (-1, 1.5, "3", True, None):
        assert "seq" in said(client.send(code, PARTICIPANTS[0], seq, DRAW), 400)
    for draw in ("", DRAW[:-4], "*" * 523, link_form(np.zeros((8, 8))), None):
        assert "28x28" in said(client.send(code, PARTICIPANTS[0], 0, draw), 400)
    assert "empty" in said(client.send(code, PARTICIPANTS[0], 0, link_form(np.zeros((28, 28)))), 400)  # a blank pad
    assert "16 KB" in said(client.request("POST", drawings, raw=b" " * (16 * 1024 + 1)), 413)
    big = json.dumps({"participant": PARTICIPANTS[0], "seq": 0, "draw": DRAW, "pad": "x" * 17000}).encode()
    said(client.request("POST", drawings, raw=big), 413)
    assert "ABCDEF" in said(client.send("ABCDEF", PARTICIPANTS[0], 0, DRAW), 404)
    said(client.send("not-a-code", PARTICIPANTS[0], 0, DRAW), 404)
    said(client.request("GET", "/board/ABCDEF/events"), 404)
    said(client.request("GET", f"/board/{code}/nothing-here"), 404)
    said(client.request("PUT", drawings), 405)
    powers = (("POST", f"/board/{code}/clear", None), ("POST", f"/board/{code}/lock", {"locked": True}),
              ("DELETE", f"{drawings}/abc", None))
    for method, path, body in powers:
        assert "teacher" in said(client.request(method, path, body), 403)
        said(client.request(method, path, body, key=key[:-1] + "x"), 403)
    said(client.request("POST", f"/board/{code}/lock", {"locked": "yes"}, key=key), 400)
    said(client.request("DELETE", f"{drawings}/abc", key=key), 404)
    assert client.request("POST", f"/board/{code}/lock", {"locked": True}, key=key).status == 200
    assert "locked" in said(client.send(code, PARTICIPANTS[0], 0, DRAW), 423)
    assert client.request("POST", f"/board/{code}/lock", {"locked": False}, key=key).status == 200
    for seq in range(3):  # the burst
        assert client.send(code, PARTICIPANTS[0], seq, DRAW).status == 201
    refused = client.send(code, PARTICIPANTS[0], 3, DRAW)
    assert "Too fast" in said(refused, 429)
    assert 1 <= int(refused.headers["retry-after"]) <= 600
    assert client.send(code, PARTICIPANTS[1], 0, DRAW).status == 201  # the others unaffected


def test_a_store_out_of_reach_answers_503_with_a_sentence():
    with board_server(redis_store.RedisStore(f"redis://127.0.0.1:{_closed_port()}/0")) as base:
        client = Client(base)
        assert "store" in said(client.request("POST", "/board/rooms", {"pair": "mnist-z2"}), 503)
        assert "store" in said(client.send("ABCDEF", PARTICIPANTS[0], 0, DRAW), 503)


@pytest.mark.slow
def test_sends_answer_503_while_redis_is_away_and_land_once_when_it_is_back():
    """What "accepted" means: answered 201. While Redis is away nothing is accepted (503, a sentence), the board
    hears that the store is unreachable, and a send retried with the same seq lands once when Redis is back."""
    with redis_server() as server, board_server(redis_store.RedisStore(server.url)) as base:
        client = Client(base)
        code = client.room()["code"]
        first = client.send(code, PARTICIPANTS[0], 0, DRAW).body
        stream = client.events(code)
        stream.next()
        server.stop()
        assert "store" in said(client.send(code, PARTICIPANTS[1], 0, DRAW), 503)
        assert stream.until("store")["data"]["reachable"] is False
        server.start()  # the same port and data
        assert stream.until("store")["data"]["reachable"] is True
        again = client.send(code, PARTICIPANTS[1], 0, DRAW)
        assert again.status == 201 and client.send(code, PARTICIPANTS[1], 0, DRAW).body == again.body
        assert stream.until("drawing")["data"]["id"] == again.body["id"]
        board = client.events(code).next()["data"]["drawings"]
        assert [d["id"] for d in board] == [first["id"], again.body["id"]]  # the first survived the restart
        stream.close()


def _closed_port() -> int:
    from boardkit import free_port

    return free_port()  # bound and closed: nobody listens there


def test_a_full_board_refuses_with_a_sentence(client, monkeypatch):
    for module in (sqlite_store, redis_store):
        monkeypatch.setattr(module, "PER_ROOM", 3)
    code = client.room()["code"]
    for k in range(3):
        assert client.send(code, PARTICIPANTS[k], 0, DRAW).status == 201
    assert "full" in said(client.send(code, PARTICIPANTS[3], 0, DRAW), 429)


# ---- drawings ---------------------------------------------------------------------------------------


def test_the_servers_codes_are_torchs_encoding_of_the_same_pixels(client):
    code = client.room("mnist-z2")["code"]
    x = np.round(np.random.default_rng(1).uniform(size=(28, 28)) * 15) / 15
    answer = client.send(code, PARTICIPANTS[0], 0, link_form(x))
    assert answer.status == 201
    ae, vm = vae.load_pretrained("mnist-ae-z2"), vae.load_pretrained("mnist-vae-z2")
    t = torch.tensor(x, dtype=torch.float32)[None, None]
    with torch.inference_mode():
        enc = vm.encode(t)
        expected = {"ae_z": ae.encode(t).mu[0], "mu": enc.mu[0], "sigma": enc.log_sigma[0].exp()}
    for name, value in expected.items():
        np.testing.assert_allclose(answer.body[name], value.numpy(), rtol=1e-6, atol=1e-6)
    probs = probabilities(x[None, None], "mnist")[0]
    assert answer.body["digit"] == int(probs.argmax())
    assert answer.body["participant"] == PARTICIPANTS[0]


def test_a_code_sent_by_the_client_is_never_used(client):
    code = client.room("mnist-z2")["code"]
    body = {"participant": PARTICIPANTS[0], "seq": 0, "draw": DRAW, "mu": [9, 9], "ae_z": [9, 9], "id": "mine"}
    answer = client.request("POST", f"/board/{code}/drawings", body)
    assert answer.status == 201 and answer.body["mu"] != [9, 9] and answer.body["id"] != "mine"


def test_the_same_participant_and_seq_again_gives_the_same_answer_and_adds_nothing(client):
    code = client.room()["code"]
    first = client.send(code, PARTICIPANTS[0], 7, DRAW)
    again = client.send(code, PARTICIPANTS[0], 7, DRAW)
    other_drawing = client.send(code, PARTICIPANTS[0], 7, link_form(stroke(2)))  # a retry carries its first text
    assert first.status == again.status == other_drawing.status == 201
    assert first.body == again.body == other_drawing.body
    assert client.send(code, PARTICIPANTS[1], 7, DRAW).body["id"] != first.body["id"]  # seq is per participant
    stream = client.events(code)
    assert [d["id"] for d in stream.next()["data"]["drawings"]] == [first.body["id"], _id_of(client, code, 1)]
    stream.close()


def _id_of(client, code, k):
    return client.send(code, PARTICIPANTS[k], 7, DRAW).body["id"]  # a retry: the id it was given


def test_a_participant_keeps_five_drawings_on_the_board_the_newest_replacing_the_oldest(client, fast):
    code = client.room()["code"]
    stream = client.events(code)
    assert stream.next()["event"] == "snapshot"
    ids = [client.send(code, PARTICIPANTS[0], seq, link_form(stroke(seq))).body["id"] for seq in range(7)]
    seen = [(e["event"], e["data"]["id"]) for e in (stream.next() for _ in range(9))]
    assert seen == [*(("drawing", i) for i in ids[:5]), ("removed", ids[0]), ("drawing", ids[5]),
                    ("removed", ids[1]), ("drawing", ids[6])]
    board = client.events(code).next()["data"]["drawings"]
    assert [d["id"] for d in board] == ids[2:]
    stream.close()


# ---- the event stream ---------------------------------------------------------------------------------


def test_a_new_stream_gets_the_board_then_every_change_each_with_an_id(client):
    room = client.room()
    code, key = room["code"], room["key"]
    first = client.send(code, PARTICIPANTS[0], 0, DRAW).body
    stream = client.events(code)
    assert stream.status == 200 and stream.content_type.startswith("text/event-stream")
    snapshot = stream.next()
    assert snapshot["event"] == "snapshot" and snapshot["id"]
    assert [d["id"] for d in snapshot["data"]["drawings"]] == [first["id"]]
    assert snapshot["data"]["drawings"][0]["draw"] == DRAW and snapshot["data"]["locked"] is False
    second = client.send(code, PARTICIPANTS[1], 0, DRAW).body
    event = stream.next()
    assert event["event"] == "drawing" and event["data"]["id"] == second["id"]
    assert {"ae_z", "mu", "sigma", "draw", "participant", "digit"} <= set(event["data"])
    assert client.request("DELETE", f"/board/{code}/drawings/{first['id']}", key=key).status == 200
    assert client.request("POST", f"/board/{code}/lock", {"locked": True}, key=key).status == 200
    assert client.request("POST", f"/board/{code}/clear", key=key).status == 200
    events = [stream.next() for _ in range(3)]
    assert [(e["event"], e["data"]) for e in events] == [("removed", {"id": first["id"]}), ("locked", {"locked": True}),
                                                          ("cleared", {})]
    ids = [snapshot["id"], event["id"], *(e["id"] for e in events)]
    assert all(ids) and len(set(ids)) == len(ids)
    after = client.events(code).next()["data"]
    assert after == {"drawings": [], "locked": True}
    stream.close()


def test_a_stream_resumed_with_last_event_id_gets_only_what_came_after(client):
    code = client.room()["code"]
    stream = client.events(code)
    stream.next()
    client.send(code, PARTICIPANTS[0], 0, DRAW)
    seen = stream.next()
    stream.close()  # a phone sleeps
    later = [client.send(code, PARTICIPANTS[k], 0, DRAW).body["id"] for k in (1, 2)]
    resumed = client.events(code, last_event_id=seen["id"], timeout=2)
    got = [resumed.next() for _ in range(2)]
    assert [(e["event"], e["data"]["id"]) for e in got] == [("drawing", i) for i in later]
    with pytest.raises(TimeoutError):
        resumed.next()  # nothing more, and no snapshot
    resumed.close()
    for unusable in ("not-an-id", "12345678-0-0"):
        assert client.events(code, last_event_id=unusable).next()["event"] == "snapshot"


def test_every_stream_of_a_room_on_one_server_gets_each_event_once(client):
    code = client.room()["code"]
    streams = [client.events(code) for _ in range(3)]  # the teacher's board, a second screen, a reload
    for stream in streams:
        assert stream.next()["event"] == "snapshot"
    sent = [client.send(code, PARTICIPANTS[k], 0, DRAW).body["id"] for k in range(2)]
    for stream in streams:
        assert [stream.next()["data"]["id"] for _ in sent] == sent
        stream.close()


def test_a_board_on_one_server_sees_the_drawings_sent_to_another(kind, tmp_path, request):
    """Two servers over one store (two replicas: one SQLite file, or one Redis): the events come from the
    store, not from the process that took the drawing."""
    one, two = make_store(kind, tmp_path, request), make_store(kind, tmp_path, request)
    with board_server(one) as a, board_server(two) as b:
        code = Client(a).room()["code"]
        stream = Client(a).events(code)
        stream.next()
        sent = Client(b).send(code, PARTICIPANTS[0], 0, DRAW).body
        assert stream.next()["data"]["id"] == sent["id"]
        stream.close()


# ---- the room's life ------------------------------------------------------------------------------------


def test_a_room_and_its_drawings_go_two_hours_after_its_last_activity(tmp_path):
    now = [1_000_000.0]
    store = SqliteStore(tmp_path / "board.sqlite3", clock=lambda: now[0])
    with board_server(store) as base:
        client = Client(base)
        code = client.room()["code"]
        assert client.send(code, PARTICIPANTS[0], 0, DRAW).status == 201
        now[0] += ROOM_TTL - 1
        assert client.send(code, PARTICIPANTS[1], 0, DRAW).status == 201  # activity: the clock starts again
        now[0] += ROOM_TTL - 1
        assert client.request("GET", f"/board/{code}/room").status == 200
        now[0] += 2
        said(client.send(code, PARTICIPANTS[2], 0, DRAW), 404)
        client.room()  # a new room sweeps the old one away, drawings and events too
    db = __import__("sqlite3").connect(tmp_path / "board.sqlite3")
    assert [db.execute(f"SELECT count(*) FROM {t} WHERE {c} = ?", (code,)).fetchone()[0]
            for t, c in (("rooms", "code"), ("sends", "room"), ("events", "room"))] == [0, 0, 0]


@pytest.mark.slow
def test_redis_keeps_a_room_two_hours_after_its_last_activity(redis_url):
    import redis

    with board_server(redis_store.RedisStore(redis_url)) as base:
        client = Client(base)
        code = client.room()["code"]
        client.send(code, PARTICIPANTS[0], 0, DRAW)
        db = redis.Redis.from_url(redis_url)
        keys = db.keys(f"board:{code}:*")
        assert len(keys) == 6
        assert all(ROOM_TTL - 5 <= db.ttl(k) <= ROOM_TTL for k in keys)



def test_the_board_never_imports_streamlit():
    code = ("import sys, routes.board.api, routes.board.sqlite, routes.board.redis, live.drawing; "
            "assert 'streamlit' not in sys.modules, 'the board imported streamlit'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


def test_a_quiet_stream_has_a_heartbeat(client, monkeypatch):
    from routes.board import api

    monkeypatch.setattr(api, "PING", 0.2)  # 15 s in class
    code = client.room()["code"]
    stream = client.events(code)
    assert stream.next()["event"] == "snapshot"
    lines = [stream.response.readline() for _ in range(3)]  # nothing happens on the board: only heartbeats
    assert all(line.startswith(b":") or line.strip() == b"" for line in lines) and lines[0].startswith(b":")
    stream.close()
