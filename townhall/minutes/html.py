"""Minutes as one self-contained, accessible HTML page (no external resources)."""

from __future__ import annotations

from html import escape as _html_escape

from facilitation.text import clean_text
from townhall.minutes.document import Heading, Para, Quote, Table, build_document
from townhall.minutes.model import Minutes

__all__ = ["render_html"]

STYLE = """
body { font-family: system-ui, "Noto Sans CJK KR", "Malgun Gothic", sans-serif;
       max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #111; }
table { border-collapse: collapse; margin: 0.75rem 0; }
caption { text-align: left; font-style: italic; }
th, td { border: 1px solid #999; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #eee; }
blockquote { margin: 0.5rem 0 0.5rem 1rem; padding-left: 0.75rem; border-left: 4px solid #777; }
blockquote p { margin: 0.2rem 0; }
.by, .note { font-size: 0.9em; color: #333; }
"""


def escape(text: str) -> str:
    """HTML-escaped, without control characters stored before the input rule (NUL...)."""
    return _html_escape(clean_text(text))


def _text(text: str) -> str:
    return "<br>".join(escape(line) for line in text.splitlines())


def render_html(minutes: Minutes) -> str:
    doc = build_document(minutes)
    body: list[str] = []
    for block in doc.blocks:
        if isinstance(block, Heading):
            body.append(f"<h{block.level}>{escape(block.text)}</h{block.level}>")
        elif isinstance(block, Para):
            lead = f"<strong>{escape(block.strong)}</strong> " if block.strong else ""
            body.append(f"<p>{lead}{_text(block.text)}</p>")
        elif isinstance(block, Quote):
            note = f'<p class="note"><em>{escape(block.note)}</em></p>' if block.note else ""
            body.append(
                f'<blockquote><p class="by">{escape(block.by)}</p>'
                f"<p>{_text(block.text)}</p>{note}</blockquote>"
            )
        elif isinstance(block, Table):
            caption = f"<caption>{escape(block.caption)}</caption>" if block.caption else ""
            head = "".join(f'<th scope="col">{escape(h)}</th>' for h in block.headers)
            rows = "".join(
                "<tr>" + "".join(f"<td>{_text(c)}</td>" for c in row) + "</tr>"
                for row in block.rows
            )
            body.append(
                f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
            )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{escape(doc.language)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(doc.title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        "<body>\n<main>\n" + "\n".join(body) + "\n</main>\n</body>\n</html>\n"
    )
