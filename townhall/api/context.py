"""What every endpoint works with: the services, the organiser check, and the table of
endpoints that both the router and the OpenAPI document are built from."""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from townhall import rooms
from townhall.api import console_auth
from townhall.api.errors import ApiError
from townhall.api.minutes import MinutesExporter, RenderJobs, sql_exporter
from townhall.db import SessionFactory
from townhall.joins import KeyedBuckets
from townhall.metrics import Metrics
from townhall.ports import RoomCommands
from townhall.settings import Settings

__all__ = ["Api", "ApiDeps", "Endpoint", "Handler", "Organiser", "bearer_key", "organiser"]

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Captions over HTTP (townhall.api.captions): per town hall and worker.
CAPTION_RATE_PER_S = 5.0
CAPTION_BURST = 20


def organiser(request: Request) -> Organiser | None:
    """The organiser ``Api.authorize`` found for this request (None: a facilitator link)."""
    found: Organiser | None = getattr(request.state, "organiser", None)
    return found


@dataclass(frozen=True)
class ApiDeps:
    """The services the API calls; built in the app's lifespan, hence handed over lazily."""

    sessions: SessionFactory
    room_commands: RoomCommands
    exporter: MinutesExporter | None = None  # default: rendered from the SQL archive
    # The server secret: derives link tokens that can be shown again (townhall.links).
    # Without it links are random and shown once, as before.
    secret: bytes | None = None


@dataclass(frozen=True)
class Organiser:
    """Who is calling: an organiser key (by its id) or a console signed in with one."""

    key_id: str
    admin: bool

    def owns(self, owner: str | None) -> bool:
        return self.admin or (owner is not None and owner == self.key_id)


Handler = Callable[["Api", Request], Awaitable[Response]]


@dataclass(frozen=True)
class Endpoint:
    name: str  # the OpenAPI operationId
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    auth: bool = True  # organiser key required
    facilitator_link: bool = False  # ...or, for this room, its facilitator link as ?token=
    body: type[BaseModel] | None = None
    body_required: bool = True
    raw_body: tuple[str, ...] = ()  # media types of a body sent as is (a file), not JSON
    status: int = 200
    response: type[BaseModel] | None = None
    media: tuple[str, ...] = ("application/json",)  # what a success answers with
    errors: tuple[str, ...] = ()  # codes this endpoint may answer besides the shared ones
    description: str = ""
    params: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", tuple(re.findall(r"{(\w+)}", self.path)))


def bearer_key(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


class Api:
    def __init__(
        self,
        settings: Settings,
        deps: ApiDeps | Callable[[Request], ApiDeps],
        metrics: Metrics,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self._provider = None if isinstance(deps, ApiDeps) else deps
        self._deps = deps if isinstance(deps, ApiDeps) else None
        self._exporters: dict[int, MinutesExporter] = {}
        self.renders = RenderJobs()  # long exports rendering in the background
        # Shared by every request of this worker (``serving`` copies the reference).
        self.caption_limits = KeyedBuckets(CAPTION_RATE_PER_S, CAPTION_BURST, time.monotonic)

    def serving(self, request: Request) -> Api:
        """This API with the services of ``request`` (an app's lifespan state)."""
        if self._provider is None:
            return self
        bound = copy.copy(self)  # shares settings, metrics and the exporters' cache
        bound._deps = self._provider(request)
        return bound

    @property
    def deps(self) -> ApiDeps:
        assert self._deps is not None, "Api.serving(request) gives the services of a request"
        return self._deps

    @property
    def sessions(self) -> SessionFactory:
        return self.deps.sessions

    @property
    def room_commands(self) -> RoomCommands:
        return self.deps.room_commands

    @property
    def exporter(self) -> MinutesExporter:
        deps = self.deps
        if deps.exporter is not None:
            return deps.exporter
        key = id(deps.sessions)
        if key not in self._exporters:
            self._exporters[key] = sql_exporter(deps.sessions)
        return self._exporters[key]

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    @property
    def secret(self) -> bytes | None:
        return self.deps.secret

    async def authorize(self, request: Request, *, facilitator_link: bool = False) -> None:
        """An organiser key (``Authorization: Bearer``) or a signed-in console (its cookie,
        and on every change its CSRF token); ``request.state.organiser`` says who."""
        request.state.organiser = None
        key = bearer_key(request)
        if key is None and (cookie := request.cookies.get(console_auth.COOKIE)):
            found = await console_auth.session_of(self.sessions, cookie)
            if found is None:
                raise ApiError("unauthorized", "the console's sign-in has ended; sign in again")
            if request.method in UNSAFE and not console_auth.csrf_ok(request, found):
                raise ApiError("csrf_failed")
            request.state.organiser = Organiser(found.key_id, found.admin)
            return
        if key is None and facilitator_link and "token" in request.query_params:
            # The console's "Export minutes" links: the facilitators of this room may
            # download its minutes with the link they already hold.
            grant = await rooms.resolve_link(self.sessions, request.query_params["token"])
            room = request.path_params.get("id")
            if grant is not None and grant.role == "facilitator" and grant.room == room:
                return
            raise ApiError("unauthorized", "this link does not open these minutes")
        if key is None:
            raise ApiError("unauthorized", "missing organiser key (Authorization: Bearer KEY)")
        who = await rooms.identify_api_key(self.sessions, key, env_key=self.settings.organiser_key)
        if who is None:
            raise ApiError("unauthorized", "this organiser key is not valid")
        request.state.organiser = Organiser(*who)
