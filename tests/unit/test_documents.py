"""read_document and normalise_text: decoding, normalisation, PDF and DOCX extraction, hidden text."""

from __future__ import annotations

import io
import zipfile

import pytest
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.shared import Pt, RGBColor
from fpdf import FPDF
from fpdf.enums import TextMode
from PIL import Image
from pypdf import PdfReader

from services.core.documents import Document, DocumentError, DocumentLimits, normalise_text, read_document
from tests.unit.document_factory import (
    docx_bytes,
    encrypt_pdf,
    find_unicode_font,
    lines_pdf,
    pdf_bytes,
    raw_pdf,
    read_part,
    rezip,
)

SECRET = "Kubernetes"  # the hidden text in every hidden-text test; never visible anywhere


def reason_of(filename: str, content: bytes, limits: DocumentLimits | None = None) -> str:
    with pytest.raises(DocumentError) as caught:
        read_document(filename, content, limits or DocumentLimits())
    return caught.value.reason


def has_finding(document: Document, fragment: str) -> bool:
    return any(fragment in finding for finding in document.findings)


# --- plain text -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected", "findings"),
    [
        ("Zoë Ñúñez — ML engineer".encode(), "Zoë Ñúñez — ML engineer", ()),
        (b"\xef\xbb\xbf" + "Zoë — ML".encode(), "Zoë — ML", ()),  # the BOM is not a zero-width space
        (b"\xff\xfe" + "Zoë — ML".encode("utf-16-le"), "Zoë — ML", ()),
        (b"\xfe\xff" + "Zoë — ML".encode("utf-16-be"), "Zoë — ML", ()),
        ("Zoë – naïve café".encode("cp1252"), "Zoë – naïve café", ()),  # 0x96 is cp1252's en dash
        # 0x81 is undefined in cp1252: latin-1 decodes it to a C1 control, which is then dropped
        (b"Zo\xeb \x81 ML", "Zoë ML", ("control characters removed: 1",)),
    ],
)
def test_plain_text_encodings(content: bytes, expected: str, findings: tuple[str, ...]) -> None:
    document = read_document("cv.txt", content)
    assert document.kind == "text"
    assert document.pages is None
    assert document.text == expected
    assert document.findings == findings


def test_binary_garbage_is_unsupported() -> None:
    noise = bytes(range(256)) * 8
    assert reason_of("cv.txt", noise) == "unsupported_type"
    assert reason_of("cv", b"Python\x00\x00\x00\x00 SQL" * 20) == "unsupported_type"
    assert reason_of("photo.txt", b"\x89PNG\r\n\x1a\n" + b"x" * 50) == "unsupported_type"
    assert reason_of("cv.doc", b"plain words in a legacy extension") == "unsupported_type"


def test_size_is_checked_before_parsing() -> None:
    limits = DocumentLimits(max_bytes=100)
    assert reason_of("cv.txt", b"\x00" * 101, limits) == "too_large"  # would be unsupported_type
    assert reason_of("cv.pdf", b"%PDF-1.7 broken" + b" " * 100, limits) == "too_large"  # would be corrupt
    assert read_document("cv.txt", b"a" * 100, limits).text == "a" * 100


@pytest.mark.parametrize("content", [b"", b"   \n\t\n", "\u200b\u200d\n\ufeff".encode()])
def test_no_visible_text_is_empty(content: bytes) -> None:
    assert reason_of("cv.txt", content) == "empty"


def test_magic_bytes_beat_the_extension() -> None:
    pdf = lines_pdf(["Data scientist"])
    assert read_document("cv.txt", pdf).kind == "pdf"
    assert read_document("upload", docx_bytes(lambda d: d.add_paragraph("Data scientist"))).kind == "docx"
    assert reason_of("cv.pdf", b"Data scientist") == "corrupt"
    assert reason_of("cv.docx", b"Data scientist") == "corrupt"
    assert reason_of("archive.zip", _zip({"a.txt": b"x"})) == "unsupported_type"


def test_text_is_cut_at_max_chars() -> None:
    document = read_document("cv.txt", b"word " * 100, DocumentLimits(max_chars=50))
    assert len(document.text) <= 50
    assert has_finding(document, "truncated to 50")


def test_deadline_gives_timeout() -> None:
    assert reason_of("cv.pdf", lines_pdf(["x"]), DocumentLimits(max_seconds=-1)) == "timeout"


# --- normalisation ----------------------------------------------------------------------


@pytest.mark.parametrize("glyph", [*"•▪➢◦●■►✓➤◆▸*–", "\uf0b7", "\uf0a7"])
def test_bullet_glyphs_become_dashes(glyph: str) -> None:
    text, _ = normalise_text(f"Skills\n{glyph} PyTorch\n  {glyph}   SQL")
    assert text == "Skills\n- PyTorch\n- SQL"


def test_bullet_alone_on_its_line_joins_the_next_line() -> None:
    assert normalise_text("•\nBuilt a feature store")[0] == "- Built a feature store"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("used scikit-\nlearn daily", "used scikit-learn daily"),
        ("deep experi-\nence with MLOps", "deep experience with MLOps"),
        ("end-to-\nend pipelines", "end-to-end pipelines"),
        ("PyTorch-\nbased trainer", "PyTorch-based trainer"),
        ("devel-\nopment and development", "development and development"),
        ("Python -\njava", "Python -\njava"),  # a dash, not a hyphenated word
        ("Spark-\nSQL", "Spark-\nSQL"),  # next line starts a new capitalised item
        ("pipe-\n\nline", "pipe-\n\nline"),  # paragraph break, not a wrap
        ("model-\n- next bullet", "model-\n- next bullet"),
    ],
)
def test_hyphenation_is_joined_only_for_word_wrap(raw: str, expected: str) -> None:
    assert normalise_text(raw)[0] == expected


def test_invisible_characters_are_removed_and_counted() -> None:
    text, findings = normalise_text("Py\u200bth\u200con\u2060 \u202eSQL\u202c \U000e0041\U000e0042x")
    assert text == "Python SQL x"
    assert "zero-width characters removed: 3" in findings
    assert "bidi control characters removed: 2" in findings
    assert "unicode tag characters removed: 2" in findings


def test_whitespace_nfkc_and_controls() -> None:
    text, findings = normalise_text("ﬁne-tuned\u00a0 ＬＬＭｓ\t\tand\x07 RAG\r\n\n\n\n\nNext\u2028line")
    assert text == "fine-tuned LLMs and RAG\n\nNext\nline"
    assert "control characters removed: 1" in findings


def test_clean_text_has_no_findings() -> None:
    clean = "Machine learning engineer\n\n- Python"
    assert normalise_text(clean) == (clean, [])


# --- PDF --------------------------------------------------------------------------------


def test_pdf_simple() -> None:
    lines = ["Jane Doe", "Machine learning engineer", "Python, PyTorch"]
    document = read_document("cv.pdf", lines_pdf(lines))
    assert document.kind == "pdf"
    assert document.pages == 1
    assert document.text.split("\n") == lines
    assert document.findings == ()


def _two_columns(pdf: FPDF) -> None:
    pdf.text(72, 60, "Jane Doe")
    for row in range(6):  # written row by row, as many generators interleave columns
        pdf.text(40, 100 + 15 * row, f"Left column line {row} about feature stores")
        pdf.text(320, 100 + 15 * row, f"Right column line {row} about model serving")


def test_pdf_two_columns_read_column_by_column() -> None:
    content = pdf_bytes(_two_columns)
    naive = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert naive.index("Right column line 0") < naive.index("Left column line 5")  # the trap is real
    text = read_document("cv.pdf", content).text
    lines = [line for line in text.split("\n") if line]
    assert lines[0] == "Jane Doe"
    left = [lines.index(f"Left column line {r} about feature stores") for r in range(6)]
    right = [lines.index(f"Right column line {r} about model serving") for r in range(6)]
    assert left == sorted(left) and right == sorted(right)
    assert max(left) < min(right)


def test_pdf_single_column_with_right_aligned_dates_keeps_rows() -> None:
    def draw(pdf: FPDF) -> None:
        for i in range(4):
            pdf.text(72, 80 + 60 * i, f"Role {i} machine learning engineer at company {i}")
            pdf.text(470, 80 + 60 * i, f"201{i} - 202{i}")
            pdf.text(90, 95 + 60 * i, f"Shipped ranking model number {i} to production traffic")

    text = read_document("cv.pdf", pdf_bytes(draw)).text
    assert text.index("2010 - 2020") < text.index("Role 1")


def _hidden_white(pdf: FPDF) -> None:
    with pdf.local_context(text_color=(255, 255, 255)):
        pdf.text(72, 120, SECRET)


def _hidden_near_white(pdf: FPDF) -> None:
    with pdf.local_context(text_color=(246, 248, 250)):
        pdf.text(72, 120, SECRET)


def _hidden_tiny(pdf: FPDF) -> None:
    with pdf.local_context(font_size_pt=0.5):
        pdf.text(72, 120, SECRET)


def _hidden_off_page(pdf: FPDF) -> None:
    pdf.text(-900, 120, SECRET)
    pdf.text(72, 5000, SECRET)


def _hidden_render_mode(pdf: FPDF) -> None:
    with pdf.local_context(text_mode=TextMode.INVISIBLE):
        pdf.text(72, 120, SECRET)


def _hidden_transparent(pdf: FPDF) -> None:
    with pdf.local_context(fill_opacity=0):
        pdf.text(72, 120, SECRET)


def _hidden_clipped(pdf: FPDF) -> None:
    with pdf.rect_clip(x=300, y=300, w=10, h=10):
        pdf.text(72, 120, SECRET)


@pytest.mark.parametrize(
    ("draw", "finding"),
    [
        (_hidden_white, "white/near-background colour"),
        (_hidden_near_white, "white/near-background colour"),
        (_hidden_tiny, "under 1 pt"),
        (_hidden_off_page, "outside the page"),
        (_hidden_render_mode, "invisible render mode"),
        (_hidden_transparent, "fully transparent"),
        (_hidden_clipped, "clipped out of view"),
    ],
)
def test_pdf_hidden_text_is_dropped_and_flagged(draw: object, finding: str) -> None:
    def page(pdf: FPDF) -> None:
        pdf.text(72, 80, "Visible summary: Python and SQL")
        draw(pdf)  # type: ignore[operator]
        pdf.text(72, 160, "Visible closing line")

    content = pdf_bytes(page)
    assert SECRET in PdfReader(io.BytesIO(content)).pages[0].extract_text()  # pypdf alone would keep it
    document = read_document("cv.pdf", content)
    assert SECRET not in document.text
    assert "Visible summary: Python and SQL" in document.text
    assert "Visible closing line" in document.text
    assert has_finding(document, "pdf: ") and has_finding(document, finding)


def test_pdf_white_text_on_dark_background_is_kept() -> None:
    def draw(pdf: FPDF) -> None:
        pdf.set_fill_color(20, 30, 90)
        pdf.rect(40, 40, 500, 40, style="F")
        with pdf.local_context(text_color=(255, 255, 255)):
            pdf.text(60, 65, "Jane Doe, Staff ML Engineer")

    document = read_document("cv.pdf", pdf_bytes(draw))
    assert document.text == "Jane Doe, Staff ML Engineer"
    assert document.findings == ()


def test_pdf_inline_colour_change_hides_only_the_white_run() -> None:
    content = raw_pdf(
        "BT /F1 11 Tf 72 700 Td (Python ) Tj 1 1 1 rg (Kubernetes ) Tj 0 g (SQL) Tj ET\n"
        "BT /F1 11 Tf 72 680 Td 0 0 0 0 k (Kubernetes) Tj ET"  # CMYK white
    )
    document = read_document("cv.pdf", content)
    assert "Python" in document.text and "SQL" in document.text
    assert SECRET not in document.text
    assert has_finding(document, "pdf: 2 text runs in white/near-background colour ignored")


def test_pdf_white_runs_on_a_dark_banner_in_one_text_object_are_kept() -> None:
    # the second run starts where the first ends; its background is judged there, still on the banner
    content = raw_pdf(
        "0.1 0.1 0.3 rg 60 680 400 40 re f "
        "BT /F1 11 Tf 1 g 72 695 Td (Jane Doe, Staff Machine Learning Engineer, ) Tj (London) Tj ET"
    )
    document = read_document("cv.pdf", content)
    assert document.text == "Jane Doe, Staff Machine Learning Engineer, London"
    assert document.findings == ()


def test_pdf_line_operators_and_kerned_arrays_keep_position_and_order() -> None:
    content = raw_pdf(
        "BT /F1 11 Tf 14 TL 72 700 Td (Line one) Tj 1 1 1 rg (Kubernetes) ' 0 g (Line three) ' "
        '0 0 (Line four: ) " [(Py) -20 (Torch) -300 (and) -300 (JAX)] TJ 1 g [(Kuber) 20 (netes)] TJ ET'
    )
    document = read_document("cv.pdf", content)
    assert document.text == "Line one\nLine three\nLine four: PyTorch and JAX"
    assert document.findings == ("pdf: 2 text runs in white/near-background colour ignored",)


@pytest.mark.parametrize(
    ("operators", "finding"),
    [
        ("/GS0 gs", "fully transparent"),
        ("0 Tz", "under 1 pt"),
        ("7 Tr", "invisible render mode"),
        ("1 1 1 RG 1 Tr", "white/near-background colour"),  # stroked outline in white
    ],
)
def test_pdf_raw_operators_hide_text(operators: str, finding: str) -> None:
    content = raw_pdf(
        f"BT /F1 11 Tf 72 700 Td (Visible) Tj ET q {operators} BT /F1 11 Tf 72 680 Td (Kubernetes) Tj ET Q",
        resources="/ExtGState << /GS0 << /ca 0 /CA 0 >> >>",
    )
    document = read_document("cv.pdf", content)
    assert document.text == "Visible"
    assert has_finding(document, finding)


@pytest.mark.parametrize(
    "content",
    [
        "BT /F1 1 Tf 11 0 0 11 72 700 Tm (Visible text) Tj ET",  # size carried by the text matrix
        "q 2 0 0 2 0 0 cm BT /F1 6 Tf 36 350 Td (Visible text) Tj ET Q",  # and by the CTM
        "BT /F1 11 Tf 0 1 -1 0 300 300 Tm (Visible text) Tj ET",  # rotated a quarter turn
        "0.6 g BT /F1 11 Tf 72 700 Td (Visible text) Tj ET",
        "1 0 0 0 k BT /F1 11 Tf 72 700 Td (Visible text) Tj ET",  # cyan
        "BT /F1 11 Tf 2 Tr 1 g 0 G 72 700 Td (Visible text) Tj ET",  # white fill, black outline
        "BT /F1 11 Tf -20 700 Td (Visible text) Tj ET",  # starts left of the page, ends on it
    ],
)
def test_pdf_unusual_but_visible_text_is_kept(content: str) -> None:
    document = read_document("cv.pdf", raw_pdf(content))
    assert document.text == "Visible text"
    assert document.findings == ()


def test_pdf_hidden_text_inside_a_form_xobject() -> None:
    form = "BT /F1 11 Tf 72 650 Td (Form text) Tj 1 1 1 rg (Kubernetes) Tj ET"
    content = raw_pdf("BT /F1 11 Tf 72 700 Td (Page text) Tj ET q 1 0 0 1 0 0 cm /Fm0 Do Q", forms=[form])
    document = read_document("cv.pdf", content)
    assert "Page text" in document.text and "Form text" in document.text
    assert SECRET not in document.text
    assert has_finding(document, "white/near-background colour")


SCANNED_LINES = ["Jane Doe", "Data scientist with Kubernetes and Python", "Acme 2019 - 2024"]


def _scanned_page(pdf: FPDF, *, visible: str = "") -> None:
    pdf.image(Image.new("L", (40, 60), color=235), x=0, y=0, w=pdf.w, h=pdf.h)
    with pdf.local_context(text_mode=TextMode.INVISIBLE):
        for i, line in enumerate(SCANNED_LINES):
            pdf.text(72, 100 + 20 * i, line)
    if visible:
        pdf.text(72, 40, visible)


def test_pdf_ocr_layer_of_a_scanned_page_is_kept_and_reported() -> None:
    document = read_document("scan.pdf", pdf_bytes(_scanned_page))
    assert document.text.split("\n") == SCANNED_LINES
    assert has_finding(document, "pdf: 3 invisible text runs over scanned images kept as an OCR layer")


def test_pdf_invisible_text_over_an_image_is_dropped_when_the_page_has_real_text() -> None:
    visible = "Visible résumé text: analyst with eight years of reporting, dashboards and Excel"
    document = read_document("cv.pdf", pdf_bytes(lambda pdf: _scanned_page(pdf, visible=visible)))
    assert document.text == visible
    assert has_finding(document, "pdf: 3 text runs with invisible render mode ignored")


def test_pdf_non_ascii_names() -> None:
    font = find_unicode_font()
    if font is None:
        pytest.skip("no Unicode TTF font (DejaVu, Noto, Liberation, FreeSans) installed")
    names = "Zoë Łukasiewicz-Øvergård, Σοφία Παπαδοπούλου, Jürgen Müßig"

    def draw(pdf: FPDF) -> None:
        pdf.add_font("Uni", fname=str(font))
        pdf.set_font("Uni", size=12)
        pdf.text(72, 80, names)

    assert read_document("cv.pdf", pdf_bytes(draw)).text == names


def test_pdf_encrypted_with_user_password_is_refused() -> None:
    locked = encrypt_pdf(lines_pdf(["Data engineer"]), user_password="s3cret")
    assert reason_of("cv.pdf", locked) == "encrypted"


def test_pdf_encrypted_with_empty_user_password_opens() -> None:
    readable = encrypt_pdf(lines_pdf(["Data engineer"]), user_password="")
    assert read_document("cv.pdf", readable).text == "Data engineer"


def test_pdf_page_limit() -> None:
    content = lines_pdf(["Page text"], pages=4)
    assert reason_of("cv.pdf", content, DocumentLimits(max_pages=3)) == "too_many_pages"
    assert read_document("cv.pdf", content, DocumentLimits(max_pages=4)).pages == 4


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.7\n" + bytes(range(256)) * 4,
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF",
        b"%PDF-",
    ],
)
def test_pdf_corrupt_bytes(content: bytes) -> None:
    assert reason_of("cv.pdf", content) == "corrupt"


@pytest.mark.parametrize("fraction", [0.2, 0.5, 0.9])
def test_pdf_truncated(fraction: float) -> None:
    content = lines_pdf([f"Line {i} of a long résumé" for i in range(40)])
    assert reason_of("cv.pdf", content[: int(len(content) * fraction)]) == "corrupt"


def test_pdf_metadata_only_keywords_are_flagged_not_used() -> None:
    def draw(pdf: FPDF) -> None:
        pdf.set_keywords("Kubernetes, TensorFlow, Spark")
        pdf.text(72, 80, "Analyst skilled in Excel")

    document = read_document("cv.pdf", pdf_bytes(draw))
    assert SECRET not in document.text
    assert has_finding(document, "text only in metadata ignored")


def test_pdf_character_limit_stops_early() -> None:
    content = lines_pdf(["A line of text that repeats on every page"] * 10, pages=5)
    document = read_document("cv.pdf", content, DocumentLimits(max_chars=300))
    assert len(document.text) <= 300
    assert has_finding(document, "stopped after page 1 of 5")


# --- DOCX -------------------------------------------------------------------------------


def test_docx_paragraphs_and_tables_in_body_order() -> None:
    def build(d: DocxDocument) -> None:
        d.add_paragraph("Experience")
        table = d.add_table(rows=2, cols=3)
        for r, row in enumerate([("Acme", "ML Engineer", "2021"), ("Initech", "Data Scientist", "2019")]):
            for c, value in enumerate(row):
                table.cell(r, c).text = value
        d.add_paragraph("• Education")

    document = read_document("cv.docx", docx_bytes(build))
    assert document.kind == "docx"
    rows = ["Acme | ML Engineer | 2021", "Initech | Data Scientist | 2019"]
    assert document.text.split("\n") == ["Experience", *rows, "- Education"]
    assert document.findings == ()


@pytest.mark.parametrize(
    ("style_run", "finding"),
    [
        (lambda run: setattr(run.font, "hidden", True), "docx: 1 hidden run ignored"),
        (lambda run: setattr(run.font.color, "rgb", RGBColor(0xFF, 0xFF, 0xFF)), "white/near-background"),
        (lambda run: setattr(run.font.color, "rgb", RGBColor(0xF7, 0xF9, 0xFA)), "white/near-background"),
        (lambda run: setattr(run.font, "size", Pt(1)), "docx: 1 run under 2 pt ignored"),
    ],
)
def test_docx_invisible_runs_are_dropped_and_flagged(style_run: object, finding: str) -> None:
    def build(d: DocxDocument) -> None:
        paragraph = d.add_paragraph("Skills: Python")
        style_run(paragraph.add_run(f" {SECRET}"))  # type: ignore[operator]
        paragraph.add_run(", SQL")

    document = read_document("cv.docx", docx_bytes(build))
    assert document.text == "Skills: Python, SQL"
    assert has_finding(document, finding)


def test_docx_run_hidden_by_its_character_style() -> None:
    def build(d: DocxDocument) -> None:
        style = d.styles.add_style("Invisible", WD_STYLE_TYPE.CHARACTER)
        style.font.hidden = True
        paragraph = d.add_paragraph("Python")
        paragraph.add_run(f" {SECRET}", style="Invisible")

    document = read_document("cv.docx", docx_bytes(build))
    assert document.text == "Python"
    assert has_finding(document, "hidden run")


def test_docx_white_text_on_shaded_cell_is_kept() -> None:
    def build(d: DocxDocument) -> None:
        cell = d.add_table(rows=1, cols=1).cell(0, 0)
        cell._tc.get_or_add_tcPr().append(parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:fill="1F2A44"/>'))
        cell.paragraphs[0].add_run("Jane Doe").font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)

    document = read_document("cv.docx", docx_bytes(build))
    assert document.text == "Jane Doe"
    assert document.findings == ()


def test_docx_inline_wrappers_and_tracked_changes() -> None:
    def build(d: DocxDocument) -> None:
        p = d.add_paragraph("Tools:")
        ns = nsdecls("w")

        def run(text: str) -> str:
            return f'<w:r><w:t xml:space="preserve"> {text}</w:t></w:r>'

        for xml in (
            f'<w:ins {ns} w:id="1" w:author="a">{run("Airflow")}</w:ins>',
            f'<w:del {ns} w:id="2" w:author="a"><w:r><w:delText> {SECRET}</w:delText></w:r></w:del>',
            f"<w:hyperlink {ns}>{run('dbt')}</w:hyperlink>",
            f"<w:sdt {ns}><w:sdtContent>{run('Go')}</w:sdtContent></w:sdt>",
        ):
            p._p.append(parse_xml(xml))

    assert read_document("cv.docx", docx_bytes(build)).text == "Tools: Airflow dbt Go"


_BOX_NS = (
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:v="urn:schemas-microsoft-com:vml"'
)


def _text_box_run(text: str, *, fill: str | None, colour: str) -> str:
    """A run holding a text box the way Word writes it: DrawingML choice plus VML fallback."""
    run = f'<w:r><w:rPr><w:color w:val="{colour}"/></w:rPr><w:t>{text}</w:t></w:r>'
    box = f"<w:txbxContent><w:p>{run}</w:p></w:txbxContent>"
    sp_fill = f'<a:solidFill><a:srgbClr val="{fill}"/></a:solidFill>' if fill else ""
    return (
        f"<w:r {nsdecls('w')} {_BOX_NS}><mc:AlternateContent>"
        f'<mc:Choice Requires="wps"><w:drawing><wps:wsp><wps:spPr>{sp_fill}</wps:spPr>'
        f"<wps:txbx>{box}</wps:txbx></wps:wsp></w:drawing></mc:Choice>"
        f"<mc:Fallback><w:pict><v:shape><v:textbox>{box}</v:textbox></v:shape></w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r>"
    )


@pytest.mark.parametrize(
    ("fill", "colour", "expected"),
    [
        (None, "000000", "Profile\nSidebar: Spark, Airflow\nExperience"),
        ("1F2A44", "FFFFFF", "Profile\nSidebar: Spark, Airflow\nExperience"),  # white on a dark shape
        (None, "FFFFFF", "Profile\nExperience"),  # white on the white page
    ],
)
def test_docx_text_boxes_are_read_once_after_their_anchor(
    fill: str | None, colour: str, expected: str
) -> None:
    def build(d: DocxDocument) -> None:
        d.add_paragraph("Profile")._p.append(
            parse_xml(_text_box_run("Sidebar: Spark, Airflow", fill=fill, colour=colour))
        )
        d.add_paragraph("Experience")

    assert read_document("cv.docx", docx_bytes(build)).text == expected


def test_docx_metadata_only_keywords_are_flagged_not_used() -> None:
    def build(d: DocxDocument) -> None:
        d.core_properties.keywords = "Kubernetes; TensorFlow; Spark; Scala"
        d.add_paragraph("Analyst skilled in Excel")

    document = read_document("cv.docx", docx_bytes(build))
    assert document.text == "Analyst skilled in Excel"
    assert has_finding(document, "text only in metadata ignored")


def test_docx_metadata_matching_the_body_is_not_flagged() -> None:
    def build(d: DocxDocument) -> None:
        d.core_properties.title = "Jane Doe CV"
        d.core_properties.keywords = "Python, SQL"
        d.add_paragraph("Jane Doe: Python and SQL")

    assert read_document("cv.docx", docx_bytes(build)).findings == ()


def test_docx_corrupt_packages() -> None:
    valid = docx_bytes(lambda d: d.add_paragraph("Data scientist"))
    assert reason_of("cv.docx", valid[: len(valid) // 2]) == "corrupt"
    assert reason_of("cv.docx", _zip({"word/other.xml": b"<x/>"})) == "corrupt"
    broken_xml = rezip(valid, {"word/document.xml": read_part(valid, "word/document.xml")[:-40]})
    assert reason_of("cv.docx", broken_xml) == "corrupt"


def test_docx_zip_bomb_is_too_large() -> None:
    valid = docx_bytes(lambda d: d.add_paragraph("Data scientist"))
    bomb = rezip(valid, {"word/media/padding.bin": b"\x00" * 2_000_000})
    assert len(bomb) < 100_000
    assert reason_of("cv.docx", bomb, DocumentLimits(max_bytes=150_000)) == "too_large"


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(name, data)
    return out.getvalue()
