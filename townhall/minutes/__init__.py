"""The minutes of a session (SPEC §6), generated from the SQL archive alone."""

from __future__ import annotations

from townhall.minutes.export import render_csv, render_json
from townhall.minutes.fonts import FontNotFound
from townhall.minutes.html import render_html
from townhall.minutes.load import MinutesNotFound, load_minutes
from townhall.minutes.markdown import render_markdown
from townhall.minutes.model import Minutes
from townhall.minutes.pdf import render_pdf

__all__ = [
    "FontNotFound",
    "Minutes",
    "MinutesNotFound",
    "load_minutes",
    "render_csv",
    "render_html",
    "render_json",
    "render_markdown",
    "render_pdf",
]
