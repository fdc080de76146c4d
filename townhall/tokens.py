"""Secrets and tokens: link tokens, personal resume tokens, organiser API keys.

Link tokens and API keys are random and stored only as SHA-256 hashes, so a database
dump gives no working link. Resume tokens are signed (HMAC-SHA256 with the server
secret) because every worker must check them without a lookup.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

LINK_PREFIX = "l_"
RESUME_PREFIX = "p_"
MEMBER_PREFIX = "m_"  # a roll member's personal link (SPEC §7)
API_KEY_PREFIX = "thk_"


def new_link_token() -> str:
    return LINK_PREFIX + secrets.token_urlsafe(24)


def new_member_token() -> str:
    return MEMBER_PREFIX + secrets.token_urlsafe(24)


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def load_server_secret(configured: str | None, data_dir: Path) -> bytes:
    """The configured secret, else one kept in the data dir (made once, shared by the
    workers of one machine); several machines must be given the same TOWNHALL_SECRET_KEY."""
    if configured:
        return configured.encode()
    path = data_dir / "secret.key"
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as out:
        value = secrets.token_hex(32).encode()
        out.write(value)
    return value


@dataclass(frozen=True)
class ResumeClaim:
    room: str
    participant: str
    role: str
    name: str
    link_version: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_resume(secret: bytes, claim: ResumeClaim) -> str:
    body = _b64(
        json.dumps(
            [claim.room, claim.participant, claim.role, claim.name, claim.link_version],
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
    )
    mac = _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())
    return f"{RESUME_PREFIX}{body}.{mac}"


def verify_resume(secret: bytes, token: str) -> ResumeClaim | None:
    """The claim of a well-signed resume token, or None for anything else."""
    if not token.startswith(RESUME_PREFIX) or len(token) > 2048:
        return None
    body, _, mac = token[len(RESUME_PREFIX) :].partition(".")
    expected = _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(mac, expected):
        return None
    try:
        room, participant, role, name, version = json.loads(_unb64(body))
    except (ValueError, TypeError):
        return None
    if not all(isinstance(v, str) for v in (room, participant, role, name)):
        return None
    if not isinstance(version, int):
        return None
    return ResumeClaim(room, participant, role, name, version)
