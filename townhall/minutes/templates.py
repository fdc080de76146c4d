"""The minutes' Markdown and HTML come from Jinja2 templates, so a city can add its
letterhead (or reorder, restyle, add a signature block) without forking Townhall.

Templates are looked up first in the folder named by ``TOWNHALL_MINUTES_TEMPLATES`` (or
the ``templates`` argument), then in ``townhall/minutes/templates``. The files rendered
are ``minutes.html.j2`` and ``minutes.md.j2``; the shipped ones extend
``townhall/minutes.html.j2`` and ``townhall/minutes.md.j2``, whose blocks an override
fills (``letterhead``, ``style``, ``before``, ``after``, ``footer`` ...). docs/minutes.md
shows a letterhead. The document tree (``townhall.minutes.document``) decides what is in
the minutes; the templates decide only how it looks.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)
from markupsafe import Markup, escape

from townhall.minutes.blocks import Document, Quote, Table
from townhall.minutes.text import readable

__all__ = ["TEMPLATES_ENV", "environment", "render_template"]

TEMPLATES_ENV = "TOWNHALL_MINUTES_TEMPLATES"

# Participants write these texts: neutralise what Markdown would turn into markup.
# "~" and "`" open code fences ("~~~" used to swallow the rest of the minutes), "&"
# entities, "=" and "-" underlines make the line above a heading.
_SPECIAL = re.compile(r"([\\`*_\[\]<|~&])")
_LINE_START = re.compile(r"^([#>+=-]|\d+(?=[.)]))")


def md_escape(text: str) -> str:
    # A list number is escaped on its dot ("1\. x"): a backslash before a digit is literal.
    # Leading blanks go: four of them would start an indented code block.
    text = _SPECIAL.sub(r"\\\1", readable(text).lstrip(" \t"))
    return _LINE_START.sub(lambda m: m[1] + "\\" if m[1][0].isdigit() else "\\" + m[1], text)


def md_cell(text: str) -> str:
    # Inside a table row or after "## " nothing starts a block: inline escapes suffice.
    return _SPECIAL.sub(r"\\\1", " ".join(readable(str(text)).split()))


def md_lines(text: str) -> str:
    return "  \n".join(md_escape(line) for line in str(text).splitlines())


def md_quote(block: Quote) -> str:
    lines = [f"*{md_cell(block.by)}:*", *(md_escape(x) for x in block.text.splitlines())]
    if block.note:
        lines.append(f"*{md_cell(block.note)}*")
    return "\n".join(f"> {line}  " if line else ">" for line in lines)


def md_table(block: Table) -> str:
    out = [f"*{md_cell(block.caption)}*\n"] if block.caption else []
    out += [
        "| " + " | ".join(md_cell(h) for h in block.headers) + " |",
        "|" + "|".join("---" for _ in block.headers) + "|",
        *("| " + " | ".join(md_cell(c) for c in row) + " |" for row in block.rows),
    ]
    return "\n".join(out)


def html_lines(text: str) -> Markup:
    return Markup("<br>").join(escape(readable(line)) for line in str(text).splitlines())


def _finalize(value: object) -> object:
    # Control characters stored before the input rule (NUL...) never reach a document.
    if isinstance(value, Markup):  # already escaped output (a macro's)
        return value
    return readable(value) if isinstance(value, str) else value


@lru_cache(maxsize=8)
def environment(folder: str | None) -> Environment:
    """The template environment for one override folder (None: the shipped templates)."""
    loaders: list[FileSystemLoader | PackageLoader] = []
    if folder:
        loaders.append(FileSystemLoader(folder))
    loaders.append(PackageLoader("townhall.minutes", "templates"))
    env = Environment(
        loader=ChoiceLoader(loaders),
        # HTML escapes every value; Markdown escapes through its own filters.
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        finalize=_finalize,
        trim_blocks=False,
    )
    env.filters.update(
        lines=html_lines, cell=md_cell, md_lines=md_lines, md_quote=md_quote, md_table=md_table
    )
    return env


def render_template(name: str, doc: Document, templates: Path | str | None = None) -> str:
    """Render ``minutes.html.j2`` or ``minutes.md.j2`` for ``doc``."""
    folder = templates if templates is not None else os.environ.get(TEMPLATES_ENV) or None
    env = environment(str(folder) if folder else None)
    return env.get_template(name).render(doc=doc, minutes=doc.minutes)
