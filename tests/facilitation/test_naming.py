"""Names run end to end: `floor.grant` ↔ `GrantFloor` ↔ `FloorGranted` ↔ `test_floor_grant_*`,
and the protocol page documents every event."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import tests.facilitation
from facilitation.codec import SERVER_SPECS, SPECS
from facilitation.room import COMMANDS, EVENTS

DOCS = Path(__file__).parents[2] / "docs"


def _test_names() -> set[str]:
    names: set[str] = set()
    for info in pkgutil.iter_modules(tests.facilitation.__path__):
        module = importlib.import_module(f"tests.facilitation.{info.name}")
        names |= {n for n in vars(module) if n.startswith("test_")}
    return names


def test_every_command_has_allowed_and_forbidden_tests() -> None:
    names = _test_names()
    for command in {**SPECS, **SERVER_SPECS}:
        prefix = "test_" + command.replace(".", "_")
        mine = [n for n in names if n.startswith(prefix)]
        assert mine, f"no test for {command}"
        if command != "ping":  # every role may ping
            assert any("forbidden" in n for n in mine), f"no forbidden-role test for {command}"


def test_every_command_and_event_has_a_noun_verb_name() -> None:
    names = [c.name for c in COMMANDS] + [e.name for e in EVENTS]
    for name in names:
        if name == "ping":  # SPEC §3 names it so
            continue
        noun, _, verb = name.partition(".")
        assert noun, name
        assert verb, name
    assert len({c.name for c in EVENTS}) == len(EVENTS)
    assert {c.name for c in COMMANDS} >= set(SPECS) | set(SERVER_SPECS)


def test_protocol_page_documents_every_event() -> None:
    page = (DOCS / "protocol" / "room.md").read_text()
    for cls in EVENTS:
        assert f"`{cls.name}`" in page, cls.name


def test_protocol_page_documents_every_command_and_code() -> None:
    from facilitation.errors import ERRORS

    page = (DOCS / "protocol" / "room.md").read_text()
    for command in {**SPECS, **SERVER_SPECS}:
        assert f"`{command}`" in page, command
    for code, message in ERRORS.items():
        assert f"| `{code}` | {message} |" in page, code
