"""The browser UI as static files, with headers that keep a hostile page out."""

from __future__ import annotations

import base64
import hashlib
from pathlib import PurePosixPath

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from townhall.minutes.html import STYLE

# Everything the UI needs comes from this server: no CDN, no font service, no inline
# script. ``connect-src 'self'`` covers the page's own WebSocket in current browsers.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",  # links carry tokens in their query string
}


def _style_hash(style: str) -> str:
    digest = hashlib.sha256(style.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


# Every API answer (JSON, CSV, PDF, the minutes' HTML): nothing may run, load or frame
# it; the minutes' one inline stylesheet is allowed by its hash (townhall.minutes.html).
API_HEADERS = {
    "content-security-policy": (
        f"default-src 'none'; style-src {_style_hash(STYLE)}; img-src data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}

# What the UI is made of. The frontend package also holds its README and __init__.py,
# which are not the server's to publish: anything else answers 404.
SERVED_SUFFIXES = frozenset(
    {".html", ".js", ".mjs", ".css", ".json", ".svg", ".png", ".jpg", ".jpeg", ".gif",
     ".webp", ".ico", ".woff", ".woff2", ".ttf", ".otf", ".txt", ".webmanifest"}
)  # fmt: skip


def served(path: str) -> bool:
    """Whether ``path`` (relative to the frontend folder) is part of the UI."""
    parts = PurePosixPath(path).parts
    if any(p.startswith((".", "__")) for p in parts):
        return False
    return not parts or PurePosixPath(path).suffix.lower() in SERVED_SUFFIXES or path == "."


class FrontendFiles(StaticFiles):
    def __init__(self, directory: str) -> None:
        super().__init__(directory=directory, html=True)

    async def get_response(self, path: str, scope: Scope) -> Response:
        if not served(path):
            # The same 404 page as a missing file: no hint that the file exists.
            raise HTTPException(status_code=404)
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        if path.endswith((".js", ".css", ".json", ".html")) or path in ("", "."):
            response.headers["cache-control"] = "no-cache"
        return response
