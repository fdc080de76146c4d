"""The browser UI as static files, with headers that keep a hostile page out."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Awaitable, Callable, Iterable
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
    if path.rstrip("/") == "console":  # the organiser console's page (console/index.html)
        return True
    return not parts or PurePosixPath(path).suffix.lower() in SERVED_SUFFIXES or path == "."


# (scope) -> the CSP of the page: the base policy with the frame sources of the town
# hall its link opens (its stream's player) and the sites that may frame it.
PagePolicy = Callable[[Scope], Awaitable[str]]


def page_policy(frame_src: Iterable[str] = (), frame_ancestors: Iterable[str] = ()) -> str:
    """The page's CSP: ``frame-src`` lists only the given origins (a town hall's stream),
    ``frame-ancestors`` the sites allowed to embed the page (``'none'`` by default)."""
    none = "'none'"
    sources = " ".join(dict.fromkeys(frame_src)) or none
    ancestors = " ".join(dict.fromkeys(frame_ancestors)) or none
    return (
        "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
        f"frame-src {sources}; frame-ancestors {ancestors}"
    )


class FrontendFiles(StaticFiles):
    def __init__(self, directory: str, policy: PagePolicy | None = None) -> None:
        super().__init__(directory=directory, html=True)
        self._policy = policy

    async def get_response(self, path: str, scope: Scope) -> Response:
        if not served(path):
            # The same 404 page as a missing file: no hint that the file exists.
            raise HTTPException(status_code=404)
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        if self._policy is not None and path in ("", ".", "index.html"):
            response.headers["content-security-policy"] = await self._policy(scope)
        if path.endswith((".js", ".css", ".json", ".html")) or path in ("", "."):
            response.headers["cache-control"] = "no-cache"
        return response
