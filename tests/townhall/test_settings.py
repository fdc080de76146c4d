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
        ({"database_url": "postgresql+psycopg://db/x"}, "scheme 'postgresql+psycopg'"),
        ({"public_url": "townhall.example.org"}, "--public-url (TOWNHALL_PUBLIC_URL): "),
        ({"source_url": "ftp://x.example/src"}, "--source-url (TOWNHALL_SOURCE_URL): "),
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


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://u:p@db:5432/th", "postgresql+asyncpg://u:p@db:5432/th"),
        ("postgresql://u@db/th", "postgresql+asyncpg://u@db/th"),
        ("postgresql+asyncpg://u@db/th", "postgresql+asyncpg://u@db/th"),
        ("sqlite:////var/lib/townhall/th.db", "sqlite+aiosqlite:////var/lib/townhall/th.db"),
    ],
)
def test_database_urls_as_people_paste_them_use_the_async_drivers(given: str, used: str) -> None:
    assert load_settings(database_url=given).effective_database_url == used


def test_on_loopback_localhost_and_127_0_0_1_are_the_same_server() -> None:
    settings = load_settings(port=8123)
    assert settings.base_url == "http://127.0.0.1:8123"
    assert set(settings.origins) == {
        "http://127.0.0.1:8123",
        "http://localhost:8123",
        "http://[::1]:8123",
    }
    assert settings.unreachable_warning is None


def test_a_public_url_is_the_origin_and_more_origins_add_to_it() -> None:
    settings = load_settings(
        host="0.0.0.0",
        public_url="https://Townhall.example.org:443/",
        allowed_origins="https://embed.example, http://lan.example:8000/",
    )
    assert settings.base_url == "https://Townhall.example.org:443"
    assert settings.origins == (
        "https://townhall.example.org",
        "https://embed.example",
        "http://lan.example:8000",
    )
    assert settings.unreachable_warning is None


def test_every_interface_without_a_public_url_says_what_to_set() -> None:
    settings = load_settings(host="0.0.0.0", port=8000)
    warning = settings.unreachable_warning
    assert warning is not None
    assert "--public-url (TOWNHALL_PUBLIC_URL)" in warning
    assert "http://127.0.0.1:8000" in warning
    assert "http://localhost:8000" in settings.origins  # this machine still works


def test_proxy_headers_are_off_unless_a_proxy_is_named() -> None:
    from townhall.runtime import uvicorn_options

    assert uvicorn_options(load_settings())["proxy_headers"] is False
    behind = uvicorn_options(load_settings(forwarded_allow_ips="10.0.0.5"))
    assert behind["proxy_headers"] is True
    assert behind["forwarded_allow_ips"] == "10.0.0.5"
