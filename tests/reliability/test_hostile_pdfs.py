"""Hostile PDFs through the ingest handler (in-memory broker): too many pages, a page whose
content never ends, and a decompression bomb are dead-lettered, and memory stays bounded.

Bounds, not timings: each case must end as a dead letter (the reader's page, time and size
limits decide when), and tracemalloc's peak must stay below a generous ceiling that the
unbounded behaviour would break (the bomb inflates to 400 MB; the ceiling is 250 MB).
"""

from __future__ import annotations

import base64
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from schemas.events import CandidateSubmittedV1, ResumeFile
from services.core.documents import DocumentLimits
from services.platform.dead_letters import HEADER_PREFIX
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


# (what, build, the reasons it may be rejected for)
CASES: list[tuple[str, Callable[[], bytes], tuple[str, ...]]] = [
    ("too many pages", lambda: lines_pdf(["Python engineer"], pages=400), ("pages",)),
    ("a page that never ends", endless_page, ("too long",)),
    ("decompression bomb", bomb, ("could not be parsed", "too long")),
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
