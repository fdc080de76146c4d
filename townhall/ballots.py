"""Where a room's ballot secret lives, and how secret votes are sealed on their way to SQL.

The secret (32 random bytes per room) keys every secret ballot: ``ballot_key(secret,
poll, participant)`` (facilitation.polls). It never touches the SQL database, whose old
bytes outlive any ``UPDATE`` or ``DELETE`` (SQLite's free pages and WAL, PostgreSQL's
heap and WAL segments): it lives in a ``BallotVault`` where deletion is real, and the
archive destroys it (docs/decisions/0007-ballot-vault.md).

- ``FileVault`` (one process, embedded log): one file per room in the data directory,
  created ``0600`` with ``O_EXCL``; destroying it overwrites it with zeros, syncs, and
  unlinks it.
- ``RedisVault`` (several workers): one Redis key per room; destroying it deletes it.

The embedded log writes every event to SQL before its ack, secret votes included. Such a
record's ballot key and choice go in sealed (``seal``) under a key derived from the
room's secret: once the vault has forgotten the secret, the sealed bytes that SQL keeps
are noise. The seal is HMAC-SHA256 in counter mode with a random nonce, then an
HMAC-SHA256 tag over nonce and ciphertext (encrypt-then-MAC, keys derived apart): only
the standard library's HMAC, a pseudo-random function, is trusted.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any, Protocol

from townhall.redis_client import redis_from_url, split_prefix

__all__ = [
    "BallotVault",
    "FileVault",
    "RedisVault",
    "SealError",
    "is_secret_vote",
    "open_vault",
    "seal_key",
    "seal_vote",
    "unseal_vote",
]

SECRET_BYTES = 32
_PREFIX = "s1:"  # version of the sealed form


class BallotVault(Protocol):
    async def secret(self, room: str, *, create: bool = True) -> bytes | None:
        """The room's ballot secret; a new one if it has none and ``create``."""
        ...

    async def destroy(self, room: str) -> None:
        """Forget the room's secret for good (idempotent)."""
        ...

    async def close(self) -> None: ...


class FileVault:
    """Secrets as files in ``directory`` (created ``0700``), one per room."""

    def __init__(self, directory: Path) -> None:
        self._dir = directory

    def _path(self, room: str) -> Path:
        # Named by a hash: a room id never becomes part of a file path.
        return self._dir / hashlib.sha256(room.encode()).hexdigest()[:40]

    async def secret(self, room: str, *, create: bool = True) -> bytes | None:
        return await asyncio.to_thread(self._secret, room, create)

    def _secret(self, room: str, create: bool) -> bytes | None:
        path = self._path(room)
        try:
            value = path.read_bytes()
        except FileNotFoundError:
            if not create:
                return None
            self._dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            fresh = secrets.token_bytes(SECRET_BYTES)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # created meanwhile: that one holds
                return path.read_bytes()
            try:
                os.write(fd, fresh)
                os.fsync(fd)
            finally:
                os.close(fd)
            _sync_dir(self._dir)
            return fresh
        return value if len(value) == SECRET_BYTES else None

    async def destroy(self, room: str) -> None:
        await asyncio.to_thread(self._destroy, room)

    def _destroy(self, room: str) -> None:
        path = self._path(room)
        try:
            fd = os.open(path, os.O_WRONLY)
        except FileNotFoundError:
            return
        try:
            os.write(fd, bytes(SECRET_BYTES))  # the blocks themselves lose the secret
            os.fsync(fd)
        finally:
            os.close(fd)
        path.unlink(missing_ok=True)
        _sync_dir(self._dir)

    async def close(self) -> None:
        return None


def _sync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class RedisVault:
    """Secrets as Redis keys, ``<prefix>{room:ID}:ballot``, shared by every worker."""

    def __init__(self, url: str) -> None:
        plain, self._prefix = split_prefix(url)
        self._redis = redis_from_url(plain)  # a single Redis or a Redis Cluster

    def _key(self, room: str) -> str:
        return f"{self._prefix}{{room:{room}}}:ballot"

    async def secret(self, room: str, *, create: bool = True) -> bytes | None:
        key = self._key(room)
        value = await self._redis.get(key)
        if value is None and create:
            await self._redis.set(key, secrets.token_bytes(SECRET_BYTES), nx=True)
            value = await self._redis.get(key)
        if isinstance(value, bytes) and len(value) == SECRET_BYTES:
            return value
        return None

    async def destroy(self, room: str) -> None:
        await self._redis.delete(self._key(room))

    async def close(self) -> None:
        await self._redis.aclose()


def open_vault(redis_url: str | None, data_dir: Path) -> BallotVault:
    """Redis when the workers share one, else files in the data directory."""
    if redis_url:
        return RedisVault(redis_url)
    return FileVault(data_dir / "ballot-secrets")


# -- sealing secret votes for the embedded log's SQL copy -----------------------------


class SealError(ValueError):
    """A sealed vote could not be opened: wrong key, or its bytes were changed."""


def seal_key(secret: bytes) -> bytes:
    return hmac.digest(secret, b"townhall/seal/v1", "sha256")


def is_secret_vote(name: str, data: dict[str, Any]) -> bool:
    """A secret poll's ``vote.counted`` as the log holds it (its voter is not named)."""
    return name == "vote.counted" and data.get("participant") is None and "ballot" in data


def _stream(key: bytes, nonce: bytes, size: int) -> bytes:
    blocks = (
        hmac.digest(key, b"stream" + nonce + n.to_bytes(4, "big"), "sha256")
        for n in range((size + 31) // 32)
    )
    return b"".join(blocks)[:size]


def _tag(key: bytes, nonce: bytes, body: bytes) -> bytes:
    return hmac.digest(key, b"tag" + nonce + body, "sha256")[:16]


def seal_vote(key: bytes, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with its ballot key and choice sealed; the poll stays readable."""
    plain = json.dumps({"ballot": data["ballot"], "choice": data["choice"]}).encode()
    nonce = secrets.token_bytes(16)
    body = bytes(a ^ b for a, b in zip(plain, _stream(key, nonce, len(plain)), strict=True))
    sealed = base64.b64encode(nonce + body + _tag(key, nonce, body)).decode()
    return {"poll": data["poll"], "participant": None, "sealed": _PREFIX + sealed}


def unseal_vote(key: bytes, data: dict[str, Any]) -> dict[str, Any]:
    """The vote ``seal_vote`` sealed; raises SealError."""
    text = data.get("sealed")
    if not isinstance(text, str) or not text.startswith(_PREFIX):
        raise SealError("not a sealed vote")
    raw = base64.b64decode(text[len(_PREFIX) :])
    nonce, body, tag = raw[:16], raw[16:-16], raw[-16:]
    if len(raw) < 32 or not hmac.compare_digest(tag, _tag(key, nonce, body)):
        raise SealError("the seal does not match this room's key")
    plain = bytes(a ^ b for a, b in zip(body, _stream(key, nonce, len(body)), strict=True))
    opened = json.loads(plain)
    return {"poll": data["poll"], "ballot": opened["ballot"], "participant": None,
            "choice": opened["choice"]}  # fmt: skip


def is_sealed(name: str, data: dict[str, Any]) -> bool:
    return name == "vote.counted" and "sealed" in data
