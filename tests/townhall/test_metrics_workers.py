"""Prometheus multiprocess mode: under ``serve --workers 2`` one scrape gives the whole
server, whichever worker answers it."""

from __future__ import annotations

import asyncio
import time

import httpx
from prometheus_client.parser import text_string_to_metric_families

from realtime.client import Client
from tests.services import WorkerPool
from tests.townhall.api_harness import token_of

KEY = "thk_metrics-workers-key"


def _parse(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return found


def _total(found: dict[str, list[tuple[dict[str, str], float]]], name: str) -> float:
    return sum(value for _, value in found.get(name, []))


async def test_one_scrape_gives_every_worker(worker_pool: WorkerPool, redis_log_url: str) -> None:
    env = {"TOWNHALL_WORKERS": "2", "TOWNHALL_REDIS_URL": redis_log_url}
    (server,) = await asyncio.to_thread(
        worker_pool.start, 1, {**env, "TOWNHALL_ORGANISER_KEY": KEY}
    )
    async with httpx.AsyncClient(timeout=30) as http:
        made = await http.post(
            f"{server.url}/api/townhalls",
            json={"title": "Metrics"},
            headers={"authorization": f"Bearer {KEY}"},
        )
    observer = token_of(made.json()["links"]["observer"])
    clients = [Client(server.ws_url, observer, origin=server.url) for _ in range(12)]
    for client in clients:  # one at a time: each a new TCP connection to either worker
        await client.connect()
    # Each HTTP client keeps one TCP connection, so one worker: its /health names it
    # (pid, and its own connections), then its /metrics must give the whole server.
    answered: dict[int, int] = {}
    deadline = time.monotonic() + 90  # bounded: workers copy their values every second
    while time.monotonic() < deadline and len(answered) < 2:
        await asyncio.gather(*(_health_then_metrics(server.url, answered) for _ in range(6)))
    assert len(answered) == 2, f"only these workers answered: {answered}"
    assert sum(answered.values()) == 12  # (each worker's own count, from /health)
    for client in clients:
        await client.close()


async def _health_then_metrics(url: str, answered: dict[int, int]) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        health = (await http.get(f"{url}/health")).json()
        own = int(health["realtime"]["connections"])
        text = (await http.get(f"{url}/metrics")).text
        again = (await http.get(f"{url}/health")).json()
    assert again["pid"] == health["pid"]  # the same worker answered all three
    found = _parse(text)
    if _total(found, "townhall_connections") != 12:  # a worker's sync may be a second old
        return
    assert len(found["townhall_worker_connections"]) == 2  # one series per worker
    assert _total(found, "townhall_frames_sent_total") >= 12  # the hub's own counters
    assert _total(found, "townhall_api_requests_total") >= 1
    assert "townhall_fanout_latency_seconds_bucket" in found
    answered[int(health["pid"])] = own
