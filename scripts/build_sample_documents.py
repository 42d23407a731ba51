"""Regenerate the PDF and DOCX sample résumés from their plain-text sources.

The manifest ``services/samples/candidates.json`` is the single source of truth: every entry whose
``file`` ends in ``.pdf`` or ``.docx`` is rebuilt from ``services/samples/sources/<stem>.txt``.

Source format: line 1 is the name, line 2 the contact line, then sections introduced by a heading
line (``Summary``, ``Experience``, ``Skills``, ...). Lines starting with ``- `` are bullets. The
``Skills`` section of a DOCX becomes a table, as many real résumés do.

Usage::

    python scripts/build_sample_documents.py            # rebuild all
    python scripts/build_sample_documents.py cand-003   # rebuild some
    python scripts/build_sample_documents.py --font /path/to/Font.ttf

PDFs need a Unicode TrueType font because the sample names are not ASCII; DejaVu Sans is looked up in
the usual system locations. Output is deterministic apart from ZIP member timestamps, which are
pinned as well, so regenerating without source changes gives identical files.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES_DIR = ROOT / "services" / "samples"
SOURCES_DIR = SAMPLES_DIR / "sources"
MANIFEST = SAMPLES_DIR / "candidates.json"

FIXED_DATE = datetime(2024, 1, 1, tzinfo=UTC)
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/local/share/fonts/DejaVuSans.ttf",
    "/Library/Fonts/DejaVuSans.ttf",
    "C:/Windows/Fonts/DejaVuSans.ttf",
)
HEADINGS = {
    "summary",
    "professional summary",
    "profile",
    "research summary",
    "experience",
    "work experience",
    "academic appointments",
    "projects",
    "selected publications",
    "skills",
    "certifications",
    "education",
    "languages",
}
SKILL_TABLE_COLUMNS = 3


@dataclass
class Section:
    heading: str
    lines: list[str] = field(default_factory=list)


@dataclass
class Resume:
    name: str
    contact: str
    sections: list[Section]


def parse_source(text: str) -> Resume:
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[0].strip():
        lines.pop(0)
    if len(lines) < 2:
        raise ValueError("a source needs at least a name line and a contact line")
    name, contact, rest = lines[0].strip(), lines[1].strip(), lines[2:]
    sections: list[Section] = []
    current: Section | None = None
    for line in rest:
        if line.strip().lower() in HEADINGS:
            current = Section(line.strip())
            sections.append(current)
        elif current is None:
            if line.strip():
                current = Section("")
                sections.append(current)
                current.lines.append(line)
        else:
            current.lines.append(line)
    for section in sections:
        while section.lines and not section.lines[-1].strip():
            section.lines.pop()
        while section.lines and not section.lines[0].strip():
            section.lines.pop(0)
    return Resume(name=name, contact=contact, sections=sections)


def is_bullet(line: str) -> bool:
    return line.lstrip().startswith("- ")


def is_entry_title(lines: Sequence[str], index: int) -> bool:
    """A role or degree line: not a bullet, and the first line of a block."""
    line = lines[index]
    if not line.strip() or is_bullet(line):
        return False
    return index == 0 or not lines[index - 1].strip()


def split_skills(lines: Iterable[str]) -> list[tuple[str, str]]:
    """``Label: a, b`` lines become (label, items); a bare list becomes one row per line."""
    rows: list[tuple[str, str]] = []
    for line in lines:
        text = line.strip()
        if not text:
            continue
        label, sep, items = text.partition(":")
        if sep and len(label) <= 30 and "(" not in label:
            rows.append((label.strip(), items.strip()))
        else:
            rows.append(("", text))
    return rows


def skill_cells(items: str) -> list[str]:
    """Split a comma list, keeping commas inside parentheses together."""
    cells: list[str] = []
    depth = 0
    current = ""
    for char in items:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        if char == "," and depth == 0:
            if current.strip():
                cells.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        cells.append(current.strip())
    return cells


def find_font(explicit: Path | None) -> Path:
    if explicit is not None:
        if not explicit.is_file():
            raise SystemExit(f"font not found: {explicit}")
        return explicit
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    raise SystemExit("no DejaVuSans.ttf found; install fonts-dejavu-core or pass --font PATH")


def build_pdf(resume: Resume, out: Path, font: Path) -> None:
    from fpdf import FPDF

    bold = font.with_name(font.stem + "-Bold" + font.suffix)
    pdf = FPDF(format="A4")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_title(resume.name)  # metadata repeats visible text only: extra terms look like stuffing
    pdf.set_author(resume.name)
    pdf.set_creator("rolefit scripts/build_sample_documents.py")
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_font("Body", "", str(font))
    pdf.add_font("Body", "B", str(bold if bold.is_file() else font))
    pdf.add_page()

    pdf.set_font("Body", "B", 18)
    pdf.multi_cell(0, 9, resume.name, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font("Body", "", 9)
    pdf.multi_cell(0, 5, resume.contact, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(2)

    for section in resume.sections:
        if section.heading:
            pdf.ln(2)
            pdf.set_font("Body", "B", 12)
            pdf.multi_cell(0, 6, section.heading.upper(), new_x="LMARGIN", new_y="NEXT", align="L")
            y = pdf.get_y()
            pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
            pdf.ln(1.5)
        for index, line in enumerate(section.lines):
            if not line.strip():
                pdf.ln(2)
                continue
            if is_bullet(line):
                pdf.set_font("Body", "", 10)
                pdf.set_x(pdf.l_margin + 4)
                pdf.multi_cell(0, 5, "• " + line.strip()[2:], new_x="LMARGIN", new_y="NEXT", align="L")
            else:
                style = "B" if is_entry_title(section.lines, index) and section.heading else ""
                pdf.set_font("Body", style, 10)
                pdf.multi_cell(0, 5, line.strip(), new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.output(str(out))


def build_docx(resume: Resume, out: Path) -> None:
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    core = doc.core_properties
    core.author = resume.name
    core.title = resume.name  # metadata repeats visible text only: extra terms look like stuffing
    core.comments = ""  # the default template says "generated by python-docx"
    core.subject = ""
    core.keywords = ""
    core.category = ""
    core.created = FIXED_DATE
    core.modified = FIXED_DATE
    core.last_modified_by = resume.name
    core.revision = 1

    doc.add_heading(resume.name, level=0)
    contact = doc.add_paragraph(resume.contact)
    for run in contact.runs:
        run.font.size = Pt(9)

    for section in resume.sections:
        if section.heading:
            doc.add_heading(section.heading, level=1)
        if section.heading.lower() == "skills":
            rows = split_skills(section.lines)
            labelled = any(label for label, _ in rows)
            if labelled:
                table = doc.add_table(rows=0, cols=2)
                table.style = "Table Grid"
                for label, joined in rows:
                    cells = table.add_row().cells
                    cells[0].text = label
                    cells[1].text = joined
            else:
                items = [cell for _, text in rows for cell in skill_cells(text)]
                table = doc.add_table(rows=0, cols=SKILL_TABLE_COLUMNS)
                table.style = "Table Grid"
                for start in range(0, len(items), SKILL_TABLE_COLUMNS):
                    cells = table.add_row().cells
                    for offset, item in enumerate(items[start : start + SKILL_TABLE_COLUMNS]):
                        cells[offset].text = item
            continue
        for index, line in enumerate(section.lines):
            if not line.strip():
                continue
            if is_bullet(line):
                doc.add_paragraph(line.strip()[2:], style="List Bullet")
            else:
                paragraph = doc.add_paragraph()
                run = paragraph.add_run(line.strip())
                run.bold = bool(section.heading) and is_entry_title(section.lines, index)

    buffer = io.BytesIO()
    doc.save(buffer)
    out.write_bytes(pin_zip_timestamps(buffer.getvalue()))


def pin_zip_timestamps(data: bytes) -> bytes:
    """Rewrite a ZIP (DOCX) with fixed member timestamps so rebuilds are byte-identical."""
    source = zipfile.ZipFile(io.BytesIO(data))
    target_buffer = io.BytesIO()
    with zipfile.ZipFile(target_buffer, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            pinned = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            pinned.compress_type = zipfile.ZIP_DEFLATED
            pinned.external_attr = info.external_attr
            target.writestr(pinned, source.read(info.filename))
    return target_buffer.getvalue()


def targets(manifest: Path) -> list[Path]:
    entries = json.loads(manifest.read_text(encoding="utf-8"))
    out: list[Path] = []
    for entry in entries:
        path = manifest.parent / entry["file"]
        if path.suffix.lower() in {".pdf", ".docx"}:
            out.append(path)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("only", nargs="*", help="candidate file stems to rebuild (default: all)")
    parser.add_argument("--font", type=Path, default=None, help="Unicode TrueType font for PDFs")
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    parser.add_argument("--sources", type=Path, default=SOURCES_DIR)
    args = parser.parse_args(argv)

    wanted = set(args.only)
    font: Path | None = None
    built = 0
    for out in targets(args.manifest):
        if wanted and out.stem not in wanted:
            continue
        source = args.sources / f"{out.stem}.txt"
        if not source.is_file():
            print(f"missing source for {out.name}: {source}", file=sys.stderr)
            return 1
        resume = parse_source(source.read_text(encoding="utf-8"))
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() == ".pdf":
            font = font or find_font(args.font)
            build_pdf(resume, out, font)
        else:
            build_docx(resume, out)
        built += 1
        print(f"{out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}  {out.stat().st_size:,} bytes")
    if wanted and built < len(wanted):
        print("some requested stems are not PDF/DOCX entries in the manifest", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
