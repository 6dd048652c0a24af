"""The class board's HTTP routes (the contract: ../shared/DESIGN.md, "Class board"). JSON in and out; every
error is {"error": "<a sentence for a person>"}.

- POST /board/rooms {"pair"} -> 201 {"code", "key"}; the key is the teacher's power (X-Board-Key);
- GET /board (or /board/) -> a box for the room's code (enter.html); /board?code=<code> -> 303 to /board/<CODE>
  when that room is open, else the box again with a sentence;
- GET /board/<CODE> -> the student's page (student.html; no Streamlit session);
- GET /board/<CODE>/room -> {"code", "pair", "shape", "conversion", "pad", "brush", "locked"}: the student's pad;
- POST /board/<CODE>/drawings {"participant", "seq", "draw"} -> 201 the drawing's record (models.encode);
- GET /board/<CODE>/events -> text/event-stream: snapshot (or what came after Last-Event-ID), then drawing,
  removed, cleared, locked; `store` {"reachable", "error"} when the store goes away and comes back;
- with X-Board-Key: DELETE /board/<CODE>/drawings/<id>, POST /board/<CODE>/clear, POST /board/<CODE>/lock.

A send is checked in this order: its body (413, 400), the room (404), an earlier send of the same participant
and seq (its answer again, 201, whatever else has changed), the lock (423), the drawing (400), the cooldown
(429 with Retry-After); then it is encoded in a worker thread and put on the board in one step of the store
(423, or 429 for a full board). A store out of reach answers 503 anywhere. Each replica reads a room's events
from the store once (a Feed) and fans them out to its own connections.
"""

import asyncio
import hashlib
import hmac
import html
import json
import logging
import math
import re
import secrets
import time
from pathlib import Path

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from vae.data import drawing_pad
from vae.errors import CheckpointError

from ..files import CODE_VERSION
from . import models
from .store import PER_ROOM, RATE_PERIOD, ROOM_TTL, Event, Full, Locked, Store, Unreachable

MAX_BODY = 16 * 1024  # bytes of a request body (a drawing's text is 523 characters for MNIST)
CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1: read aloud and typed without doubt
CODE = re.compile(f"[{CODE_LETTERS}]{{6}}")
PARTICIPANT = re.compile(r"[A-Za-z0-9_-]{8,64}")
MAX_SEQ = 2**53  # whole numbers a browser counts exactly
PING = 15  # s between heartbeats (comment lines) on an event stream: proxies close idle streams
RETRY_MS = 1000  # how soon a browser's EventSource reconnects after a stream ends
WAIT = 5  # s a Feed waits for the store's next event before it looks again
log = logging.getLogger(__name__)
# the pages, read once (as routes/files.py reads the browser's code), their code of the app's version
STUDENT_PAGE, ENTER_PAGE = (Path(__file__).with_name(name).read_text().replace("{{LIVE}}", f"/live/{CODE_VERSION}")
                            for name in ("student.html", "enter.html"))
CLOSES = f"a board closes {ROOM_TTL / 3600:g} hours after its last activity"


class Problem(Exception):
    """An answer other than success: status, a sentence, and headers."""

    def __init__(self, status: int, sentence: str, headers: dict | None = None):
        super().__init__(sentence)
        self.status, self.sentence, self.headers = status, sentence, headers or {}


def error(status: int, sentence: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": sentence}, status, headers={"Cache-Control": "no-store", **(headers or {})})


UNREACHABLE = "The board's store cannot be reached just now; nothing was changed. Try again in a few seconds."


class BoardServer:
    """The routes over one store, and each room's Feed."""

    def __init__(self, store: Store):
        self.store = store
        self.feeds: dict[str, Feed] = {}
        self.app = Starlette(routes=[
            Route("/board/rooms", self.create_room, methods=["POST"]),
            Route("/board", self.enter, methods=["GET", "HEAD"]),
            Route("/board/", self.enter, methods=["GET", "HEAD"]),
            Route("/board/{code}", self.student_page, methods=["GET", "HEAD"]),
            Route("/board/{code}/room", self.room_info, methods=["GET"]),
            Route("/board/{code}/drawings", self.send, methods=["POST"]),
            Route("/board/{code}/drawings/{drawing}", self.remove, methods=["DELETE"]),
            Route("/board/{code}/clear", self.clear, methods=["POST"]),
            Route("/board/{code}/lock", self.lock, methods=["POST"]),
            Route("/board/{code}/events", self.events, methods=["GET"]),
        ], exception_handlers={HTTPException: self.http_error, Problem: self.problem})

    # ---- answers ---------------------------------------------------------------------------------------

    async def http_error(self, request, e: HTTPException):
        if e.status_code == 405:
            return error(405, f"{request.method} is not an action of {request.url.path}.")
        return error(e.status_code, f"There is nothing at {request.url.path}.")

    async def problem(self, request, e: Problem):
        return error(e.status, e.sentence, e.headers)

    async def call(self, coroutine):
        """A store's answer; Unreachable becomes a 503."""
        try:
            return await coroutine
        except Unreachable as e:
            log.warning("class board: %s", e)  # for whoever runs the server; the person sending gets a sentence
            raise Problem(503, UNREACHABLE, {"Retry-After": "5"}) from None

    async def room_of(self, request: Request):
        code = request.path_params["code"].upper()
        room = await self.call(self.store.room(code)) if CODE.fullmatch(code) else None
        if room is None:
            raise Problem(404, f"There is no board with the code {code[:12]!r}: check the code, or ask for a new "
                               f"one ({CLOSES}).")
        return room

    async def teacher(self, request: Request):
        room = await self.room_of(request)
        given = request.headers.get("x-board-key", "")
        if not hmac.compare_digest(hashlib.sha256(given.encode()).hexdigest(), room.key_hash):
            raise Problem(403, "Only the teacher who made this board can do that (the X-Board-Key header is "
                               "missing or wrong).")
        return room

    # ---- routes ----------------------------------------------------------------------------------------

    async def create_room(self, request: Request):
        body = await json_body(request, empty_ok=True)
        pair = body.get("pair", models.DEFAULT_PAIR)
        if not isinstance(pair, str) or pair not in models.pair_names():
            known = ", ".join(models.pair_names())
            raise Problem(400, f"{str(pair)[:40]!r} is not a pair of shipped models; a board can use {known}.")
        key = secrets.token_urlsafe(24)
        for _ in range(20):  # 32^6 codes: a clash is rare, and a second draw clears it
            code = "".join(secrets.choice(CODE_LETTERS) for _ in range(6))
            if await self.call(self.store.create_room(code, hashlib.sha256(key.encode()).hexdigest(), pair)):
                return JSONResponse({"code": code, "key": key, "pair": pair}, 201)
        raise Problem(503, "No free board code was found; try again.")

    async def enter(self, request: Request):
        typed = request.query_params.get("code")
        said = "Type the code your teacher shows, in capitals or not."
        if typed is not None:
            code = typed.strip().upper()
            if not CODE.fullmatch(code):
                said = (f"{typed[:12]!r} is not a room's code: a code is 6 letters and digits (no I, O, 0 or 1). "
                        "Check it on the teacher's screen.")
            elif await self.call(self.store.room(code)) is None:
                said = f"There is no room {code} ({CLOSES}). Check the code with your teacher."
            else:
                return Response(status_code=303, headers={"Location": f"/board/{code}"})
        page = ENTER_PAGE.replace("{{SAID}}", html.escape(said))
        return Response(page, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"})

    async def student_page(self, request: Request):
        return Response(STUDENT_PAGE, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"})

    async def room_info(self, request: Request):
        room = await self.room_of(request)
        card = models.card(room.pair)
        return JSONResponse({"code": room.code, "pair": room.pair, "shape": list(card.image_shape),
                             **drawing_pad(card.dataset, tuple(card.image_shape[1:])),  # conversion, pad, brush
                             "locked": room.locked}, headers={"Cache-Control": "no-store"})

    async def send(self, request: Request):
        body = await json_body(request)
        participant, seq, draw = body.get("participant"), body.get("seq"), body.get("draw")
        if not (isinstance(participant, str) and PARTICIPANT.fullmatch(participant)):
            raise Problem(400, "The participant must be 8 to 64 letters, digits, '_' or '-'.")
        if not (isinstance(seq, int) and not isinstance(seq, bool) and 0 <= seq < MAX_SEQ):
            raise Problem(400, "The seq must be a whole number, 0 or more.")
        room = await self.room_of(request)
        earlier = await self.call(self.store.answer(room.code, participant, seq))
        if earlier is not None:  # a retry: the same answer, nothing added
            return JSONResponse(earlier, 201)
        if room.locked:
            raise Problem(423, "The teacher has locked the board: your drawing was not sent.")
        x = models.read_drawing(room.pair, draw)
        if x is None:
            shape = "x".join(map(str, models.card(room.pair).image_shape[1:]))
            raise Problem(400, f"The draw is not a drawing for this board's {shape} pixels.")
        if not x.any():  # a blank pad: nothing for the models to read (an upload with no ink is refused too)
            raise Problem(400, "The drawing is empty: draw a digit first.")
        wait = await self.call(self.store.take(room.code, participant))
        if wait > 0:
            raise Problem(429, f"Too fast: one drawing every {RATE_PERIOD:g} seconds. Try again in "
                               f"{math.ceil(wait)} s.", {"Retry-After": str(math.ceil(wait))})
        try:
            codes = await asyncio.to_thread(models.encode, room.pair, x)
        except CheckpointError as e:
            raise Problem(500, f"The board's models cannot be loaded: {e}.") from None
        record = {"id": secrets.token_hex(6), **codes,
                  "draw": draw, "participant": participant, "seq": seq, "t": round(time.time(), 3)}
        try:
            answer, _ = await self.call(self.store.add(room.code, participant, seq, record))
        except Locked:
            raise Problem(423, "The teacher has locked the board: your drawing was not sent.") from None
        except Full:
            raise Problem(429, f"The board is full ({PER_ROOM} drawings): wait for the teacher to clear it.",
                          {"Retry-After": "60"}) from None
        except KeyError:
            raise Problem(404, "This board has closed: ask for a new code.") from None
        return JSONResponse(answer, 201)

    async def remove(self, request: Request):
        room = await self.teacher(request)
        if not await self.call(self.store.remove(room.code, request.path_params["drawing"])):
            raise Problem(404, "That drawing is not on the board (already removed?).")
        return JSONResponse({"removed": request.path_params["drawing"]})

    async def clear(self, request: Request):
        room = await self.teacher(request)
        await self.call(self.store.clear(room.code))
        return JSONResponse({"cleared": True})

    async def lock(self, request: Request):
        room = await self.teacher(request)
        locked = (await json_body(request)).get("locked")
        if not isinstance(locked, bool):
            raise Problem(400, 'The body must be {"locked": true} or {"locked": false}.')
        await self.call(self.store.lock(room.code, locked))
        return JSONResponse({"locked": locked})

    async def events(self, request: Request):
        room = await self.room_of(request)
        after = request.headers.get("last-event-id", "").strip()
        return EventSourceResponse(self.stream(room.code, after), ping=PING)

    # ---- the event stream ------------------------------------------------------------------------------

    async def stream(self, code: str, after: str):
        """What one connection is sent: the board (or what came after `after`), then every event. The Feed
        and this connection's own reads may both hold an event: sent is the last id sent, and nothing at or
        before it is sent again; a start cut short by the store begins again after it."""
        queue: asyncio.Queue = asyncio.Queue()
        sent = after or "0"
        joined = None
        try:
            while True:  # the start: a snapshot or a replay, then catch up with the Feed; again if the store fails
                try:
                    replay = await self.store.events(code, after, 0) if after else None
                    if replay is None:
                        records, locked, sent = await self.store.snapshot(code)
                        after, replay = sent, []
                        # retry: the browser's EventSource keeps it for every reconnection (its default is 3 s+)
                        yield ServerSentEvent(json.dumps({"drawings": records, "locked": locked}), event="snapshot",
                                              id=sent, retry=RETRY_MS)
                    if joined is None:
                        joined = self.join(code, sent, queue)
                    while True:
                        for e in replay:
                            sent = after = e.id
                            yield sse(e)
                        if not (replay := await self.store.events(code, sent, 0)):
                            break
                    break
                except Unreachable as e:
                    yield ServerSentEvent(json.dumps({"reachable": False, "error": str(e)}), event="store", id=sent)
                    await asyncio.sleep(1)
            while True:
                e = await queue.get()
                if e is None:  # the Feed lost its place in the log: end; the browser reconnects with its last id
                    return
                if e.kind == "store":
                    yield ServerSentEvent(json.dumps(e.data), event="store", id=sent)
                elif self.store.order(e.id) > self.store.order(sent):
                    sent = e.id
                    yield sse(e)
        finally:
            if joined is not None:
                joined.queues.discard(queue)

    def join(self, code: str, after: str, queue: asyncio.Queue) -> "Feed":
        feed = self.feeds.get(code)
        if feed is None or feed.task.done():
            feed = self.feeds[code] = Feed(self, code, after)
        feed.queues.add(queue)
        return feed


def sse(e: Event) -> ServerSentEvent:
    return ServerSentEvent(json.dumps(e.data), event=e.kind, id=e.id)


class Feed:
    """A room's events read from the store once in this process, and put on each of its connections' queues.
    It ends when the last connection has gone."""

    def __init__(self, server: BoardServer, code: str, after: str):
        self.server, self.code, self.after = server, code, after
        self.queues: set[asyncio.Queue] = set()
        self.task = asyncio.create_task(self.run())

    def put(self, item) -> None:
        for q in self.queues:
            q.put_nowait(item)

    async def run(self) -> None:
        store, down = self.server.store, False
        while self.queues:
            try:
                events = await store.events(self.code, self.after, WAIT)
                if down:
                    down = False
                    self.put(Event(self.after, "store", {"reachable": True, "error": ""}))
                if events is None:
                    self.put(None)
                    break
                for e in events:
                    self.after = e.id
                    self.put(e)
            except Unreachable as e:
                if not down:
                    down = True
                    self.put(Event(self.after, "store", {"reachable": False, "error": str(e)}))
                await asyncio.sleep(1)
        if self.server.feeds.get(self.code) is self:
            del self.server.feeds[self.code]


async def json_body(request: Request, empty_ok: bool = False) -> dict:
    """The body as a JSON object, read up to MAX_BODY bytes; {} for an empty one when empty_ok."""
    if int(request.headers.get("content-length") or 0) > MAX_BODY:
        raise Problem(413, f"The request is larger than the board accepts ({MAX_BODY // 1024} KB).")
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY:
            raise Problem(413, f"The request is larger than the board accepts ({MAX_BODY // 1024} KB).")
    if not data.strip() and empty_ok:
        return {}
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise Problem(400, "The body must be a JSON object.")
    return body


class Board:
    """ASGI middleware in front of Streamlit (app.py): /board and everything under it is answered here, over
    the store (app.py opens the one VAE_BOARD names); every other request goes on."""

    def __init__(self, app, store: Store):
        self.app = app
        self.server = BoardServer(store)

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path == "/board" or path.startswith("/board/"):
            return await self.server.app(scope, receive, send)
        await self.app(scope, receive, send)
