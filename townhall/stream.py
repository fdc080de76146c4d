"""A town hall's livestream: an HTTPS page URL made embeddable, and the origin a page's
CSP must let frames load from (``frame-src``), derived from that URL alone.

YouTube watch, short and live links become the privacy-enhanced ``youtube-nocookie.com``
embed; PeerTube ``/w/ID`` and ``/videos/watch/ID`` become ``/videos/embed/ID`` on the
same instance; Jitsi and any other player are embedded as given (they must allow it).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

__all__ = ["StreamError", "check_stream_url", "embed_url", "frame_origin"]

MAX_URL = 2000
_YOUTUBE = {
    "youtube.com",
    "www.youtube.com",
    "m.youtube.com",
    "youtu.be",
    "www.youtube-nocookie.com",
}
_ID = re.compile(r"^[A-Za-z0-9_-]{6,64}$")
_PEERTUBE = re.compile(r"^/(?:w|videos/watch|videos/embed)/([A-Za-z0-9-]{6,64})/?$")


class StreamError(ValueError):
    """Not an HTTPS URL a page may embed; the message says why."""


def check_stream_url(url: str) -> str:
    """``url`` stripped, if it is an absolute HTTPS URL without credentials."""
    url = url.strip()
    if len(url) > MAX_URL:
        raise StreamError(f"at most {MAX_URL} characters")
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise StreamError("must be an https:// address")
    if parts.username or parts.password:
        raise StreamError("must not carry a user name or password")
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise StreamError("must not contain spaces or control characters")
    return url


def _youtube_id(url: str) -> str | None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host not in _YOUTUBE:
        return None
    path = parts.path.rstrip("/")
    if host == "youtu.be":
        candidate = path.lstrip("/")
    elif path == "/watch":
        candidate = (parse_qs(parts.query).get("v") or [""])[0]
    else:
        match = re.match(r"^/(?:live|embed|shorts)/([^/]+)$", path)
        candidate = match[1] if match else ""
    return candidate if _ID.match(candidate) else None


def embed_url(url: str) -> str:
    """The address to put in an ``<iframe>`` for the stream page ``url``."""
    video = _youtube_id(url)
    if video:
        return f"https://www.youtube-nocookie.com/embed/{video}"
    parts = urlsplit(url)
    match = _PEERTUBE.match(parts.path)
    if match:
        return f"https://{parts.netloc}/videos/embed/{match[1]}"
    return url


def frame_origin(url: str) -> str:
    """The origin of the embedded player, for the page's ``frame-src``."""
    parts = urlsplit(embed_url(url))
    return f"{parts.scheme}://{parts.netloc}".lower()
