"""What a board's store keeps and promises; both stores (sqlite.py, redis.py) pass tests/test_board_api.py.

A room: its code, the sha256 of its key, its pair, locked or not. A send: (participant, seq) -> its record
(the server's answer), kept while the room lives, so that a retry gets the same answer and adds nothing. The
board: the records on it, oldest first. The event log: every change of the board, each with an id that
orders it (a string: SQLite's row id, a Redis stream's entry id), so that an event stream resumes after any
id it has sent. Everything of a room goes ROOM_TTL seconds after its last write.

A drawing is accepted when its send is answered 201: the store has committed it and its event together (in
SQLite, to the WAL file: a killed process loses none; in Redis, one script: see redis.py for a stopped Redis).

Choosing the store: VAE_BOARD unset (or "sqlite") -> SQLite in $VAE_BOARD_DIR, default `.board/` beside
app.py; VAE_BOARD=redis://HOST:PORT[/DB] or unix:///PATH.sock -> Redis.
"""

import os
from dataclasses import dataclass
from pathlib import Path

ROOM_TTL = 2 * 3600  # seconds after a room's last write
PER_PARTICIPANT = 5  # drawings of one participant on the board: the newest replaces the oldest
PER_ROOM = 500
RATE_PERIOD, RATE_BURST = 2.0, 3  # one drawing per 2 s per participant, 3 at once after a pause
DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / ".board"


class Unreachable(Exception):
    """The store cannot be reached; str(e) is a sentence for a person."""


class Locked(Exception):
    pass


class Full(Exception):
    pass


@dataclass
class Room:
    code: str
    pair: str
    key_hash: str  # sha256 hex of the teacher's key
    locked: bool


@dataclass
class Event:
    id: str
    kind: str  # drawing, removed, cleared, locked
    data: dict


class Store:
    """The interface. Every method may raise Unreachable. `code` is a room's code, upper case."""

    async def create_room(self, code: str, key_hash: str, pair: str) -> bool:
        """False if the code is taken."""
        raise NotImplementedError

    async def room(self, code: str) -> Room | None:
        raise NotImplementedError

    async def answer(self, code: str, participant: str, seq: int) -> dict | None:
        """The record an earlier send of this participant and seq was answered with, or None."""
        raise NotImplementedError

    async def take(self, code: str, participant: str) -> float:
        """Takes one of the participant's send tokens (RATE_BURST, one more every RATE_PERIOD s): 0 if taken,
        else the seconds until one is there."""
        raise NotImplementedError

    async def add(self, code: str, participant: str, seq: int, record: dict) -> tuple[dict, bool]:
        """Puts record (with its "id") on the board, in one step: the participant's oldest go beyond
        PER_PARTICIPANT (a removed event each), then a drawing event. Returns (the record answered, whether
        it was added): an earlier record for (participant, seq) wins. Raises Locked, Full, or KeyError for
        a room that is gone."""
        raise NotImplementedError

    async def remove(self, code: str, drawing_id: str) -> bool:
        """False if the drawing is not on the board."""
        raise NotImplementedError

    async def clear(self, code: str) -> None:
        raise NotImplementedError

    async def lock(self, code: str, locked: bool) -> None:
        raise NotImplementedError

    async def snapshot(self, code: str) -> tuple[list[dict], bool, str]:
        """(the board's records oldest first, locked, the id of the last event they include), read at once."""
        raise NotImplementedError

    async def events(self, code: str, after: str, wait: float) -> list[Event] | None:
        """The room's events after id `after`, oldest first, waiting up to `wait` s for one; None if `after`
        is no id of this room's log (unknown, or older than the log keeps): the caller sends a snapshot."""
        raise NotImplementedError

    def order(self, event_id: str) -> tuple:
        """A key that sorts this store's event ids in their log's order."""
        raise NotImplementedError

    async def close(self) -> None:
        pass


def open_store(spec: str | None = None) -> Store:
    """The store that VAE_BOARD names (see the module's doc)."""
    spec = os.environ.get("VAE_BOARD", "") if spec is None else spec
    if spec.startswith(("redis://", "rediss://", "unix://")):
        from .redis import RedisStore

        return RedisStore(spec)
    if spec not in ("", "sqlite"):
        raise ValueError(f"VAE_BOARD={spec!r} is neither 'sqlite' nor a redis:// or unix:// address")
    from .sqlite import SqliteStore

    return SqliteStore(Path(os.environ.get("VAE_BOARD_DIR") or DEFAULT_DIR) / "board.sqlite3")
