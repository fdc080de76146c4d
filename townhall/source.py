"""The source of the running server, for the page's "Source" link (AGPL-3.0 section 13).

Everyone who uses Townhall over the network may get the Corresponding Source of the
version they use, modifications included. By default the server hands out its own:
``GET /source.tar.gz`` packs the installed packages (Python is its own source) and, in a
checkout, the files that build them. ``--source-url`` (TOWNHALL_SOURCE_URL) points the
link elsewhere instead, e.g. at the repository the operator publishes.
"""

from __future__ import annotations

import asyncio
import io
import tarfile
from importlib.metadata import distribution, version
from importlib.resources import files
from pathlib import Path

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from townhall.settings import Settings

__all__ = ["PACKAGES", "source_archive", "source_routes"]

PACKAGES = ("facilitation", "realtime", "townhall", "frontend")
# Beside the packages in a checkout (or the image's /app): what builds and runs them.
PROJECT_FILES = (
    "pyproject.toml",
    "uv.lock",
    "LICENSE",
    "README.md",
    "CHANGELOG.md",
    "DEVELOPERS.md",
    "Makefile",
    "Dockerfile",
    "compose.yaml",
    ".ci/run",
)
PROJECT_DIRS = ("deploy",)
SKIPPED = ("__pycache__", ".pyc", ".mypy_cache", "node_modules")


def _wanted(path: Path) -> bool:
    return not any(part.endswith(SKIPPED) or part in SKIPPED for part in path.parts)


def source_archive() -> bytes:
    """A .tar.gz of this server's source, under ``townhall-<version>/``."""
    top = f"townhall-{version('townhall')}"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        root: Path | None = None
        for package in PACKAGES:
            directory = Path(str(files(package)))
            root = directory.parent
            for path in sorted(directory.rglob("*")):
                if path.is_file() and _wanted(path.relative_to(root)):
                    tar.add(path, f"{top}/{path.relative_to(root)}", recursive=False)
        if root is not None and not (root / "pyproject.toml").is_file():
            # An installed wheel: its license files travel in the metadata.
            for item in distribution("townhall").files or []:
                if item.name.startswith(("LICENSE", "COPYING")):
                    tar.add(Path(str(item.locate())), f"{top}/{item.name}", recursive=False)
        elif root is not None:
            for name in PROJECT_FILES:
                if (root / name).is_file():
                    tar.add(root / name, f"{top}/{name}", recursive=False)
            for name in PROJECT_DIRS:
                for path in sorted((root / name).rglob("*")):
                    if path.is_file() and _wanted(path.relative_to(root)):
                        tar.add(path, f"{top}/{path.relative_to(root)}", recursive=False)
    return buffer.getvalue()


def source_routes(settings: Settings) -> list[Route]:
    cached: list[bytes] = []

    async def source(request: Request) -> Response:
        return RedirectResponse(settings.source_url or "/source.tar.gz", status_code=302)

    async def archive(request: Request) -> Response:
        if not cached:  # built once per worker, off the event loop (~0.2 s)
            cached.append(await asyncio.to_thread(source_archive))
        name = f"townhall-{version('townhall')}-source.tar.gz"
        return Response(
            cached[0],
            media_type="application/gzip",
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )

    return [Route("/source", source), Route("/source.tar.gz", archive)]
