"""Poison on the real broker: each kind is dead-lettered exactly once with provenance, its offset
is committed and the records behind it flow; ``rolefit dlq replay`` brings a fixed one back."""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from schemas.events import CandidateIndexedV1, CandidateSubmittedV1
from schemas.topics import Topics, dead_letter_topic
from services.cli import app
from services.dlq import REPLAYED_FROM, replay, replay_group
from services.platform.dead_letters import HEADER_PREFIX
from services.platform.settings import KafkaSettings, Settings
from services.platform.store import layout
from services.platform.store.factory import open_store
from tests.reliability.harness import (
    COLLECTIONS,
    INGEST_MODES,
    committed,
    end_offsets,
    eventually,
    fully_committed,
    group,
    publisher,
    read_topic,
    running,
    settings_for,
)
from tests.reliability.samples import PII_MARKERS, PII_RESUME, resume

pytestmark = [pytest.mark.broker, pytest.mark.timeout(240)]

KEY = b"cand-p"
LIMIT = 2048


def _file(filename: str, content: bytes) -> dict[str, str]:
    return {"filename": filename, "content_base64": base64.b64encode(content).decode()}


PNG = _file("cv.png", b"\x89PNG\r\n\x1a\n" + bytes(64))
# Undecodable bytes: the batch handler parses JSON itself (JSONDecodeError); the per-record one
# gets the bytes through FastStream, and the model refuses them (ValidationError).
POISON: list[tuple[str, bytes, tuple[str, ...]]] = [
    ("undecodable bytes", b"\xff\xfe\x00 not json, not UTF-8 \xc3\x28",
     ("JSONDecodeError", "ValidationError")),
    ("schema-invalid JSON",
     json.dumps({"candidate_id": "cand-p", "version": "x", "resume_text": PII_RESUME}).encode(),
     ("ValidationError",)),
    ("unsupported file",
     json.dumps({"candidate_id": "cand-p", "resume_file": PNG}).encode(),
     ("DocumentError",)),
    ("corrupt PDF",
     json.dumps({"candidate_id": "cand-p", "resume_file": _file("cv.pdf", b"%PDF-1.4\n%garbage\n")}).encode(),
     ("DocumentError",)),
    ("over the size limit",
     CandidateSubmittedV1(candidate_id="cand-p", version=5, resume_text=resume(1) + " filler" * LIMIT)
     .model_dump_json().encode(),
     ("DocumentError",)),
]  # fmt: skip
GOOD = CandidateSubmittedV1(candidate_id="cand-p", resume_text=resume(2))


def _limited(kafka: KafkaSettings, store: Path, limit: int, batch: int) -> Settings:
    settings = settings_for(kafka, store, batch)
    ingest = settings.ingest.model_copy(update={"max_document_bytes": limit})
    return settings.model_copy(update={"ingest": ingest})


async def _indexed(settings: Settings, topic: str) -> list[CandidateIndexedV1]:
    return [CandidateIndexedV1.model_validate_json(r.value) for r in await read_topic(settings, topic)]


@pytest.mark.parametrize("batch", INGEST_MODES)
async def test_every_kind_of_poison_is_dead_lettered_once_and_a_fixed_one_replays_into_the_index(
    kafka_settings: KafkaSettings, tmp_path: Path, batch: int
) -> None:
    settings = _limited(kafka_settings, tmp_path / "store", LIMIT, batch)
    topics = Topics(kafka_settings.topic_prefix)
    source, dlq = topics.candidate_submitted, dead_letter_topic(topics.candidate_submitted)
    submitted = group(settings, "candidate-submitted")
    store = open_store(settings.qdrant)
    try:
        async with publisher(settings) as ats:
            for _, body, _ in POISON:  # one key, so one partition: the good record queues behind
                await ats.publish(body, source, key=KEY)
            await ats.publish(GOOD, source, key=KEY)
        async with running(settings, store):
            await eventually(lambda: fully_committed(settings, submitted, source), "poison committed")

        letters = await read_topic(settings, dlq)
        assert len(letters) == len(POISON)  # exactly once each: no redelivery loop
        for letter, (what, body, error_class) in zip(letters, POISON, strict=True):
            headers = {k: v.decode() for k, v in letter.headers}
            assert letter.value == body and letter.key == KEY, what
            assert headers[f"{HEADER_PREFIX}original-topic"] == source
            assert headers[f"{HEADER_PREFIX}original-offset"] == str(POISON.index((what, body, error_class)))
            assert headers[f"{HEADER_PREFIX}error-class"] in error_class, what
            reason = headers[f"{HEADER_PREFIX}error-message"]
            assert reason and not any(marker in reason for marker in PII_MARKERS), what
        assert [e.version for e in await _indexed(settings, topics.candidate_indexed)] == [0]

        # An operator looks first (nothing moves), then raises the limit and replays the big one.
        runner = CliRunner()
        env = {"ROLEFIT_KAFKA__BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
               "ROLEFIT_KAFKA__ENABLE_IDEMPOTENCE": "false", "COLUMNS": "200"}  # fmt: skip
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            shown = await asyncio.to_thread(
                runner.invoke, app, ["dlq", "replay", "--topic", source, "--dry-run"], env=env
            )
            gc.collect()
        assert shown.exit_code == 0, shown.output
        # A dry run leaves no client behind: aiokafka warns when one is collected unclosed.
        assert not [w for w in caught if "Unclosed" in str(w.message)]
        assert f"would replay {len(POISON)} dead letters" in shown.output
        assert not any(marker in shown.output for marker in PII_MARKERS)
        before = sum((await end_offsets(settings, source)).values())
        assert before == len(POISON) + 1  # nothing re-published
        assert await committed(settings, replay_group(source), dlq) == {}  # nor committed

        fixed = _limited(kafka_settings, tmp_path / "store", 1024 * 1024, batch)
        big = letters[-1]
        report = await replay(fixed.kafka, source, since_offset=big.offset)
        assert [(x.partition, x.offset) for x in report.letters] == [(big.partition, big.offset)]
        assert sum((await end_offsets(settings, source)).values()) == before + 1
        copy = (await read_topic(settings, source))[-1]
        assert copy.value == big.value and dict(copy.headers)[REPLAYED_FROM] == str(big.offset).encode()

        async with running(fixed, store):
            await eventually(lambda: fully_committed(fixed, submitted, source), "replayed record committed")
        assert [e.version for e in await _indexed(settings, topics.candidate_indexed)] == [0, 5]
        stored = store.retrieve(COLLECTIONS.candidates, [layout.point_id("candidate", "cand-p")])
        assert stored[0].payload["version"] == 5
        # Committed as it went: a second replay finds nothing new.
        assert (await replay(fixed.kafka, source)).letters == []
    finally:
        store.close()
