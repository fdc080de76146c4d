"""What the ``redis://`` log stores and runs in Redis: its Lua scripts and record format.

Each script touches only the keys of one room (one ``{room:ID}`` hash slot). A record
is one stream entry with id ``0-<seq>`` and one field ``r``: JSON ``[name, data, at,
cause]``. A command entry is ``"<first seq>:<last seq>:<result JSON>"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from realtime.log.contract import Committed, Record
from realtime.wire import timestamp

__all__ = [
    "APPEND_BATCH",
    "LOOKUP",
    "TRIM",
    "encode",
    "record_body",
    "seq_of",
    "to_committed",
    "to_record",
]

# The room's keys share one lifetime. A live room's keys never expire; a retired room's
# stream carries the TTL that ``retire`` gave it, and keys an append creates or touches
# afterwards (a first command hash, an epoch set by ``epoch()`` with its provisional
# TTL) take the stream's, so nothing of the room outlives it.
_ALIGN_TTLS = """
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
else
  redis.call('PERSIST', KEYS[3])
end
"""

# Redis 7 script flags: without allow-oom, a full Redis refuses an append before it starts
# (never half-written); trim frees memory, so it must run even then.

# ARGV: expect, a new epoch id, the wake channel, then per entry: command key ('' for
# none), result JSON, number of events n, and its n record bodies. All or nothing: any
# key already applied refuses the whole batch ('dup' + those keys), so seqs stay gapless.
APPEND_BATCH = (
    """#!lua
local entries = {}
local dups = {}
local i = 4
while i <= #ARGV do
  local key, n = ARGV[i], tonumber(ARGV[i + 2])
  if key ~= '' and redis.call('HEXISTS', KEYS[2], key) == 1 then
    dups[#dups + 1] = key
  end
  entries[#entries + 1] = {key, ARGV[i + 1], i + 3, n}
  i = i + 3 + n
end
if #dups > 0 then return {'dup', dups} end
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local head = 0
if #last > 0 then head = tonumber(string.sub(last[1][1], 3)) end
if head ~= tonumber(ARGV[1]) then return {'conflict', tostring(head)} end
redis.call('SET', KEYS[3], ARGV[2], 'NX')
local seq = head
for _, e in ipairs(entries) do
  local first = seq + 1
  for j = 0, e[4] - 1 do
    seq = seq + 1
    redis.call('XADD', KEYS[1], string.format('0-%d', seq), 'r', ARGV[e[3] + j])
  end
  if e[1] ~= '' then
    redis.call('HSET', KEYS[2], e[1], string.format('%d:%d:', first, seq) .. e[2])
  end
end
if seq > head then
  local epoch = redis.call('GET', KEYS[3])
  redis.call('PUBLISH', ARGV[3], epoch .. string.format(':%d', seq))
end
"""
    + _ALIGN_TTLS
    + """return {'ok', string.format('%d', seq)}
"""
)

# ARGV: command keys. Returns {index, "<first>:<last>:<result>", records} for each key
# already applied (in ARGV order), nothing for the others: one round trip for a batch.
LOOKUP = """#!lua flags=no-writes
local out = {}
for i, key in ipairs(ARGV) do
  local done = redis.call('HGET', KEYS[2], key)
  if done then
    local a, b = string.match(done, '^(%d+):(%d+):')
    local recs = {}
    if tonumber(b) >= tonumber(a) then
      recs = redis.call('XRANGE', KEYS[1], '0-' .. a, '0-' .. b)
    end
    out[#out + 1] = {i, done, recs}
  end
end
return out
"""

TRIM = """#!lua flags=allow-oom
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('PUBLISH', ARGV[1], 'trim')
return 1
"""

encode = msgspec.json.Encoder().encode
_decode_body = msgspec.json.Decoder(tuple[str, dict[str, Any], str, str | None]).decode


def record_body(name: str, data: dict[str, Any], at: datetime, cause: str | None) -> str:
    """A record as its stream entry's field ``r`` holds it."""
    return encode((name, data, timestamp(at), cause)).decode()


_decode_result = msgspec.json.Decoder(dict[str, str]).decode

Entry = tuple[str, dict[str, str]] | list[Any]


def seq_of(entry_id: Any) -> int:
    return int(str(entry_id)[2:])  # ids are always "0-<seq>"


def to_record(entry: Entry) -> Record:
    entry_id, fields = entry[0], entry[1]
    # XRANGE through redis-py gives a dict of fields; a Lua reply gives a flat list.
    body = fields["r"] if isinstance(fields, dict) else fields[1]
    name, data, at, cause = _decode_body(body)
    return Record(seq_of(entry_id), name, data, datetime.fromisoformat(at), cause)


def to_committed(done: str, entries: Sequence[Entry]) -> Committed:
    result = done.split(":", 2)[2]
    return Committed(tuple(to_record(e) for e in entries), _decode_result(result), True)
