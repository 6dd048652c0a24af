"""The board's store in Redis, for replicas on several machines (VAE_BOARD=redis://HOST:PORT[/DB] or
unix:///PATH.sock). Each room's event log is a stream (XADD; readers XREAD with BLOCK from their last id, so
its entry ids are the events' ids), and every change of a room is one Lua script, so that a change and its
event are one step, whichever replica makes it.

Keys of room C, each expiring ROOM_TTL s after the room's last write: board:C:room (hash: key_hash, pair,
locked), board:C:sends ("participant seq" -> the record answered), board:C:board (drawing id -> record, on the
board now), board:C:parts (participant -> their ids on the board, oldest first, space-separated; ids the
teacher removed are skipped when read), board:C:buckets (participant -> "tokens time"), board:C:events (the
stream, trimmed to about LOG_LENGTH entries: a board further behind gets a snapshot).

"Accepted" means the script that put the drawing in Redis returned: the sender got 201 only then. While
Redis cannot be reached, every send gets 503 and nothing is kept; the page retries with the same seq.
deploy.local runs redis-server with appendfsync always, so an accepted drawing survives a restart of Redis.
"""

import json
import re

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .store import (
    PER_PARTICIPANT,
    PER_ROOM,
    RATE_BURST,
    RATE_PERIOD,
    ROOM_TTL,
    Event,
    Full,
    Locked,
    Room,
    Store,
    Unreachable,
)

LOG_LENGTH = 10_000
WAIT_TIMEOUT = 10  # s: a reply's longest wait, above the Feed's XREAD BLOCK (api.WAIT, 5 s)
STREAM_ID = re.compile(r"\d+-\d+")
PARTS = ("room", "sends", "board", "parts", "buckets", "events")
DOWN = (RedisConnectionError, RedisTimeoutError, OSError)

# KEYS: PARTS; every script ends by setting every key's time to live (ARGV[1]).
EXPIRE = "for i = 1, #KEYS do redis.call('EXPIRE', KEYS[i], ARGV[1]) end\n"
LOG = "local function log(kind, data) redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[2], '*', 'kind', kind, " \
      "'data', data) end\n"
CREATE = """
-- ARGV: ttl, log length, key hash, pair
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'key_hash', ARGV[3], 'pair', ARGV[4], 'locked', '0')
""" + EXPIRE + "return 1"
ADD = LOG + """
-- ARGV: ttl, log length, participant, seq, id, record, per participant, per room
if redis.call('EXISTS', KEYS[1]) == 0 then return {'gone'} end
local send = ARGV[3] .. ' ' .. ARGV[4]
local earlier = redis.call('HGET', KEYS[2], send)
if earlier then return {'earlier', earlier} end
if redis.call('HGET', KEYS[1], 'locked') == '1' then return {'locked'} end
local mine = {}
for id in string.gmatch(redis.call('HGET', KEYS[4], ARGV[3]) or '', '%S+') do
  if redis.call('HEXISTS', KEYS[3], id) == 1 then table.insert(mine, id) end
end
local drop = math.max(0, #mine - tonumber(ARGV[7]) + 1)
if redis.call('HLEN', KEYS[3]) - drop >= tonumber(ARGV[8]) then return {'full'} end
local kept = {}
for i, id in ipairs(mine) do
  if i <= drop then
    redis.call('HDEL', KEYS[3], id)
    log('removed', cjson.encode({id = id}))
  else
    table.insert(kept, id)
  end
end
table.insert(kept, ARGV[5])
redis.call('HSET', KEYS[4], ARGV[3], table.concat(kept, ' '))
redis.call('HSET', KEYS[3], ARGV[5], ARGV[6])
redis.call('HSET', KEYS[2], send, ARGV[6])
log('drawing', ARGV[6])
""" + EXPIRE + "return {'added'}"
TAKE = """
-- ARGV: ttl, log length, participant, burst, period: returns the seconds to wait, "0" if a token was taken
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local burst, period = tonumber(ARGV[4]), tonumber(ARGV[5])
local tokens = burst
local v = redis.call('HGET', KEYS[5], ARGV[3])
if v then
  local left, at = string.match(v, '(%S+) (%S+)')
  tokens = math.min(burst, tonumber(left) + (now - tonumber(at)) / period)
end
if tokens < 1 then return tostring((1 - tokens) * period) end
redis.call('HSET', KEYS[5], ARGV[3], string.format('%.6f %.6f', tokens - 1, now))
""" + EXPIRE + "return '0'"
REMOVE = LOG + """
if redis.call('HDEL', KEYS[3], ARGV[3]) == 0 then return 0 end
log('removed', cjson.encode({id = ARGV[3]}))
""" + EXPIRE + "return 1"
CLEAR = LOG + """
redis.call('DEL', KEYS[3], KEYS[4])
log('cleared', '{}')
""" + EXPIRE + "return 1"
LOCK = LOG + """
redis.call('HSET', KEYS[1], 'locked', ARGV[3])
log('locked', ARGV[3] == '1' and '{"locked": true}' or '{"locked": false}')
""" + EXPIRE + "return 1"


def keys(code: str) -> list[str]:
    return [f"board:{code}:{part}" for part in PARTS]


class RedisStore(Store):
    def __init__(self, url: str):
        self.url = url
        # one retry: a connection the pool kept across a restart of Redis fails once; then 503 at once
        self.db = aioredis.from_url(url, decode_responses=True, socket_timeout=WAIT_TIMEOUT,
                                    socket_connect_timeout=2, retry=Retry(NoBackoff(), 1))
        scripts = {"create": CREATE, "add": ADD, "take": TAKE, "remove": REMOVE, "clear": CLEAR, "lock": LOCK}
        self.scripts = {name: self.db.register_script(text) for name, text in scripts.items()}

    async def _do(self, coroutine):
        try:
            return await coroutine
        except DOWN:
            raise Unreachable(f"Redis at {self.url} cannot be reached.") from None

    async def _script(self, name: str, code: str, *args):
        return await self._do(self.scripts[name](keys=keys(code), args=[ROOM_TTL, LOG_LENGTH, *args]))

    async def create_room(self, code, key_hash, pair):
        return bool(await self._script("create", code, key_hash, pair))

    async def room(self, code):
        fields = await self._do(self.db.hgetall(keys(code)[0]))
        if not fields.get("key_hash"):
            return None
        return Room(code, fields["pair"], fields["key_hash"], fields.get("locked") == "1")

    async def answer(self, code, participant, seq):
        record = await self._do(self.db.hget(keys(code)[1], f"{participant} {seq}"))
        return None if record is None else json.loads(record)

    async def take(self, code, participant):
        return float(await self._script("take", code, participant, RATE_BURST, RATE_PERIOD))

    async def add(self, code, participant, seq, record):
        outcome = await self._script("add", code, participant, seq, record["id"], json.dumps(record),
                                     PER_PARTICIPANT, PER_ROOM)
        if outcome[0] == "gone":
            raise KeyError(code)
        if outcome[0] == "locked":
            raise Locked
        if outcome[0] == "full":
            raise Full
        return (json.loads(outcome[1]), False) if outcome[0] == "earlier" else (record, True)

    async def remove(self, code, drawing_id):
        return bool(await self._script("remove", code, drawing_id))

    async def clear(self, code):
        await self._script("clear", code)

    async def lock(self, code, locked):
        await self._script("lock", code, "1" if locked else "0")

    async def snapshot(self, code):
        room, _, board, *_, events = keys(code)
        async with self.db.pipeline(transaction=True) as p:  # MULTI: the board and its last event, at once
            p.hvals(board).hget(room, "locked").xrevrange(events, count=1)
            records, locked, last = await self._do(p.execute())
        records = sorted((json.loads(r) for r in records), key=lambda r: r.get("t", 0))
        return records, locked == "1", last[0][0] if last else "0-0"

    async def events(self, code, after, wait):
        if after != "0" and not STREAM_ID.fullmatch(after):
            return None
        stream = keys(code)[5]
        if after not in ("0", "0-0"):
            first = await self._do(self.db.xrange(stream, count=1))
            if first and self.order(after) < self.order(first[0][0]):
                return None  # trimmed past `after` (or from another log): the caller sends the board anew
        block = max(1, int(wait * 1000)) if wait > 0 else None
        answer = await self._do(self.db.xread({stream: after}, count=1000, block=block))
        entries = answer[0][1] if answer else []
        return [Event(entry_id, fields["kind"], json.loads(fields["data"])) for entry_id, fields in entries]

    def order(self, event_id):
        ms, _, n = event_id.partition("-")
        return int(ms), int(n or 0)

    async def close(self):
        await self.db.aclose()

