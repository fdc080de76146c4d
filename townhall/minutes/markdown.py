"""Minutes as Markdown (CommonMark with GitHub tables), from ``minutes.md.j2``."""

from __future__ import annotations

from pathlib import Path

from townhall.minutes.document import build_document
from townhall.minutes.model import Minutes
from townhall.minutes.templates import render_template

__all__ = ["render_markdown"]


def render_markdown(minutes: Minutes, *, templates: Path | str | None = None) -> str:
    text = render_template("minutes.md.j2", build_document(minutes), templates)
    return text.rstrip("\n") + "\n"
