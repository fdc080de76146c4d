"""Minutes as Markdown (CommonMark with GitHub tables)."""

from __future__ import annotations

import re

from facilitation.text import clean_text
from townhall.minutes.document import Heading, Para, Quote, Table, build_document
from townhall.minutes.model import Minutes

__all__ = ["render_markdown"]

# Participants write these texts: neutralise what Markdown would turn into markup.
# "~" and "`" open code fences ("~~~" used to swallow the rest of the minutes), "&"
# entities, "=" and "-" underlines make the line above a heading.
_SPECIAL = re.compile(r"([\\`*_\[\]<|~&])")
_LINE_START = re.compile(r"^([#>+=-]|\d+(?=[.)]))")


def _escape(text: str) -> str:
    # A list number is escaped on its dot ("1\. x"): a backslash before a digit is literal.
    # Leading blanks go: four of them would start an indented code block.
    text = _SPECIAL.sub(r"\\\1", clean_text(text).lstrip(" \t"))
    return _LINE_START.sub(lambda m: m[1] + "\\" if m[1][0].isdigit() else "\\" + m[1], text)


def _cell(text: str) -> str:
    # Inside a table row or after "## " nothing starts a block: inline escapes suffice.
    return _SPECIAL.sub(r"\\\1", " ".join(clean_text(text).split()))


def render_markdown(minutes: Minutes) -> str:
    doc = build_document(minutes)
    out: list[str] = []
    for block in doc.blocks:
        if isinstance(block, Heading):
            out.append(f"{'#' * block.level} {_cell(block.text)}")
        elif isinstance(block, Para):
            lead = f"**{_cell(block.strong)}** " if block.strong else ""
            out.append(lead + "  \n".join(_escape(line) for line in block.text.splitlines()))
        elif isinstance(block, Quote):
            lines = [f"*{_cell(block.by)}:*", *(_escape(x) for x in block.text.splitlines())]
            if block.note:
                lines.append(f"*{_cell(block.note)}*")
            out.append("\n".join(f"> {line}  " if line else ">" for line in lines))
        elif isinstance(block, Table):
            if block.caption:
                out.append(f"*{_cell(block.caption)}*")
            rows = [
                "| " + " | ".join(_cell(h) for h in block.headers) + " |",
                "|" + "|".join("---" for _ in block.headers) + "|",
                *("| " + " | ".join(_cell(c) for c in row) + " |" for row in block.rows),
            ]
            out.append("\n".join(rows))
    return "\n\n".join(out) + "\n"
