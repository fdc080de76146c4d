"""Long exports: how soon the server answers a 2,000-statement PDF, before and after
background rendering (issue 14).

    .venv/bin/python -m bench.minutes_export [--statements 2000] [--runs 3]

Archives a two-hour session (bench.archive_bench.big_session with ``--statements``
statements) into a scratch SQLite database and serves the organiser API in process
(Starlette over httpx's ASGI transport: no network, so the figures are the server's own
work). Per run it measures, from a cold render cache each time:

- direct: ``GET /minutes.pdf`` as before, rendered inside the request: the time until
  the answer starts (its first byte), which is also the whole request;
- background: ``POST /minutes/render`` answers with the progress at once; it is asked
  again every 0.3 s (as the console and ``townhall export`` do) until ready; then
  ``GET /minutes.pdf?version=1`` serves the cached document.

Prints the median of each figure and how many progress answers the client saw.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from starlette.applications import Starlette

from bench.archive_bench import at, big_session
from townhall import rooms
from townhall.api import ApiDeps, api_routes
from townhall.archive import archive
from townhall.archive.bundle import Statement
from townhall.db import create_engine, migrate, session_factory
from townhall.db.models import metadata
from townhall.settings import Settings

KEY = "thk_bench-minutes-export"
BASE = "http://bench.invalid"


class NoRooms:
    """The minutes endpoints never reach the live rooms."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"the bench has no live rooms ({name})")


async def main(statements: int, runs: int, every_s: float) -> None:
    folder = Path(tempfile.mkdtemp(prefix="townhall-export-bench-"))
    url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    await migrate(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    row, _ = await rooms.create_townhall(
        sessions, title="대규모 타운홀 benchmark", language="ko", base_url=BASE
    )
    bundle = big_session(20_000, room=row.id)
    said = tuple(
        Statement(id=f"s{n}", participant=f"p{n % 300}", item=f"i{n % 12}",
                  text=f"Statement {n}: 공원 예산을 늘려 주세요. " * 3, at=at(n * 3))
        for n in range(statements)
    )  # fmt: skip
    await archive(engine, dataclasses.replace(bundle, statements=said))
    settings = Settings(data_dir=folder, public_url=BASE, organiser_key=KEY)
    deps = ApiDeps(sessions=sessions, room_commands=NoRooms())
    app = Starlette(routes=api_routes(settings, deps))
    auth = {"authorization": f"Bearer {KEY}"}
    renders = metadata.tables["minutes_render"]
    direct: list[float] = []
    first: list[float] = []
    ready: list[float] = []
    cached: list[float] = []
    answers: list[int] = []
    polls: list[float] = []  # every progress answer's time, while the PDF renders
    size = 0
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE, timeout=600) as client:
        path = f"/api/townhalls/{row.id}/minutes"
        for _ in range(runs):
            async with sessions.begin() as session:
                await session.execute(sa.delete(renders))
            t0 = time.perf_counter()
            response = await client.get(f"{path}.pdf", headers=auth)
            direct.append(time.perf_counter() - t0)
            assert response.status_code == 200, response.text
            size = len(response.content)
            async with sessions.begin() as session:
                await session.execute(sa.delete(renders))
            t0 = time.perf_counter()
            seen = 0
            while True:
                asked = time.perf_counter()
                answer = await client.post(f"{path}/render", json={"format": "pdf"}, headers=auth)
                took = time.perf_counter() - asked
                if seen == 0:
                    first.append(took)
                else:
                    polls.append(took)
                seen += 1
                if answer.json()["ready"]:
                    break
                await asyncio.sleep(every_s)
            ready.append(time.perf_counter() - t0)
            answers.append(seen)
            t0 = time.perf_counter()
            response = await client.get(f"{path}.pdf", params={"version": 1}, headers=auth)
            cached.append(time.perf_counter() - t0)
            assert response.content.startswith(b"%PDF-")
    await engine.dispose()
    med = statistics.median
    python = platform.python_version()
    slow = max(polls, default=0.0)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python {python}")
    mb = size / 1e6
    print(f"session: {statements} statements, 300 people, 20 polls; PDF {mb:.1f} MB; {runs} runs")
    print(f"direct GET minutes.pdf (cold), first byte: {med(direct):.2f} s")
    print(f"POST minutes/render, first answer:          {med(first) * 1000:.0f} ms")
    print(f"  progress answers until ready:             {med(answers):.0f} (every {every_s} s)")
    typical = med(polls) * 1000 if polls else 0.0
    print(f"  each progress answer, median / max:       {typical:.0f} / {slow * 1000:.0f} ms")
    print(f"  ready after:                              {med(ready):.2f} s")
    print(f"GET minutes.pdf?version=1 (cached):         {med(cached) * 1000:.0f} ms")
    each = ", ".join(
        f"{d:.1f}/{r:.1f}/{c * 1000:.0f}ms" for d, r, c in zip(direct, ready, cached, strict=True)
    )
    print(f"each run (direct s / ready s / cached): {each}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--statements", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--every-s", type=float, default=0.3)
    args = parser.parse_args()
    asyncio.run(main(args.statements, args.runs, args.every_s))
