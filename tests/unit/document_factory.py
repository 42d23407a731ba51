"""Builds the PDFs and DOCX files the document tests read, so no binary fixtures are stored.

fpdf2 covers what real generators do (colours, modes, positions, fonts); `raw_pdf` writes
a minimal PDF by hand for operators fpdf2 does not emit (CMYK, alpha, forms, Tz).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

import docx
from docx.document import Document as DocxDocument
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")
UNICODE_FONT_NAMES = ("DejaVuSans.ttf", "NotoSans-Regular.ttf", "LiberationSans-Regular.ttf", "FreeSans.ttf")


def pdf_bytes(draw: Callable[[FPDF], None], *, pages: int = 1, compress: bool = True) -> bytes:
    """A PDF whose every page is drawn by `draw` (Helvetica 11 pt is preselected)."""
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_compression(compress)  # uncompressed streams let fuzzing reach the operators
    pdf.set_auto_page_break(False)
    for _ in range(pages):
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        draw(pdf)
    return bytes(pdf.output())


def lines_pdf(lines: Iterable[str], *, pages: int = 1, compress: bool = True) -> bytes:
    text = list(lines)

    def draw(pdf: FPDF) -> None:
        for i, line in enumerate(text):
            pdf.text(72, 72 + 16 * i, line)

    return pdf_bytes(draw, pages=pages, compress=compress)


def encrypt_pdf(content: bytes, *, user_password: str) -> bytes:
    """RC4, because AES needs the optional `cryptography` package in pypdf."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(content)))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def find_unicode_font() -> Path | None:
    for name in UNICODE_FONT_NAMES:
        for folder in FONT_DIRS:
            if folder.is_dir():
                found = next(folder.rglob(name), None)
                if found is not None:
                    return found
    return None


def raw_pdf(
    content: str, *, resources: str = "", forms: Iterable[str] = (), media: str = "0 0 612 792"
) -> bytes:
    """A one-page PDF with Helvetica as /F1; `forms` become /Fm0, /Fm1... Form XObjects."""
    font = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    form_list = list(forms)
    first_form = 6
    xobjects = " ".join(f"/Fm{i} {first_form + i} 0 R" for i in range(len(form_list)))
    res = f"<< /Font << /F1 4 0 R >> /XObject << {xobjects} >> {resources} >>"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [{media}] /Resources {res} /Contents 5 0 R >>",
        font,
        _stream("", content),
        *(_stream(f"/Type /XObject /Subtype /Form /BBox [{media}] /Resources {res}", f) for f in form_list),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _stream(entries: str, data: str) -> str:
    return f"<< {entries} /Length {len(data.encode('latin-1'))} >>\nstream\n{data}\nendstream"


def docx_bytes(build: Callable[[DocxDocument], object]) -> bytes:
    """A DOCX built by `build`; python-docx's own placeholder metadata is cleared first."""
    document = docx.Document()
    props = document.core_properties
    props.title = props.subject = props.keywords = props.comments = props.category = ""
    build(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def rezip(content: bytes, replace: dict[str, bytes]) -> bytes:
    """The same ZIP package with some parts replaced or added."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        names = [info.filename for info in source.infolist()]
        for name in names:
            target.writestr(name, replace.get(name, source.read(name)))
        for name in replace.keys() - set(names):
            target.writestr(name, replace[name])
    return out.getvalue()


def read_part(content: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        return package.read(name)
