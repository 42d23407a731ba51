"""Metrics recorded by the real handler paths (TestKafkaBroker, fake embedder), and logs
that never carry personal data."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
import structlog
from faststream.kafka import KafkaBroker, TestKafkaBroker

from schemas.events import CandidateSubmittedV1, JobPostedV1, ResumeFile
from schemas.topics import Topics
from services.ingest.app import attach_ingest, build_ingest
from services.matcher.app import attach_matcher, build_matcher
from services.platform.dead_letters import dead_letter_middleware
from services.platform.http import observed_broker
from services.platform.logs import REDACTED, ROUTED_LOGGERS, configure_logging, redact, scrub
from services.platform.observability import REGISTRY, document_kind
from services.platform.settings import KafkaSettings, QdrantSettings, Settings
from services.platform.store.factory import open_store
from services.platform.store.port import Point, VectorStore
from tests.fakes import HashingEmbedder
from tests.unit.document_factory import lines_pdf

RESUME = (
    "Experience\nMachine Learning Engineer, Acme (2018 - 2024)\n"
    "Trained PyTorch deep learning models in Python; wrote SQL; unit testing with pytest; Git."
)
JOB = JobPostedV1(job_id="job-obs", title="ML Engineer", description="Requirements: Python, PyTorch, SQL.")


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class FlakyStore:
    """The real store, except that the next ``failures`` upserts fail as a network blip would."""

    def __init__(self, inner: VectorStore) -> None:
        self._inner = inner
        self.failures = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def upsert(self, collection: str, points: list[Point]) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("store unreachable")
        self._inner.upsert(collection, points)


@dataclass
class Wired:
    broker: KafkaBroker
    topics: Topics
    store: FlakyStore


@pytest.fixture
def wired(tmp_path: Path) -> Iterator[Wired]:
    settings = Settings(
        kafka=KafkaSettings(topic_prefix="obs."), qdrant=QdrantSettings(path=tmp_path / "store")
    )
    real = open_store(settings.qdrant)
    store = FlakyStore(real)
    broker = observed_broker(settings.kafka, "obs-test")
    attach_ingest(broker, settings, build_ingest(settings, cast(VectorStore, store), HashingEmbedder()))
    attach_matcher(broker, settings, build_matcher(settings, cast(VectorStore, store)))
    yield Wired(broker, Topics(settings.kafka.topic_prefix), store)
    real.close()


async def test_ingest_and_matcher_record_documents_embeddings_dead_letters_and_latency(wired: Wired) -> None:
    submitted = wired.topics.candidate_submitted
    pdf_bytes = lines_pdf(RESUME.splitlines())
    pdf = ResumeFile(filename="cv.PDF", content_base64=base64.b64encode(pdf_bytes).decode())
    corrupt = {"filename": "x.pdf", "content_base64": "JVBERi0xLjQKJeLjz9M="}
    names = [
        ("rolefit_documents_ingested_total", {"entity": "candidate", "kind": "text", "outcome": "indexed"}),
        ("rolefit_documents_ingested_total", {"entity": "candidate", "kind": "pdf", "outcome": "indexed"}),
        ("rolefit_documents_ingested_total", {"entity": "candidate", "kind": "pdf", "outcome": "rejected"}),
        ("rolefit_documents_ingested_total", {"entity": "job", "kind": "text", "outcome": "indexed"}),
        ("rolefit_dead_letters_total", {"topic": submitted, "error_class": "DocumentError"}),
        ("rolefit_embedding_seconds_count", {}),
        ("rolefit_document_chunks_count", {}),
        ("rolefit_shortlist_latency_seconds_count", {"trigger": "job_indexed"}),
        ("faststream_received_messages_total", {"app_name": "rolefit-obs-test", "broker": "kafka",
                                                "handler": submitted}),
    ]  # fmt: skip
    before = [value(name, **labels) for name, labels in names]

    async with TestKafkaBroker(wired.broker) as broker:
        await broker.publish(CandidateSubmittedV1(candidate_id="c-text", resume_text=RESUME), submitted)
        await broker.publish(CandidateSubmittedV1(candidate_id="c-pdf", resume_file=pdf), submitted)
        await broker.publish({"candidate_id": "c-bad", "resume_file": corrupt}, submitted)
        await broker.publish(JOB, wired.topics.job_posted)

    deltas = [value(name, **labels) - was for (name, labels), was in zip(names, before, strict=True)]
    assert deltas == [1, 1, 1, 1, 1, 3, 3, 1, 3]
    assert value("rolefit_shortlist_latency_seconds_sum", trigger="job_indexed") >= 0


async def test_a_transient_failure_counts_a_retry_and_the_document_once(wired: Wired) -> None:
    labels = {"entity": "candidate", "kind": "text", "outcome": "indexed"}
    retry = {"topic": wired.topics.candidate_submitted, "error_class": "ConnectionError"}
    indexed = value("rolefit_documents_ingested_total", **labels)
    retries = value("rolefit_retries_total", **retry)
    wired.store.failures = 1

    async with TestKafkaBroker(wired.broker) as broker:
        await broker.publish(
            CandidateSubmittedV1(candidate_id="c-flaky", resume_text=RESUME), wired.topics.candidate_submitted
        )

    assert wired.store.failures == 0
    assert value("rolefit_retries_total", **retry) - retries == 1
    assert value("rolefit_documents_ingested_total", **labels) - indexed == 1


async def test_exhausted_retries_are_counted() -> None:
    broker = KafkaBroker()
    broker.add_middleware(dead_letter_middleware(broker.publish, attempts=2, max_wait_s=0.01))

    @broker.subscriber("obs.always-down", group_id="g")
    async def handler(body: dict[str, str]) -> None:
        raise TimeoutError("down")

    retries = value("rolefit_retries_total", topic="obs.always-down", error_class="TimeoutError")
    exhausted = value("rolefit_retries_exhausted_total", topic="obs.always-down")
    async with TestKafkaBroker(broker) as test:
        await test.publish({"k": "v"}, "obs.always-down")
    assert value("rolefit_retries_total", topic="obs.always-down", error_class="TimeoutError") - retries == 1
    assert value("rolefit_retries_exhausted_total", topic="obs.always-down") - exhausted == 1


@pytest.mark.parametrize(
    ("filename", "kind"),
    [(None, "text"), ("cv.pdf", "pdf"), ("CV.DOCX", "docx"), ("cv.txt", "text"), ("cv", "text"),
     ("photo.png", "other"), ("jane.doe@example.com.pdf", "pdf")],
)  # fmt: skip
def test_document_kind_is_a_bounded_label(filename: str | None, kind: str) -> None:
    assert document_kind(filename) == kind


# --- logs ---------------------------------------------------------------------------------


def test_redaction_drops_personal_keys_at_any_depth() -> None:
    event = {
        "event": "indexing",
        "resume_text": "Jane Roe, ML engineer",
        "Email": "jane@example.com",
        "payload": {"candidate_id": "c-1", "resume_file": {"filename": "cv.pdf", "content_base64": "JVBE"}},
        "contacts": [{"phone": "+44 20 7946 0958", "name": "Jane Roe"}],
        "message_id": "12-1795701667859",
        "_record": object(),
    }
    out = redact(None, "info", dict(event))
    assert out["resume_text"] == out["Email"] == REDACTED
    assert out["payload"] == {"candidate_id": "c-1", "resume_file": REDACTED}
    assert out["contacts"] == [{"phone": REDACTED, "name": REDACTED}]
    assert out["message_id"] == "12-1795701667859"  # structural, kept to find the record
    assert "Jane" not in json.dumps({k: v for k, v in out.items() if k != "_record"})


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("sent to jane.roe+cv@mail.example.co.uk today", "jane.roe"),
        ("call +44 20 7946 0958 after 5", "7946"),
        ("US (555) 123-4567 or 555-123-4567", "123-4567"),
        ("mobile 07700900123", "07700900123"),
    ],
)
def test_messages_lose_email_addresses_and_phone_numbers(text: str, gone: str) -> None:
    assert gone not in scrub(text)


@pytest.mark.parametrize(
    "text",
    [
        "dead-lettered rolefit.candidate.submitted.v1[4]@123456789: ValidationError",
        "candidate cand-123456789 version 12",
        "at 2024-05-01 12:00:00,123",
        "connect to 192.168.100.200:9092 failed",
        "took 12.5 ms for 3 chunks",
    ],
)
def test_operational_numbers_survive(text: str) -> None:
    assert scrub(text) == text


@pytest.fixture
def restore_logging() -> Iterator[None]:
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in ROUTED_LOGGERS)]
    saved = [(lg.handlers[:], lg.level, lg.propagate) for lg in loggers]
    yield
    for lg, (handlers, level, propagate) in zip(loggers, saved, strict=True):
        lg.handlers, lg.propagate = handlers, propagate
        lg.setLevel(level)
    structlog.reset_defaults()


def test_every_logger_writes_redacted_json(restore_logging: None, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO")
    logging.getLogger("faststream").info("connected for jane@example.com")
    try:
        raise ValueError("bad résumé from +44 20 7946 0958")
    except ValueError:
        logging.getLogger("aiokafka").exception("failed")
    structlog.get_logger("rolefit.test").info("indexed", email="jane@example.com", candidate_id="c-1")

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["logger"] for line in lines] == ["faststream", "aiokafka", "rolefit.test"]
    assert lines[0]["event"] == "connected for [email]"
    assert "ValueError" in lines[1]["exception"] and "[phone]" in lines[1]["exception"]
    assert lines[2]["email"] == REDACTED and lines[2]["candidate_id"] == "c-1"
    text = json.dumps(lines)
    assert "jane@" not in text and "7946" not in text
