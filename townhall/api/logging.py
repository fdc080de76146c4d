"""Keep link tokens out of the logs, at every level.

A link is a page URL whose query string holds the role's token, and the browser asks
the server for exactly that URL, so uvicorn's access line would write the token to
every log. This filter cuts the query string from the request paths uvicorn logs
(access lines, and the WebSocket accept/reject lines of ``uvicorn.error``).

Under uvicorn's own WebSocket protocols (not Townhall's, ``realtime.transport.protocol``,
which logs no frames), at ``debug`` the websockets library also logs every frame it
reads or writes on ``uvicorn.error``, the ``hello`` (with its link or resume token) and
people's words included: such a frame is logged as its kind and size only.
"""

from __future__ import annotations

import copy
import logging
from typing import Any, TypeGuard

from websockets.frames import Frame

__all__ = ["RedactQuery", "install_log_filter", "strip_query", "uvicorn_log_config"]

LOGGERS = ("uvicorn.access", "uvicorn.error")


def strip_query(path: str) -> str:
    head, sep, _ = path.partition("?")
    # The short join link /j/CODE is a participant link too: its code goes as well.
    start = head.find("/j/")
    if start >= 0 and (start == 0 or "://" in head[:start]):
        head = head[: start + 3] + "[redacted]"
    return f"{head}?[redacted]" if sep else head


def _is_target(arg: object) -> TypeGuard[str]:
    # A request target: a path, or an absolute URL (proxy-style requests carry one).
    return isinstance(arg, str) and (arg.startswith("/") or "://" in arg)


def _frame(frame: Frame) -> str:
    return f"{frame.opcode.name} [{len(frame.data)} bytes, content not logged]"


def _redact(arg: object) -> object:
    if _is_target(arg):
        return strip_query(arg)
    if isinstance(arg, Frame):
        return _frame(arg)
    return arg


class RedactQuery(logging.Filter):
    """Replaces the query string of every path-like argument of a record, and every
    WebSocket frame by its kind and size."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and args:
            record.args = tuple(_redact(a) for a in args)
        if isinstance(record.msg, str) and "?" in record.msg and not args:
            # An already formatted message: redact any URL query in it.
            record.msg = " ".join(
                strip_query(w) if "/" in w and "?" in w else w for w in record.msg.split(" ")
            )
        return True


def install_log_filter() -> None:
    """Add the filter to uvicorn's loggers in this process (idempotent).

    Logger filters survive uvicorn's ``dictConfig`` (it replaces handlers, not
    filters), so this may run before or after uvicorn configures logging.
    """
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactQuery) for f in logger.filters):
            logger.addFilter(RedactQuery())


def uvicorn_log_config(base: dict[str, Any] | None = None) -> dict[str, Any]:
    """uvicorn's logging configuration with the filter on its handlers, for
    ``uvicorn.run(..., log_config=uvicorn_log_config())``: it then holds in every worker
    process uvicorn starts."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(base if base is not None else LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_query"] = {"()": f"{__name__}.RedactQuery"}
    for handler in config.get("handlers", {}).values():
        filters = handler.setdefault("filters", [])
        if "redact_query" not in filters:
            filters.append("redact_query")
    return config
