"""The browser UI as static files, with headers that keep a hostile page out."""

from __future__ import annotations

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

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


class FrontendFiles(StaticFiles):
    def __init__(self, directory: str) -> None:
        super().__init__(directory=directory, html=True)

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        if path.endswith((".js", ".css", ".json", ".html")) or path in ("", "."):
            response.headers["cache-control"] = "no-cache"
        return response
