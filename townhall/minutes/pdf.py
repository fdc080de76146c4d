"""Minutes as PDF (fpdf2), with an embedded CJK font so Korean names and text render."""

from __future__ import annotations

from collections.abc import Callable

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace as Style

from townhall.minutes.document import Heading, Para, Quote, Table, build_document
from townhall.minutes.fonts import find_cjk_font
from townhall.minutes.labels import labels_for
from townhall.minutes.model import Minutes
from townhall.minutes.text import readable

__all__ = ["render_pdf"]

FAMILY = "minutes"
SIZES = {1: 18, 2: 14, 3: 12, 4: 11}
BODY = 10
KEEP_WITH_NEXT = 24  # mm of the next block kept on a heading's page


class _PDF(FPDF):
    """A4 with a running header (the title, from page 2 on) and "page N of M" below."""

    running = ""  # the header text
    page_words = "{n} / {total}"  # "Page {n} of {total}" in the minutes' language

    def header(self) -> None:
        if self.page_no() == 1 or not self.running:
            return
        self.set_font(FAMILY, "", 8)
        self.set_text_color(90)
        self.cell(0, 6, self.running, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(180)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_text_color(0)
        self.ln(3)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "", 8)
        # {nb} is fpdf2's alias for the page count, filled in when the document closes.
        text = self.page_words.format(n=self.page_no(), total="{nb}")
        self.cell(0, 8, text, align="C")


def render_pdf(
    minutes: Minutes,
    *,
    font: str | None = None,
    progress: Callable[[float], None] | None = None,
) -> bytes:
    """The minutes as a PDF document; ``font`` overrides the CJK font file to embed;
    ``progress`` is told how far it is (0..1, in about a hundred steps).

    Raises ``townhall.minutes.fonts.FontNotFound`` when no font can draw Korean.
    """
    face = find_cjk_font(font)
    doc = build_document(minutes)
    pdf = _PDF(format="A4")
    pdf.set_title(readable(doc.title))
    pdf.set_lang(doc.language)
    pdf.set_creator("Townhall")
    pdf.add_font(FAMILY, "", face.path, collection_font_number=face.index)
    # Without a bold file the regular face stands in, so bold text still renders.
    pdf.add_font(FAMILY, "B", face.bold_path or face.path, collection_font_number=face.index)
    pdf.set_auto_page_break(auto=True, margin=16)
    words = labels_for(doc.language)
    filing = minutes.filing
    state = ""
    if filing is not None:
        state = words["approved" if filing.status == "approved" else "draft"]
        state += f", {words['version_n'].format(n=filing.version)}"
    pdf.running = f"{readable(doc.title)} · {state}".strip(" ·")
    pdf.page_words = words["page_of"]
    pdf.add_page()
    step = max(1, len(doc.blocks) // 100)
    for n, block in enumerate(doc.blocks):
        if progress is not None and n % step == 0:
            progress(0.05 + 0.9 * n / len(doc.blocks))  # the last 5 %: closing the file
        if isinstance(block, Heading):
            # Never a heading alone at the foot of a page: it goes with what follows.
            if pdf.will_page_break(SIZES.get(block.level, BODY) + KEEP_WITH_NEXT):
                pdf.add_page()
            pdf.ln(2 if block.level > 2 else 4)
            pdf.start_section(readable(block.text), level=block.level - 1)
            pdf.set_font(FAMILY, "B", SIZES.get(block.level, BODY))
            _lines(pdf, SIZES.get(block.level, BODY) * 0.5, block.text)
            pdf.ln(1)
        elif isinstance(block, Para):
            pdf.set_font(FAMILY, "", BODY)
            if block.strong:
                pdf.set_font(FAMILY, "B", BODY)
                pdf.write(5, readable(block.strong) + " ")
                pdf.set_font(FAMILY, "", BODY)
            pdf.write(5, readable(block.text))
            pdf.ln(7)
        elif isinstance(block, Quote):
            pdf.set_font(FAMILY, "", BODY - 1)
            pdf.set_x(pdf.l_margin + 6)
            pdf.set_text_color(80)
            _lines(pdf, 4.5, block.by)
            pdf.set_text_color(0)
            pdf.set_font(FAMILY, "", BODY)
            pdf.set_x(pdf.l_margin + 6)
            _lines(pdf, 5, block.text)
            if block.note:
                pdf.set_x(pdf.l_margin + 6)
                pdf.set_font(FAMILY, "", BODY - 1)
                _lines(pdf, 4.5, block.note)
            pdf.ln(2)
        elif isinstance(block, Table):
            _table(pdf, block)
    content = bytes(pdf.output())
    if progress is not None:
        progress(1.0)
    return content


def _lines(pdf: FPDF, height: float, text: str) -> None:
    pdf.multi_cell(0, height, readable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _table(pdf: FPDF, block: Table) -> None:
    if block.caption:
        pdf.set_font(FAMILY, "", BODY - 1)
        _lines(pdf, 5, block.caption)
    pdf.set_font(FAMILY, "", BODY - 1)
    # Width follows content: the longest cell of each column, within sane bounds, and
    # never narrower than the longest word of its header ("Difference" stays whole).
    widths = []
    for header, *cells in zip(block.headers, *block.rows, strict=True):
        pdf.set_font(FAMILY, "B", BODY - 1)
        word = max((pdf.get_string_width(w) for w in header.split()), default=0.0) + 4
        pdf.set_font(FAMILY, "", BODY - 1)
        content = (
            max((pdf.get_string_width(readable(c)) for c in (header, *cells)), default=0.0) + 3
        )
        widths.append(max(8.0, word, min(60.0, content)))
    with pdf.table(
        col_widths=widths,
        width=min(pdf.epw, sum(widths)),
        align="LEFT",
        line_height=5,
        headings_style=Style(emphasis="BOLD", fill_color=(230, 230, 230)),
        text_align="LEFT",
    ) as table:
        for values in (block.headers, *block.rows):
            row = table.row()
            for value in values:
                row.cell(readable(value))
    pdf.ln(3)
