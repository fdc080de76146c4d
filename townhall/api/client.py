"""A small synchronous client of the organiser API, used by the ``townhall`` CLI."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from townhall.api.documents import document_path

__all__ = ["DEMO_TOWNHALL", "ApiClientError", "OrganiserClient", "read_agenda_file"]

# What `townhall demo` creates: enough to try every part of a session.
DEMO_TOWNHALL: dict[str, Any] = {
    "title": "Demo town hall: Riverside park renovation",
    "description": "A ready-made session to try Townhall: three agenda items, fair queue.",
    "language": "en",
    "visibility": "private",
    "agenda": [
        {"title": "Welcome and how this works", "duration_s": 300},
        {"title": "The park plan: questions and statements", "duration_s": 1200},
        {"title": "Vote on the first phase", "duration_s": 600},
    ],
    "settings": {"queue_policy": "fair", "turn_s": 120, "auto_advance": False},
}


class ApiClientError(Exception):
    """The server refused, or could not be reached; ``code`` is the API's stable code
    (``unreachable`` when nothing answered)."""

    def __init__(self, code: str, message: str, fields: list[dict[str, str]] | None = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.fields = fields or []

    def explain(self) -> str:
        lines = [f"{self.message} ({self.code})"]
        lines += [f"  {f.get('field', '?')}: {f.get('message', '')}" for f in self.fields]
        return "\n".join(lines)


def read_agenda_file(path: Path) -> dict[str, Any]:
    """The body of ``POST /api/townhalls`` from a YAML file (the server validates it)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ApiClientError("invalid_file", f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ApiClientError("invalid_file", f"{path} must hold a mapping with at least `title`")
    return data


def _error(response: httpx.Response) -> ApiClientError:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "code" in body:
        return ApiClientError(str(body["code"]), str(body.get("message", "")), body.get("fields"))
    return ApiClientError(f"http_{response.status_code}", response.text[:200] or "no answer body")


@dataclass
class OrganiserClient:
    server: str
    key: str | None = None
    timeout_s: float = 120.0  # a long PDF is rendered before its first byte

    def _headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.key}"} if self.key else {}

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = f"{self.server.rstrip('/')}{path}"
        try:
            response = httpx.request(
                method, url, headers=self._headers(), timeout=self.timeout_s, **kwargs
            )
        except httpx.TransportError as exc:
            raise ApiClientError(
                "unreachable", f"no server answers at {self.server} ({exc})"
            ) from None
        if response.status_code >= 400:
            raise _error(response)
        return response

    def health(self) -> dict[str, Any]:
        """The server's /health (also when it answers 503: degraded)."""
        try:
            response = httpx.get(f"{self.server.rstrip('/')}/health", timeout=self.timeout_s)
            found: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ApiClientError("unreachable", f"no health from {self.server} ({exc})") from None
        return found

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        created: dict[str, Any] = self._request("POST", "/api/townhalls", json=body).json()
        return created

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """Any JSON endpoint: the decoded answer (None for an empty one)."""
        kwargs = {} if body is None else {"json": body}
        response = self._request(method, path, **kwargs)
        return response.json() if response.content else None

    def render(
        self,
        room: str,
        fmt: str,
        *,
        version: int | None = None,
        rendering: Callable[[float], None] | None = None,
        every_s: float = 0.3,
    ) -> int:
        """Has the server render the document in the background and waits until it is
        ready, telling ``rendering`` its progress (0..1); returns the version."""
        body: dict[str, Any] = {"format": fmt}
        if version is not None:
            body["version"] = version
        while True:
            answer = self._request("POST", f"/api/townhalls/{room}/minutes/render", json=body)
            state = answer.json()
            if rendering is not None:
                rendering(float(state["progress"]))
            if state["ready"]:
                return int(state["version"])
            body["version"] = state["version"]  # the same version while it renders
            time.sleep(every_s)

    def export(
        self,
        room: str,
        fmt: str,
        *,
        public: bool = False,
        version: int | None = None,
        progress: Callable[[int | None], Callable[[int], None]] | None = None,
    ) -> Iterator[bytes]:
        """The document's bytes as they arrive; ``progress(total)`` returns a callback
        told how many bytes each chunk added."""
        prefix = f"/api/{'public/' if public else ''}townhalls/{room}"
        url = f"{self.server.rstrip('/')}{document_path(prefix, fmt)}"
        if version is not None:
            url += f"?version={version}"
        try:
            with httpx.stream(
                "GET", url, headers=self._headers(), timeout=self.timeout_s
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    raise _error(response)
                length = response.headers.get("content-length")
                advance = progress(int(length) if length else None) if progress else None
                for chunk in response.iter_bytes():
                    if advance is not None:
                        advance(len(chunk))
                    yield chunk
        except httpx.TransportError as exc:
            raise ApiClientError(
                "unreachable", f"no server answers at {self.server} ({exc})"
            ) from None
