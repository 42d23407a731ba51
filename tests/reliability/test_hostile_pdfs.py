"""Hostile PDFs through the ingest handler (in-memory broker): too many pages, a page whose
content never ends, a huge single page (directly or in a form) and a decompression bomb are
dead-lettered, and memory stays bounded.

Bounds first: each case must end as a dead letter (the reader's page, content, time and size
limits decide when), and tracemalloc's peak must stay below a generous ceiling that the
unbounded behaviour would break (the bomb inflates to 400 MB; the ceiling is 250 MB). One timing:
a huge page is refused before pypdf parses it, which is what the time limit cannot do.
"""

from __future__ import annotations

import base64
import time
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from schemas.events import CandidateSubmittedV1, ResumeFile
from services.core.documents import DocumentError, DocumentLimits, read_document
from services.ingest.app import build_ingest
from services.platform.dead_letters import HEADER_PREFIX
from services.platform.settings import IngestSettings, QdrantSettings, Settings
from services.platform.store.factory import open_store
from tests.fakes import HashingEmbedder
from tests.reliability.inmemory import in_memory_ingest
from tests.unit.document_factory import lines_pdf, raw_pdf

MB = 1024 * 1024
CEILING = 250 * MB


def _pdf_with_stream(stream: bytes) -> bytes:
    """A one-page PDF whose content stream is ``stream``, Flate-compressed."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


def bomb() -> bytes:
    """400 MB of content stream (some text, then spaces) in a few hundred kilobytes."""
    packer = zlib.compressobj(9)
    parts = [packer.compress(b"BT /F1 11 Tf 72 700 Td (Python engineer) Tj ET\n")]
    parts += [packer.compress(b" " * MB) for _ in range(400)]
    return _pdf_with_stream(b"".join([*parts, packer.flush()]))


def endless_page() -> bytes:
    """One page, 15k positioned text runs (half a megabyte): reading it overruns the time limit.
    pypdf parses a page's content stream in one call, so the limit is checked only after it:
    the overrun grows with the page (measured: 3.5 MB took 14 s against a 2 s budget)."""
    runs = " ".join(f"(skill{i} python) Tj 0 -1 Td" for i in range(15_000))
    return raw_pdf(f"BT /F1 11 Tf 72 700 Td {runs} ET")


def _runs(count: int) -> bytes:
    return b" ".join(b"(skill%d python) Tj 0 -1 Td" % i for i in range(count))


def huge_page() -> bytes:
    """One page of 8 MB of text runs (Flate: under 1 MB of PDF). Unbounded, pypdf parses it for tens
    of seconds in calls the time limit cannot interrupt (a 3.5 MB page took 14 s)."""
    return _pdf_with_stream(zlib.compress(b"BT /F1 11 Tf 72 700 Td " + _runs(260_000) + b" ET", 9))


def huge_form() -> bytes:
    """A small page that draws one Form XObject holding 4 MB of text runs."""
    return raw_pdf("/Fm0 Do", forms=[f"BT /F1 11 Tf 72 700 Td {_runs(130_000).decode()} ET"])


PAGE_LIMIT = "bytes of content (the per-page limit)"

# (what, build, the reasons it may be rejected for)
CASES: list[tuple[str, Callable[[], bytes], tuple[str, ...]]] = [
    ("too many pages", lambda: lines_pdf(["Python engineer"], pages=400), ("pages",)),
    ("a page that never ends", endless_page, ("too long",)),
    ("a huge single page", huge_page, (PAGE_LIMIT,)),
    ("a huge form on a small page", huge_form, (PAGE_LIMIT,)),
    # Flate output is capped at the page limit: the bomb stops after 2 MB, not pypdf's 75 MB.
    ("decompression bomb", bomb, (PAGE_LIMIT,)),
]


@pytest.mark.parametrize(("what", "build", "reasons"), CASES, ids=[c[0] for c in CASES])
def test_a_hostile_pdf_is_dead_lettered_with_bounded_memory(
    tmp_path: Path, what: str, build: Callable[[], bytes], reasons: tuple[str, ...]
) -> None:
    content = build()
    event = CandidateSubmittedV1(
        candidate_id="cand-hostile",
        resume_file=ResumeFile(filename="cv.pdf", content_base64=base64.b64encode(content).decode()),
    )
    # A short time budget keeps the lane fast; the limit that stops each case is the point.
    with in_memory_ingest(tmp_path, DocumentLimits(max_seconds=1.0)) as ingest:
        tracemalloc.start()
        try:
            ingest.publish(event, ingest.topics.candidate_submitted, key=b"cand-hostile")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        out = ingest.outputs[ingest.topics.candidate_submitted]
    assert out.indexed == [] and len(out.dead) == 1, what
    headers = out.dead[0][1]
    assert headers[f"{HEADER_PREFIX}error-class"] == "DocumentError"
    assert any(r in headers[f"{HEADER_PREFIX}error-message"] for r in reasons), headers
    print(f"\n{what}: {len(content) / 1024:.0f} KB, dead-lettered, tracemalloc peak {peak / MB:.0f} MB")
    assert peak < CEILING, f"{what}: peak {peak / MB:.0f} MB"


def test_a_huge_page_is_refused_before_it_is_parsed_with_a_clear_reason(tmp_path: Path) -> None:
    content = huge_page()
    event = CandidateSubmittedV1(
        candidate_id="cand-huge",
        resume_file=ResumeFile(filename="cv.pdf", content_base64=base64.b64encode(content).decode()),
    )
    # A time budget far above the bound below: only the content limit can stop it in time.
    with in_memory_ingest(tmp_path, DocumentLimits(max_seconds=120.0)) as ingest:
        started = time.monotonic()
        ingest.publish(event, ingest.topics.candidate_submitted, key=b"cand-huge")
        elapsed = time.monotonic() - started
        out = ingest.outputs[ingest.topics.candidate_submitted]
    assert out.indexed == [] and len(out.dead) == 1
    reason = out.dead[0][1][f"{HEADER_PREFIX}error-message"]
    assert reason == f"PDF page 1 has more than {DocumentLimits().max_page_content_bytes} {PAGE_LIMIT}"
    print(f"\nhuge page ({len(content) / MB:.1f} MB PDF, 8 MB content): dead-lettered in {elapsed:.2f} s")
    assert elapsed < 3.0, f"took {elapsed:.1f} s: parsed before it was refused?"


SAMPLES = sorted((Path(__file__).parents[2] / "services" / "samples" / "candidates").glob("*.pdf"))


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_the_sample_pdfs_read_the_same_under_the_page_limit_and_are_far_below_it(path: Path) -> None:
    content = path.read_bytes()
    unlimited = read_document(path.name, content, DocumentLimits(max_page_content_bytes=10**12))
    assert read_document(path.name, content) == unlimited
    # The limit is really applied to them: a cap of a few hundred bytes refuses each one.
    with pytest.raises(DocumentError) as refused:
        read_document(path.name, content, DocumentLimits(max_page_content_bytes=512))
    assert refused.value.reason == "page_too_large"
    assert read_document(path.name, content, DocumentLimits(max_page_content_bytes=64 * 1024)) == unlimited


def test_the_ingest_settings_set_the_page_limit_of_the_service(tmp_path: Path) -> None:
    """``ROLEFIT_INGEST__MAX_PAGE_CONTENT_BYTES`` reaches the use-case the service runs."""
    page = raw_pdf(f"BT /F1 11 Tf 72 700 Td {_runs(8_000).decode()} ET")  # ~0.2 MB of content
    lowered = Settings(ingest=IngestSettings(max_page_content_bytes=128 * 1024))
    store = open_store(QdrantSettings(path=tmp_path))
    try:
        strict = build_ingest(lowered, store, HashingEmbedder()).limits
        default = build_ingest(Settings(), store, HashingEmbedder()).limits
    finally:
        store.close()
    assert strict.max_page_content_bytes == 128 * 1024
    assert strict.max_bytes == lowered.ingest.max_document_bytes
    assert read_document("cv.pdf", page, default).text
    with pytest.raises(DocumentError) as refused:
        read_document("cv.pdf", page, strict)
    assert refused.value.reason == "page_too_large"
