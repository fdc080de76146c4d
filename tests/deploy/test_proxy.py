"""The shipped deployment, run for real: Debian's nginx with deploy/nginx/townhall.conf
and a self-signed certificate made here, in front of ``townhall serve`` started as
deploy/systemd/townhall.service starts it, with deploy/townhall.env (two workers), a
redis-server with deploy/redis/townhall.conf, and PostgreSQL. Only ports, file paths and
the database are changed, each by an exact replacement that must match.

A session runs through the proxy over wss://, and the server must see each client's
own address (from nginx's X-Forwarded-For, trusted from nginx only), never an address a
client forges.
"""

from __future__ import annotations

import asyncio
import configparser
import contextlib
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from realtime.client import Client
from realtime.server import UVICORN_WS_OPTIONS
from tests.services import free_port, port_open
from tests.townhall.api_harness import token_of

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
DOMAIN = "townhall.example.org"
KEY = "thk_deploy-proxy-test-key"


def _replace(text: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        assert text.count(old) == 1, f"{old!r} is no longer in the shipped file once"
        text = text.replace(old, new)
    return text


def _environment_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    return values


def _wait_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120  # bounded: a broken start fails, never hangs
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited early:\n{log.read_text()}")
        if port_open("127.0.0.1", port):
            return
        time.sleep(0.1)
    raise AssertionError(f"port {port} never opened:\n{log.read_text()}")


@dataclass
class Stack:
    https: int
    http: int
    worker_port: int
    cert: Path
    worker_log: Path
    nginx_log: Path

    @property
    def public_url(self) -> str:
        return f"https://{DOMAIN}:{self.https}"

    @property
    def url(self) -> str:  # what the test dials (the certificate names 127.0.0.1 too)
        return f"https://127.0.0.1:{self.https}"

    def tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


def _certificate(tmp: Path) -> tuple[Path, Path]:
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={DOMAIN}",
         "-addext", f"subjectAltName=DNS:{DOMAIN},IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def _nginx_conf(tmp: Path, stack: Stack, key: Path) -> Path:
    site = _replace(
        (DEPLOY / "nginx" / "townhall.conf").read_text(encoding="utf-8"),
        {
            "listen 80;": f"listen 127.0.0.1:{stack.http};",
            "listen [::]:80;": "",
            "listen 443 ssl;": f"listen 127.0.0.1:{stack.https} ssl;",
            "listen [::]:443 ssl;": "",
            "server 127.0.0.1:8000;": f"server 127.0.0.1:{stack.worker_port};",
            f"/etc/letsencrypt/live/{DOMAIN}/fullchain.pem": str(stack.cert),
            f"/etc/letsencrypt/live/{DOMAIN}/privkey.pem": str(key),
            "/var/log/nginx/townhall.access.log": str(stack.nginx_log),
        },
    )
    temp = "\n".join(
        f"    {kind}_temp_path {tmp / kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                          "uwsgi", "scgi")
    )  # fmt: skip
    conf = tmp / "nginx.conf"
    conf.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"worker_processes 1;\npid {tmp / 'nginx.pid'};\n"
        + f"error_log {tmp / 'nginx-error.log'} info;\n"
        + "events { worker_connections 512; }\n"
        + f"http {{\n{temp}\n    access_log off;\n{site}\n}}\n",
        encoding="utf-8",
    )
    return conf


def _unit() -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(DEPLOY / "systemd" / "townhall.service", encoding="utf-8")
    return unit


@pytest.fixture
def stack(tmp_path: Path, postgres_url: str) -> Iterator[Stack]:
    if not Path(NGINX).exists():
        pytest.fail("nginx is not installed (apt-get install nginx; .ci/run does)")
    cert, key = _certificate(tmp_path)
    stack = Stack(
        https=free_port(),
        http=free_port(),
        worker_port=free_port(),
        cert=cert,
        worker_log=tmp_path / "townhall.log",
        nginx_log=tmp_path / "nginx-access.log",
    )
    processes: list[subprocess.Popen[bytes]] = []
    try:
        # Redis as deploy/redis/townhall.conf sets it up (port and directory aside).
        redis_port = free_port()
        redis_log = tmp_path / "redis.log"
        with redis_log.open("wb") as out:
            processes.append(subprocess.Popen(
                ["redis-server", str(DEPLOY / "redis" / "townhall.conf"),
                 "--port", str(redis_port), "--dir", str(tmp_path), "--bind", "127.0.0.1"],
                stdout=out, stderr=subprocess.STDOUT,
            ))  # fmt: skip
        _wait_port(redis_port, processes[-1], redis_log)

        # Townhall as the systemd unit starts it, with the shipped environment file.
        service = _unit()["Service"]
        assert service["EnvironmentFile"] == "/etc/townhall/townhall.env"
        assert service["StateDirectory"] == "townhall"
        command = service["ExecStart"].split()
        assert command[0] == "/opt/townhall/.venv/bin/townhall"
        shipped = _environment_file(DEPLOY / "townhall.env")
        assert shipped["TOWNHALL_DATA_DIR"] == "/var/lib/townhall"  # = StateDirectory
        assert shipped["TOWNHALL_WORKERS"] == "2"
        assert shipped["TOWNHALL_FORWARDED_ALLOW_IPS"] == "127.0.0.1"
        env = {k: v for k, v in os.environ.items() if not k.startswith("TOWNHALL_")}
        env.update(shipped)
        name, _, value = service["Environment"].partition("=")
        env[name] = value.replace("/run/townhall", str(tmp_path / "run"))
        changed = {
            "TOWNHALL_PORT": str(stack.worker_port),
            "TOWNHALL_PUBLIC_URL": stack.public_url,
            # As people paste it: postgresql:// (Townhall uses asyncpg for it).
            "TOWNHALL_DATABASE_URL": postgres_url.replace("+asyncpg", ""),
            "TOWNHALL_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "TOWNHALL_DATA_DIR": str(tmp_path / "var-lib-townhall"),
        }
        assert set(changed) <= set(shipped)
        env.update(changed, TOWNHALL_ORGANISER_KEY=KEY)
        with stack.worker_log.open("wb") as out:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "townhall.cli", *command[1:]],
                env=env, stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path,
            ))  # fmt: skip
        _wait_port(stack.worker_port, processes[-1], stack.worker_log)

        conf = _nginx_conf(tmp_path, stack, key)
        checked = subprocess.run([NGINX, "-t", "-c", str(conf)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        nginx_log = tmp_path / "nginx.out"
        with nginx_log.open("wb") as out:
            processes.append(subprocess.Popen(
                [NGINX, "-c", str(conf), "-g", "daemon off;"],
                stdout=out, stderr=subprocess.STDOUT,
            ))  # fmt: skip
        _wait_port(stack.https, processes[-1], nginx_log)
        yield stack
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _ws_timeout_s() -> float:
    site = (DEPLOY / "nginx" / "townhall.conf").read_text(encoding="utf-8")
    block = site[site.index("location = /ws") :]
    found = re.search(r"proxy_read_timeout (\d+)s;", block)
    assert found is not None
    return float(found.group(1))


def test_the_websocket_read_timeout_outlasts_the_heartbeat() -> None:
    ping = UVICORN_WS_OPTIONS["ws_ping_interval"] + UVICORN_WS_OPTIONS["ws_ping_timeout"]
    assert _ws_timeout_s() >= 3 * ping


async def test_a_session_through_nginx_over_wss(stack: Stack) -> None:
    tls = stack.tls()
    async with httpx.AsyncClient(base_url=stack.url, verify=tls, timeout=60) as http:

        async def healthy() -> bool:
            with contextlib.suppress(httpx.HTTPError):
                return (await http.get("/health")).status_code == 200
            return False

        deadline = time.monotonic() + 120
        while not await healthy():
            assert time.monotonic() < deadline, stack.worker_log.read_text()
            await asyncio.sleep(0.2)
        health = (await http.get("/health")).json()
        assert (health["bus"], health["database"]) == ("redis", "postgresql")

        plain = await http.get(f"http://127.0.0.1:{stack.http}/some/page?x=1")
        assert plain.status_code == 301
        assert plain.headers["location"] == "https://127.0.0.1/some/page?x=1"
        page = await http.get("/")
        assert page.headers["strict-transport-security"].startswith("max-age=")

        made = await http.post(
            "/api/townhalls",
            json={"title": "Through the proxy", "agenda": [{"title": "One", "duration_s": 600}]},
            headers={"authorization": f"Bearer {KEY}"},
        )
        assert made.status_code == 201, made.text
        links = made.json()["links"]
        assert links["participant"].startswith(f"{stack.public_url}/?token=")

    # Each client dials nginx from its own loopback address; the server must see those.
    ws = f"wss://127.0.0.1:{stack.https}/ws"

    def client(link: str, address: str, name: str | None = None) -> Client:
        return Client(ws, token_of(link), name=name, origin=stack.public_url, ssl=tls,
                      local_addr=(address, 0))  # fmt: skip

    chair = client(links["facilitator"], "127.0.0.2")
    people = [client(links["participant"], "127.0.0.3", f"Person {n}") for n in range(6)]
    watcher = client(links["observer"], "127.0.0.4")
    everyone = [chair, *people, watcher]
    for c in everyone:
        await c.connect()
    await chair.request("session.start")
    for n, person in enumerate(people):
        await person.request("hand.raise")
        await person.request("statement.post", {"text": f"statement {n}"})
    await chair.request("floor.grant")
    head = await chair.request("ping")
    for c in everyone:
        while c.seq < head["seq"]:
            await asyncio.wait_for(c.next_event(), 30)
    joined = max(c.trace[0][0] for c in everyone)  # after the last welcome: all of them
    orders = {tuple(entry for entry in c.trace if entry[0] >= joined) for c in everyone}
    assert len(orders) == 1, "every client sees one order"
    assert len(next(iter(orders))) >= 13  # the statements, hands and the grant
    assert all(c.gaps == 0 for c in everyone)

    # A client forging X-Forwarded-For through nginx: nginx replaces the header.
    forged = httpx.AsyncHTTPTransport(verify=tls, local_address="127.0.0.5")
    async with httpx.AsyncClient(transport=forged, base_url=stack.url, timeout=60) as http:
        await http.get("/health", headers={"x-forwarded-for": "203.0.113.9"})
        metrics = (await http.get("/metrics")).text
    # ... and straight to a worker, bypassing nginx: 127.0.0.5 is not a trusted proxy.
    direct = httpx.AsyncHTTPTransport(local_address="127.0.0.5")
    async with httpx.AsyncClient(transport=direct, timeout=60) as http:
        await http.get(
            f"http://127.0.0.1:{stack.worker_port}/health",
            headers={"x-forwarded-for": "198.51.100.7", "x-forwarded-proto": "https"},
        )
    assert len(re.findall(r'townhall_worker_connections\{pid="\d+"\}', metrics)) == 2
    for c in everyone:
        await c.close()

    log = stack.worker_log.read_text()
    accepted = re.findall(r"'?(127\.0\.0\.\d)'?[:,].*WebSocket /ws.*accepted", log)
    assert sorted(set(accepted)) == ["127.0.0.2", "127.0.0.3", "127.0.0.4"], log[-3000:]
    assert re.search(r'127\.0\.0\.5:\d+ - "GET /health', log)
    assert "203.0.113.9" not in log
    assert "198.51.100.7" not in log
    assert "token=" not in stack.nginx_log.read_text()  # links' tokens stay out of logs


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (the unit still ran as ExecStart says)")
    unit = tmp_path / "townhall.service"
    here = Path(sys.executable).parent / "townhall"  # the unit's binary must exist
    text = (DEPLOY / "systemd" / "townhall.service").read_text(encoding="utf-8")
    unit.write_text(_replace(text, {"/opt/townhall/.venv/bin/townhall": str(here)}))
    checked = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr == ""
