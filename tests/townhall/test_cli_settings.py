"""Every setting has a flag on every command that reads settings, a ``TOWNHALL_*``
variable, and a row in the README's table; the commands read the same values."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from townhall.cli import main
from townhall.cli_settings import SETTING_FLAGS
from townhall.settings import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
COMMANDS = ["serve", "demo", "create", "export", "migrate", "keys create", "keys list"]


def _command(path: str) -> click.Command:
    command: click.Command = main
    for name in path.split():
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


def _flags(command: click.Command) -> set[str]:
    return {
        opt
        for p in command.params
        if isinstance(p, click.Option)
        for opt in p.opts + p.secondary_opts
    }


@pytest.mark.parametrize("path", COMMANDS)
def test_every_setting_has_its_flag_on_the_command(path: str) -> None:
    flags = _flags(_command(path))
    for field in Settings.model_fields:
        declared = SETTING_FLAGS[field][0].split("/")
        assert set(declared) <= flags, f"{path}: no {declared} for {field}"


def test_every_setting_is_in_the_readme_table() -> None:
    rows = [line for line in README.splitlines() if line.startswith("| `--")]
    for field in Settings.model_fields:
        flag = SETTING_FLAGS[field][0].split("/")[-1]  # --no-migrate: the one people type
        variable = f"TOWNHALL_{field.upper()}"
        assert any(f"`{flag}`" in row and f"`{variable}`" in row for row in rows), field


def test_the_readme_table_names_no_setting_that_does_not_exist() -> None:
    named = set(re.findall(r"`TOWNHALL_([A-Z_]+)`", README))
    assert {n.lower() for n in named} - set(Settings.model_fields) <= {"server"}


def test_migrate_reads_the_environment_like_serve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOWNHALL_DATA_DIR", str(tmp_path / "env-dir"))
    result = CliRunner().invoke(main, ["migrate"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "env-dir" / "townhall.db").exists()
    flagged = CliRunner().invoke(main, ["migrate", "--data-dir", str(tmp_path / "flag-dir")])
    assert flagged.exit_code == 0, flagged.output
    assert (tmp_path / "flag-dir" / "townhall.db").exists()


def test_a_bad_setting_stops_any_command_with_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOWNHALL_WORKERS", "many")
    result = CliRunner().invoke(main, ["keys", "list"])
    assert result.exit_code == 2
    assert "TOWNHALL_WORKERS" in result.output


def test_no_migrate_leaves_the_schema_alone_and_says_to_migrate(tmp_path: Path) -> None:
    flags = ["--data-dir", str(tmp_path), "--no-migrate"]
    refused = CliRunner().invoke(main, ["keys", "list", *flags])
    assert refused.exit_code == 1
    assert "run `townhall migrate`" in refused.output
    assert "(none)" in refused.output
    assert CliRunner().invoke(main, ["migrate", *flags]).exit_code == 0  # migrate migrates
    listed = CliRunner().invoke(main, ["keys", "list", *flags])
    assert listed.exit_code == 0, listed.output


def test_a_server_with_no_migrate_refuses_an_old_schema(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from townhall.app import create_app
    from townhall.migrating import SchemaBehind
    from townhall.settings import load_settings

    app = create_app(load_settings(data_dir=tmp_path, migrate=False))
    with pytest.raises(SchemaBehind, match="townhall migrate"), TestClient(app):
        pass
