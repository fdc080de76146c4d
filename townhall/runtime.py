"""Server runtime options shared by ``townhall serve`` and the test worker pool."""

from __future__ import annotations

from typing import Any

from realtime.server import UVICORN_WS_OPTIONS
from townhall.settings import Settings

# The hub's WebSocket settings (sans-I/O protocol that keeps reading under load,
# permessage-deflate off, 64 KiB frame cap, heartbeats), plus ours: no proxy headers
# unless configured, no Server header.
UVICORN_OPTIONS: dict[str, Any] = {
    **UVICORN_WS_OPTIONS,
    "proxy_headers": False,
    # Open sockets do not hold a stopping worker: clients resume on another one.
    "timeout_graceful_shutdown": 5,
    "server_header": False,
    # Request headers must arrive within TOWNHALL_HEADER_TIMEOUT_S (slowloris).
    "http": "townhall.slowloris:HeaderTimeoutProtocol",
}


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """``UVICORN_OPTIONS`` for these settings: behind a proxy named in
    ``forwarded_allow_ips``, X-Forwarded-For and X-Forwarded-Proto from that proxy (and
    only from it) give the client's address and scheme (``wss`` for the origin check)."""
    options = dict(UVICORN_OPTIONS)
    if settings.forwarded_allow_ips:
        options["proxy_headers"] = True
        options["forwarded_allow_ips"] = settings.forwarded_allow_ips
    return options


# Descriptors a worker needs besides its sockets: the database, Redis, log files, the
# data directory, uvicorn's own.
SPARE_FILES = 1024


def raise_open_files(connections: int) -> tuple[int, int, str | None]:
    """Raise this process's soft limit on open files (its workers inherit it) so that
    ``connections`` sockets fit: up to the hard limit, never past it (only root may raise
    that; systemd's ``LimitNOFILE``, Docker's ``--ulimit nofile``). A soft limit of 1,024,
    the default of many systems, would refuse the 1,000th participant with EMFILE.

    Returns (soft limit before, soft limit now, a warning when still too low or None)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + SPARE_FILES
    # The whole hard limit when it is finite (as Go and nginx's worker_rlimit_nofile do):
    # the limit guards against leaks, and max_connections bounds the sockets already.
    target = max(soft, wanted) if hard == resource.RLIM_INFINITY else max(soft, hard)
    now = soft
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            now = target
        except (ValueError, OSError):
            now = soft
    warning = None
    if now < wanted:
        warning = (
            f"open files are limited to {now} (hard limit {hard}), fewer than "
            f"max_connections ({connections}) needs; raise the hard limit "
            "(systemd LimitNOFILE, docker --ulimit nofile, /etc/security/limits.conf)"
        )
    return soft, now, warning
