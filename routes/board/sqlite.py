"""The board's embedded store: one SQLite file in WAL mode, made on first use (no set-up). Every replica on
this machine opens the same file, so a board sees every replica's drawings: the event log is a table, and
each process reads it by id (every POLL s, and at once after its own writes), never from its own memory.

Tables: rooms; sends (every accepted send, by room, participant and seq: its record, and whether it is on
the board); buckets (each participant's send tokens); events (the log; its row id is the event's id).
"""

import asyncio
import json
import sqlite3
import threading
import time
from collections import defaultdict
from pathlib import Path

from .store import PER_PARTICIPANT, PER_ROOM, RATE_BURST, RATE_PERIOD, ROOM_TTL, Event, Full, Locked, Room, Store

POLL = 0.1  # s between reads of the event log for another process's writes
SCHEMA = """
CREATE TABLE IF NOT EXISTS rooms (code TEXT PRIMARY KEY, key_hash TEXT NOT NULL, pair TEXT NOT NULL,
                                  locked INTEGER NOT NULL DEFAULT 0, active REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sends (room TEXT NOT NULL, participant TEXT NOT NULL, seq INTEGER NOT NULL,
                                  id TEXT NOT NULL, record TEXT NOT NULL, on_board INTEGER NOT NULL,
                                  PRIMARY KEY (room, participant, seq));
CREATE INDEX IF NOT EXISTS board ON sends (room, on_board, participant);
CREATE TABLE IF NOT EXISTS buckets (room TEXT NOT NULL, participant TEXT NOT NULL, tokens REAL NOT NULL,
                                    at REAL NOT NULL, PRIMARY KEY (room, participant));
CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY AUTOINCREMENT, room TEXT NOT NULL, kind TEXT NOT NULL,
                                   data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS log ON events (room, id);
"""


class SqliteStore(Store):
    def __init__(self, path: str | Path, clock=time.time):
        self.path = Path(path)
        self.clock = clock  # seconds; tests move it to age a room
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # one connection, one statement at a time
        self._bells: dict[str, asyncio.Event] = defaultdict(asyncio.Event)  # rung by this process's writes

    def _open(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # WAL: a power cut may lose the last commits, never corrupt
            db.executescript(SCHEMA)
            self._db = db
        return self._db

    async def _run(self, fn, *args):
        """fn(connection, *args) in a worker thread, in one transaction (BEGIN IMMEDIATE: writers queue on the
        file, readers in WAL never wait)."""

        def call():
            with self._lock:
                db = self._open()
                db.execute("BEGIN IMMEDIATE")
                try:
                    result = fn(db, *args)
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
                return result

        return await asyncio.to_thread(call)

    def _ring(self, code: str) -> None:
        self._bells[code].set()

    # ---- rooms -----------------------------------------------------------------------------------------

    async def create_room(self, code, key_hash, pair):
        def create(db):
            db_sweep(db, self.clock())
            if db.execute("SELECT 1 FROM rooms WHERE code = ?", (code,)).fetchone():
                return False
            db.execute("INSERT INTO rooms VALUES (?, ?, ?, 0, ?)", (code, key_hash, pair, self.clock()))
            return True

        return await self._run(create)

    async def room(self, code):
        row = await self._run(lambda db: _live_room(db, code, self.clock()))
        return None if row is None else Room(code, row[1], row[0], bool(row[2]))

    # ---- sends -----------------------------------------------------------------------------------------

    async def answer(self, code, participant, seq):
        row = await self._run(lambda db: db.execute(
            "SELECT record FROM sends WHERE room = ? AND participant = ? AND seq = ?", (code, participant, seq)
        ).fetchone())
        return None if row is None else json.loads(row[0])

    async def take(self, code, participant):
        def take(db):
            now = self.clock()
            row = db.execute("SELECT tokens, at FROM buckets WHERE room = ? AND participant = ?",
                             (code, participant)).fetchone()
            tokens = RATE_BURST if row is None else min(RATE_BURST, row[0] + (now - row[1]) / RATE_PERIOD)
            if tokens < 1:
                return (1 - tokens) * RATE_PERIOD
            db.execute("INSERT OR REPLACE INTO buckets VALUES (?, ?, ?, ?)", (code, participant, tokens - 1, now))
            return 0.0

        return await self._run(take)

    async def add(self, code, participant, seq, record):
        def add(db):
            now = self.clock()
            room = _live_room(db, code, now)
            if room is None:
                raise KeyError(code)
            earlier = db.execute("SELECT record FROM sends WHERE room = ? AND participant = ? AND seq = ?",
                                 (code, participant, seq)).fetchone()
            if earlier:
                return json.loads(earlier[0]), False
            if room[2]:
                raise Locked
            mine = [r[0] for r in db.execute("SELECT id FROM sends WHERE room = ? AND on_board = 1 AND participant = ?"
                                             " ORDER BY rowid", (code, participant))]
            gone = mine[: max(0, len(mine) - PER_PARTICIPANT + 1)]
            count = db.execute("SELECT count(*) FROM sends WHERE room = ? AND on_board = 1", (code,)).fetchone()[0]
            if count - len(gone) >= PER_ROOM:
                raise Full
            for drawing_id in gone:
                db.execute("UPDATE sends SET on_board = 0 WHERE room = ? AND id = ?", (code, drawing_id))
                _log(db, code, "removed", {"id": drawing_id})
            db.execute("INSERT INTO sends VALUES (?, ?, ?, ?, ?, 1)",
                       (code, participant, seq, record["id"], json.dumps(record)))
            _log(db, code, "drawing", record)
            _touch(db, code, now)
            return record, True

        result = await self._run(add)
        self._ring(code)
        return result

    # ---- the teacher's powers --------------------------------------------------------------------------

    async def remove(self, code, drawing_id):
        def remove(db):
            done = db.execute("UPDATE sends SET on_board = 0 WHERE room = ? AND id = ? AND on_board = 1",
                              (code, drawing_id)).rowcount
            if done:
                _log(db, code, "removed", {"id": drawing_id})
                _touch(db, code, self.clock())
            return bool(done)

        done = await self._run(remove)
        self._ring(code)
        return done

    async def clear(self, code):
        def clear(db):
            db.execute("UPDATE sends SET on_board = 0 WHERE room = ? AND on_board = 1", (code,))
            _log(db, code, "cleared", {})
            _touch(db, code, self.clock())

        await self._run(clear)
        self._ring(code)

    async def lock(self, code, locked):
        def lock(db):
            db.execute("UPDATE rooms SET locked = ? WHERE code = ?", (int(locked), code))
            _log(db, code, "locked", {"locked": locked})
            _touch(db, code, self.clock())

        await self._run(lock)
        self._ring(code)

    # ---- what a board reads ----------------------------------------------------------------------------

    async def snapshot(self, code):
        def read(db):
            records = [json.loads(r[0]) for r in db.execute(
                "SELECT record FROM sends WHERE room = ? AND on_board = 1 ORDER BY rowid", (code,))]
            locked = db.execute("SELECT locked FROM rooms WHERE code = ?", (code,)).fetchone()
            last = db.execute("SELECT max(id) FROM events WHERE room = ?", (code,)).fetchone()[0]
            return records, bool(locked and locked[0]), str(last or 0)

        return await self._run(read)

    async def events(self, code, after, wait):
        try:
            after_id = int(after)
        except ValueError:
            return None
        deadline = time.monotonic() + wait
        bell = self._bells[code]
        while True:
            bell.clear()
            rows = await self._run(lambda db: db.execute(
                "SELECT id, kind, data FROM events WHERE room = ? AND id > ? ORDER BY id LIMIT 1000",
                (code, after_id)).fetchall())
            left = deadline - time.monotonic()
            if rows or left <= 0:
                return [Event(str(i), kind, json.loads(data)) for i, kind, data in rows]
            try:
                await asyncio.wait_for(bell.wait(), min(POLL, left))
            except TimeoutError:
                pass

    def order(self, event_id):
        return (int(event_id),)

    async def close(self):
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


def _live_room(db, code: str, now: float):
    """(key_hash, pair, locked) of a room written to within ROOM_TTL, or None."""
    return db.execute("SELECT key_hash, pair, locked FROM rooms WHERE code = ? AND active > ?",
                      (code, now - ROOM_TTL)).fetchone()


def _touch(db, code: str, now: float) -> None:
    db.execute("UPDATE rooms SET active = ? WHERE code = ?", (now, code))


def _log(db, code: str, kind: str, data: dict) -> None:
    db.execute("INSERT INTO events (room, kind, data) VALUES (?, ?, ?)", (code, kind, json.dumps(data)))


def db_sweep(db, now: float) -> None:
    """Deletes the rooms with no write for ROOM_TTL seconds, and all they held."""
    gone = [r[0] for r in db.execute("SELECT code FROM rooms WHERE active <= ?", (now - ROOM_TTL,))]
    for table, column in (("sends", "room"), ("buckets", "room"), ("events", "room"), ("rooms", "code")):
        db.executemany(f"DELETE FROM {table} WHERE {column} = ?", [(c,) for c in gone])
