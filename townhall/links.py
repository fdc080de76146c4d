"""Links that can be shown again: derived tokens, short join codes and QR codes.

A link token is ``HMAC(server secret, room, role, version)``: the database still holds
only its SHA-256 hash (a dump gives no working link), yet the server, which holds the
secret, can show an organiser the links of their town hall at any time (the console's
"Copy link", QR codes, handouts) and the projector can show the join code. Rotating a
link bumps its version, so the derived token changes and the old one stops working.

The participant link also has a short code (``/j/CODE``, 10 letters and digits, about 50
bits), derived the same way and stored hashed in ``link.short_hash``; it redirects to
the participant link. Whoever has the secret can mint links, as they can already sign
resume tokens: give every machine the same ``TOWNHALL_SECRET_KEY`` and keep it secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
from urllib.parse import quote

import segno

from townhall.tokens import LINK_PREFIX

__all__ = [
    "SHORT_ALPHABET",
    "derive_link_token",
    "qr_data_uri",
    "qr_svg",
    "short_code",
    "short_url",
]

# Crockford's base32 without the letters people confuse (i, l, o, u), lower case.
SHORT_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
SHORT_LENGTH = 10


def _mac(secret: bytes, *parts: str) -> bytes:
    return hmac.new(secret, "\x00".join(parts).encode(), hashlib.sha256).digest()


def derive_link_token(secret: bytes, room: str, role: str, version: int) -> str:
    """The token of ``room``'s ``role`` link at ``version`` (same length as a random one)."""
    raw = _mac(secret, "link", room, role, str(version))[:24]
    return LINK_PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def short_code(secret: bytes, room: str, version: int) -> str:
    """The short join code of ``room``'s participant link at ``version``."""
    number = int.from_bytes(_mac(secret, "short", room, str(version))[:8], "big")
    out = []
    for _ in range(SHORT_LENGTH):
        number, digit = divmod(number, 32)
        out.append(SHORT_ALPHABET[digit])
    return "".join(out)


def short_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/j/{code}"


def qr_svg(data: str, *, title: str = "") -> str:
    """A QR code of ``data`` as a standalone SVG document (black on white, quiet zone)."""
    code = segno.make(data, error="m")
    out = io.BytesIO()
    code.save(out, kind="svg", xmldecl=False, svgns=True, scale=8, border=4, title=title or None)
    return out.getvalue().decode()


def qr_data_uri(data: str) -> str:
    """The same QR code as a ``data:`` URI, for an ``<img>`` under ``img-src 'self' data:``."""
    return "data:image/svg+xml;charset=utf-8," + quote(qr_svg(data), safe="")
