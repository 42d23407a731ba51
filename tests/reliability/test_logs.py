"""Résumé text and personal data never reach a log line or a dead-letter header: a worker logging
as in production (JSON, every library routed through it, at DEBUG) handles PII-laden poison, a
transient failure and a success on the real broker."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
import structlog

from schemas.events import CandidateSubmittedV1, ResumeFile
from schemas.topics import Topics, dead_letter_topic
from services.ingest.app import attach_ingest, build_ingest
from services.platform.http import observed_broker
from services.platform.logs import ROUTED_LOGGERS, configure_logging
from services.platform.settings import KafkaSettings
from services.platform.store.factory import open_store
from services.platform.store.port import VectorStore
from tests.fakes import HashingEmbedder
from tests.reliability.harness import (
    eventually,
    fully_committed,
    group,
    profiles,
    publisher,
    read_topic,
    settings_for,
)
from tests.reliability.samples import PII_MARKERS, PII_RESUME
from tests.reliability.stores import FlakyStore

pytestmark = [pytest.mark.broker, pytest.mark.timeout(180)]


@pytest.fixture
def production_logging() -> Iterator[io.StringIO]:
    """Logging exactly as ``rolefit run`` sets it up, its one handler writing into a buffer."""
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in ROUTED_LOGGERS)]
    saved = [(lg.handlers[:], lg.level, lg.propagate) for lg in loggers]
    configure_logging("DEBUG")
    buffer = io.StringIO()
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    yield buffer
    for lg, (handlers, level, propagate) in zip(loggers, saved, strict=True):
        lg.handlers, lg.propagate = handlers, propagate
        lg.setLevel(level)
    structlog.reset_defaults()


async def test_no_personal_data_in_logs_or_dead_letter_headers(
    kafka_settings: KafkaSettings, tmp_path: Path, production_logging: io.StringIO
) -> None:
    settings = settings_for(kafka_settings, tmp_path / "store")
    settings = settings.model_copy(
        update={"ingest": settings.ingest.model_copy(update={"max_document_bytes": 2048})}
    )
    topics = Topics(kafka_settings.topic_prefix)
    pdf = ResumeFile(
        filename=f"{PII_MARKERS[1]}.pdf", content_base64=base64.b64encode(b"%PDF-1.4 x").decode()
    )
    inputs: list[object] = [
        {"candidate_id": "cand-1", "resume_text": PII_RESUME, "version": "not a number"},  # schema-invalid
        CandidateSubmittedV1(candidate_id="cand-2", resume_file=pdf),  # corrupt, PII in the file name
        CandidateSubmittedV1(candidate_id="cand-3", resume_text=PII_RESUME * 40),  # over the limit
        CandidateSubmittedV1(candidate_id="cand-4", resume_text=PII_RESUME),  # fails, then indexed
        CandidateSubmittedV1(candidate_id="cand-5", resume_text=PII_RESUME),
    ]
    real = open_store(settings.qdrant)
    flaky = FlakyStore(real)
    broker = observed_broker(settings.kafka, "ingest")
    attach_ingest(broker, settings, build_ingest(settings, cast(VectorStore, flaky), HashingEmbedder()))
    try:
        async with broker, publisher(settings) as ats:
            await broker.start()
            flaky.down.set()  # until a delivery has exhausted its retries: a logged traceback
            for item in inputs:
                await ats.publish(item, topics.candidate_submitted, key=b"one-partition")
            # The log line itself: a batch calls the store more than once per attempt, so a count of
            # failed calls could pass before the retries ran out (seen in a run under xdist).
            await eventually(lambda: "rewinding" in production_logging.getvalue(), "a rewind")
            flaky.down.clear()
            name, source = group(settings, "candidate-submitted"), topics.candidate_submitted
            await eventually(lambda: fully_committed(settings, name, source), "all handled")
        assert profiles(real) == 2
    finally:
        real.close()

    logged = production_logging.getvalue()
    lines = [json.loads(line) for line in logged.splitlines() if line.startswith("{")]
    events = " ".join(str(line.get("event")) for line in lines)
    assert "dead-lettered" in events and "rewinding" in events  # the logs we inspect were written
    assert any("exception" in line for line in lines)
    assert not [marker for marker in PII_MARKERS if marker in logged]

    letters = await read_topic(settings, dead_letter_topic(topics.candidate_submitted))
    assert len(letters) == 3
    headers = json.dumps([{k: v.decode() for k, v in letter.headers} for letter in letters])
    assert not [marker for marker in PII_MARKERS if marker in headers]
