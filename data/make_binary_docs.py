"""Generate the corpus's PDF and DOCX files from the texts in data/sources/ (first line: the title).

Run from the project root: ``.venv/bin/python data/make_binary_docs.py``. The output is deterministic (fixed
creation dates), so regenerating changes nothing unless a source text changed.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

from docx import Document
from fpdf import FPDF

HERE = Path(__file__).resolve().parent
FIXED = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
PDFS = {
    "hlv-301-results": "trials/hlv-301-results.pdf",
    "cdr-204-summary": "trials/cdr-204-summary.pdf",
    "veltrazumab-patent": "legal/veltrazumab-patent.pdf",
}
DOCXS = {
    "lena-berg": "people/lena-berg.docx",
    "amara-okafor": "people/amara-okafor.docx",
    "ingrid-solberg": "people/ingrid-solberg.docx",
}


def read_source(name: str) -> tuple[str, list[str]]:
    lines = (HERE / "sources" / f"{name}.txt").read_text(encoding="utf-8").strip().split("\n")
    paragraphs = [p.strip() for p in "\n".join(lines[1:]).split("\n\n") if p.strip()]
    return lines[0].strip(), paragraphs


def is_heading(paragraph: str) -> bool:
    """A short line without a full stop is a section heading in the source texts."""
    return len(paragraph) <= 60 and not paragraph.endswith((".", ":", '"'))


def make_pdf(name: str, target: Path) -> None:
    """PDF core fonts cover Latin-1 only, so PDF sources are kept to Latin-1 text."""
    title, paragraphs = read_source(name)
    pdf = FPDF()
    pdf.set_creation_date(FIXED)
    pdf.set_title(title)
    pdf.set_author("Halvorsen Therapeutics")
    pdf.add_page()
    pdf.set_font("helvetica", "B", 14)
    pdf.multi_cell(0, 8, title)
    pdf.ln(4)
    for paragraph in paragraphs:
        pdf.set_font("helvetica", "B" if is_heading(paragraph) else "", 11)
        pdf.multi_cell(0, 6, paragraph)
        pdf.ln(3)
    pdf.output(str(target))


def make_docx(name: str, target: Path) -> None:
    title, paragraphs = read_source(name)
    document = Document()
    document.core_properties.title = title
    document.core_properties.author = "Halvorsen Therapeutics"
    document.core_properties.created = FIXED.replace(tzinfo=None)
    document.core_properties.modified = FIXED.replace(tzinfo=None)
    document.core_properties.last_modified_by = "kgrag"
    document.core_properties.revision = 1
    document.add_heading(title, level=1)
    for paragraph in paragraphs:
        if is_heading(paragraph):
            document.add_heading(paragraph, level=2)
        else:
            document.add_paragraph(paragraph)
    document.save(str(target))
    _fix_zip_dates(target)


def _fix_zip_dates(path: Path) -> None:
    """Rewrite the DOCX archive with fixed timestamps, so that regenerating gives the same bytes."""
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for filename, data in entries:
            info = zipfile.ZipInfo(filename, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data)


def main() -> None:
    corpus = HERE / "corpus"
    for name, target in PDFS.items():
        make_pdf(name, corpus / target)
    for name, target in DOCXS.items():
        make_docx(name, corpus / target)


if __name__ == "__main__":
    main()
