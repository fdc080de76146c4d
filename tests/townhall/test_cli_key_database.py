"""An organiser key refused because it lives in another database says so; CLI commands
given the server's settings reach the server's database."""

from __future__ import annotations

from pathlib import Path

import httpx
from click.testing import CliRunner

from tests.services import WorkerPool
from townhall.cli import main


def test_a_key_from_another_database_is_explained(
    worker_pool: WorkerPool, tmp_path: Path, postgres_url: str
) -> None:
    (worker,) = worker_pool.start(1, env={"TOWNHALL_DATABASE_URL": postgres_url})
    health = httpx.get(f"{worker.url}/health", timeout=10).json()
    assert health["database"] == "postgresql"
    assert len(health["database_id"]) == 32
    runner = CliRunner()

    # As in the report: `townhall demo` without the server's --database-url makes its key
    # in the local SQLite database, and the server refuses it.
    local = ["--server", worker.url, "--data-dir", str(tmp_path / "elsewhere")]
    wrong = runner.invoke(main, ["demo", *local])
    assert wrong.exit_code == 1
    assert "The key is not in the server's database" in wrong.output
    assert f"uses another database (postgresql, id {health['database_id'][:8]})" in wrong.output
    assert "--database-url" in wrong.output

    # With the server's settings (here a postgres:// URL as people paste it) it works.
    pasted = postgres_url.replace("postgresql+asyncpg://", "postgres://")
    right = runner.invoke(main, ["demo", "--server", worker.url, "--database-url", pasted])
    assert right.exit_code == 0, right.output
    assert "participant: " in right.output

    # A key of the right database that was revoked: said as such.
    made = runner.invoke(main, ["keys", "create", "--database-url", postgres_url])
    key = made.stdout.strip()
    key_id = made.stderr.rsplit(":", 1)[1].strip()
    assert (
        runner.invoke(main, ["keys", "revoke", key_id, "--database-url", postgres_url]).exit_code
        == 0
    )
    agenda = tmp_path / "agenda.yaml"
    agenda.write_text("title: Budget\n", encoding="utf-8")
    revoked = runner.invoke(
        main,
        [
            "create",
            str(agenda),
            "--key",
            key,
            "--server",
            worker.url,
            "--database-url",
            postgres_url,
        ],
    )
    assert revoked.exit_code == 1
    assert "uses the same database as these settings" in revoked.output
    assert "revoked or mistyped" in revoked.output
