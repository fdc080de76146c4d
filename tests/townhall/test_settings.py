from __future__ import annotations

from pathlib import Path

import pytest

from townhall.settings import SettingsError, load_settings


def test_defaults_need_no_services(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8000, 1)
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path / 'townhall.db'}"
    assert settings.bus_url == "memory://"
    assert not settings.distributed


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOWNHALL_PORT", "9123")
    monkeypatch.setenv("TOWNHALL_REDIS_URL", "redis://127.0.0.1:6379/2")
    monkeypatch.setenv("TOWNHALL_WORKERS", "3")
    monkeypatch.setenv("TOWNHALL_ALLOWED_ORIGINS", "https://a.example, https://b.example/")
    settings = load_settings()
    assert settings.port == 9123
    assert settings.workers == 3
    assert settings.bus_url == "redis://127.0.0.1:6379/2"
    assert settings.allowed_origins == ("https://a.example", "https://b.example")


def test_flags_override_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOWNHALL_PORT", "9123")
    assert load_settings(port=9200).port == 9200


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (
            {"database_url": "mysql://db/x"},
            "--database-url (TOWNHALL_DATABASE_URL): scheme 'mysql'",
        ),
        ({"database_url": "sqlite:///x.db"}, "scheme 'sqlite' is not supported"),
        ({"redis_url": "http://127.0.0.1"}, "--redis-url (TOWNHALL_REDIS_URL): scheme 'http'"),
        ({"redis_url": "redis://"}, "a Redis URL needs a host"),
        ({"port": 70000}, "--port (TOWNHALL_PORT): Input should be less than or equal to 65535"),
        ({"workers": 2}, "more than one worker needs a shared bus"),
        ({"log_level": "loud"}, "--log-level (TOWNHALL_LOG_LEVEL): use one of"),
    ],
)
def test_bad_values_are_refused_with_the_setting_named(
    flags: dict[str, object], expected: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(**flags)
    assert expected in str(raised.value)


def test_bad_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOWNHALL_WORKERS", "many")
    with pytest.raises(SettingsError, match=r"TOWNHALL_WORKERS\): Input should be a valid integer"):
        load_settings()
