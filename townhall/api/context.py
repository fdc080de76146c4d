"""What every endpoint works with: the services, the organiser check, and the table of
endpoints that both the router and the OpenAPI document are built from."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from townhall import rooms
from townhall.api.errors import ApiError
from townhall.api.minutes import MinutesExporter, sql_exporter
from townhall.db import SessionFactory
from townhall.metrics import Metrics
from townhall.ports import RoomCommands
from townhall.settings import Settings

__all__ = ["Api", "ApiDeps", "Endpoint", "Handler", "bearer_key"]


@dataclass(frozen=True)
class ApiDeps:
    """The services the API calls; built in the app's lifespan, hence handed over lazily."""

    sessions: SessionFactory
    room_commands: RoomCommands
    exporter: MinutesExporter | None = None  # default: rendered from the SQL archive


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
        deps: ApiDeps | Callable[[], ApiDeps],
        metrics: Metrics,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self._deps = deps
        self._exporters: dict[int, MinutesExporter] = {}

    @property
    def deps(self) -> ApiDeps:
        return self._deps if isinstance(self._deps, ApiDeps) else self._deps()

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

    async def authorize(self, request: Request, *, facilitator_link: bool = False) -> None:
        key = bearer_key(request)
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
        if not await rooms.verify_api_key(self.sessions, key, env_key=self.settings.organiser_key):
            raise ApiError("unauthorized", "this organiser key is not valid")
