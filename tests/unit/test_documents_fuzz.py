"""Property tests: whatever bytes arrive, read_document returns a Document or raises DocumentError."""

from __future__ import annotations

import functools

from docx.document import Document as DocxDocument
from docx.shared import RGBColor
from fpdf import FPDF
from fpdf.enums import TextMode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.core.documents import Document, DocumentError, DocumentLimits, normalise_text, read_document
from tests.unit.document_factory import docx_bytes, lines_pdf, pdf_bytes, raw_pdf, read_part, rezip

REASONS = {
    "unsupported_type",
    "corrupt",
    "too_large",
    "too_many_pages",
    "page_too_large",  # one page's decoded content over its cap (a decompression bomb)
    "encrypted",
    "empty",
    "timeout",
}
MAGIC = [b"%PDF-1.7\n", b"PK\x03\x04", b"\xff\xfe", b"\xef\xbb\xbf", b"\x89PNG"]
LIMITS = DocumentLimits(max_bytes=200_000, max_pages=5, max_chars=5_000, max_seconds=5.0)
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

filenames = st.sampled_from(["cv.pdf", "cv.docx", "cv.txt", "resume", "cv.PDF", "x.doc"]) | st.text(
    max_size=30
)


def assert_contract(filename: str, content: bytes) -> None:
    try:
        document = read_document(filename, content, LIMITS)
    except DocumentError as exc:
        assert exc.reason in REASONS
        return
    assert isinstance(document, Document)
    assert document.kind in ("text", "pdf", "docx")
    assert document.text and document.text == document.text.strip()
    assert len(document.text) <= LIMITS.max_chars
    assert all(isinstance(finding, str) and finding for finding in document.findings)


@functools.cache
def pdf_corpus() -> tuple[bytes, ...]:
    def layered(pdf: FPDF) -> None:
        pdf.text(40, 80, "Left column: Python, SQL")
        pdf.text(320, 80, "Right column: Kafka, Qdrant")
        with pdf.local_context(text_color=(255, 255, 255)):
            pdf.text(40, 120, "white words")
        with pdf.local_context(text_mode=TextMode.INVISIBLE):
            pdf.text(40, 140, "invisible words")

    form = "q 1 1 1 rg BT /F1 9 Tf 10 10 Td (form text) Tj ET Q"
    return (
        lines_pdf(["Jane Doe", "ML engineer"], compress=False),
        lines_pdf(["Compressed page"], pages=2),
        pdf_bytes(layered, compress=False),
        raw_pdf("q /Fm0 Do Q BT /F1 11 Tf 72 700 Td [(Py) -250 (thon)] TJ (x) ' ET", forms=[form]),
    )


@functools.cache
def docx_corpus() -> tuple[bytes, ...]:
    def build(d: DocxDocument) -> None:
        d.add_paragraph("Jane Doe")
        paragraph = d.add_paragraph("Skills: Python")
        paragraph.add_run(" white").font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
        paragraph.add_run(" hidden").font.hidden = True
        table = d.add_table(rows=2, cols=2)
        table.cell(0, 0).text, table.cell(1, 1).text = "Acme", "2021"
        d.core_properties.keywords = "Spark, Scala"

    return (docx_bytes(build),)


def mutate(data: st.DataObject, content: bytes) -> bytes:
    buffer = bytearray(content)
    for _ in range(data.draw(st.integers(1, 8), label="edits")):
        if not buffer:
            break
        at = data.draw(st.integers(0, len(buffer) - 1), label="at")
        edit = data.draw(st.sampled_from(["flip", "truncate", "insert", "delete"]), label="edit")
        if edit == "flip":
            buffer[at] ^= 1 << data.draw(st.integers(0, 7), label="bit")
        elif edit == "truncate":
            del buffer[at:]
        elif edit == "insert":
            buffer[at:at] = data.draw(st.binary(min_size=1, max_size=16), label="junk")
        else:
            del buffer[at : at + data.draw(st.integers(1, 64), label="span")]
    return bytes(buffer)


@settings(FUZZ, max_examples=200)
@given(filename=filenames, content=st.binary(max_size=2048))
def test_arbitrary_bytes(filename: str, content: bytes) -> None:
    assert_contract(filename, content)


@settings(FUZZ, max_examples=60)
@given(
    filename=filenames,
    content=st.sampled_from(MAGIC),
    tail=st.binary(max_size=512),
)
def test_arbitrary_bytes_behind_magic_numbers(filename: str, content: bytes, tail: bytes) -> None:
    assert_contract(filename, content + tail)


@settings(FUZZ, max_examples=150)
@given(data=st.data())
def test_mutated_pdfs(data: st.DataObject) -> None:
    content = data.draw(st.sampled_from(pdf_corpus()), label="pdf")
    assert_contract("cv.pdf", mutate(data, content))


@settings(FUZZ, max_examples=60)
@given(data=st.data())
def test_mutated_docx_packages(data: st.DataObject) -> None:
    assert_contract("cv.docx", mutate(data, docx_corpus()[0]))


@settings(FUZZ, max_examples=100)
@given(data=st.data(), part=st.sampled_from(["word/document.xml", "word/styles.xml", "docProps/core.xml"]))
def test_mutated_docx_xml(data: st.DataObject, part: str) -> None:
    """Mutating inside a valid ZIP reaches python-docx and the body walker, not just the unzip."""
    package = docx_corpus()[0]
    assert_contract("cv.docx", rezip(package, {part: mutate(data, read_part(package, part))}))


_TRICKY = st.sampled_from(list("ab Z-\n\t•▪*–\u200b\u202e\u00ad\uf0b7ﬁ\x07\r\u2028\U000e0041"))


@settings(FUZZ, max_examples=300)
@given(text=st.text(max_size=80) | st.text(alphabet=_TRICKY, max_size=60))
def test_normalise_text_is_clean_and_idempotent(text: str) -> None:
    clean, _ = normalise_text(text)
    assert not any(ch in clean for ch in "\u200b\u202e\u00ad\x07\r\t\U000e0041")
    assert "  " not in clean and "\n\n\n" not in clean
    assert normalise_text(clean) == (clean, [])
