"""Minutes as one self-contained, accessible HTML page, from ``minutes.html.j2``."""

from __future__ import annotations

import base64
import hashlib
import re
from importlib.resources import files
from pathlib import Path

from townhall.minutes.document import build_document
from townhall.minutes.model import Minutes
from townhall.minutes.templates import render_template

__all__ = ["STYLE", "render_html", "style_policy"]

# The shipped stylesheet, exactly as the page inlines it (the API's CSP allows it by hash).
STYLE = (files("townhall.minutes") / "templates" / "townhall" / "minutes.css").read_text("utf-8")
_STYLE_BLOCK = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def render_html(minutes: Minutes, *, templates: Path | str | None = None) -> str:
    return render_template("minutes.html.j2", build_document(minutes), templates)


def style_policy(html: str) -> str:
    """The CSP ``style-src`` that allows this page's own inline stylesheets by their
    hashes (a city's letterhead template may change the style; nothing else may run)."""
    hashes = {
        "'sha256-" + base64.b64encode(hashlib.sha256(m.encode()).digest()).decode() + "'"
        for m in _STYLE_BLOCK.findall(html)
    }
    return "style-src " + (" ".join(sorted(hashes)) or "'none'")
