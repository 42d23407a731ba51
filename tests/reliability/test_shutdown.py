"""Graceful shutdown of a worker process (SIGTERM) on the real broker: the work in flight
finishes, its offsets are committed, the process exits within ``graceful_timeout_s``, and a
restart redelivers nothing."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

import pytest

from schemas.events import CandidateIndexedV1
from schemas.topics import Topics
from services.platform.settings import KafkaSettings, Settings
from services.platform.store import layout
from services.platform.store.factory import open_store
from tests.reliability.harness import (
    COLLECTIONS,
    committed,
    end_offsets,
    eventually,
    fully_committed,
    group,
    publisher,
    read_topic,
    settings_for,
)
from tests.reliability.processes import worker
from tests.reliability.samples import candidates

pytestmark = [pytest.mark.broker, pytest.mark.timeout(240)]
COUNT = 40
GRACEFUL_S = 10.0
# Slow enough that a SIGTERM lands inside a batch: four records per batch, 0.4 s per model call.
SLOW = {"ROLEFIT_TEST_EMBED_DELAY_S": "0.4"}


async def _published(settings: Settings, topic: str) -> int:
    return sum((await end_offsets(settings, topic)).values())


async def test_sigterm_finishes_the_work_in_flight_commits_it_and_a_restart_redelivers_nothing(
    kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    kafka = kafka_settings.model_copy(update={"graceful_timeout_s": GRACEFUL_S})
    settings = settings_for(kafka, tmp_path / "store", batch=4)
    topics = Topics(kafka.topic_prefix)
    source, submitted = topics.candidate_submitted, group(settings, "candidate-submitted")
    async with publisher(settings) as ats:
        for person in candidates(COUNT):
            await ats.publish(person, source, key=person.candidate_id.encode())

    journal = tmp_path / "journal"
    journal.touch()
    with worker(settings, tmp_path / "worker.log", ROLEFIT_TEST_JOURNAL=str(journal), **SLOW) as first:

        async def mid_record() -> bool:
            began = len(journal.read_text().splitlines())
            return began > await _published(settings, topics.candidate_indexed) >= 8

        await eventually(mid_record, "a worker part-way through the stream, with a batch in flight")
        first.send(signal.SIGTERM)
        assert await first.exit_code(within_s=GRACEFUL_S) == 0

    began = len(journal.read_text().splitlines())
    indexed = await _published(settings, topics.candidate_indexed)
    done = sum((await committed(settings, submitted, source)).values())
    store = open_store(settings.qdrant)
    try:
        stored = store.count(COLLECTIONS.candidates, layout.PROFILES)
    finally:
        store.close()
    # Everything that began was finished: written, published and committed, nothing half-done.
    assert began == indexed == done == stored and done < COUNT, (began, indexed, done, stored)
    print(f"\nSIGTERM with a batch in flight: {began} begun = {indexed} published = {done} committed")

    with worker(settings, tmp_path / "worker.log") as second:
        await eventually(lambda: fully_committed(settings, submitted, source), "the rest of the stream")
        second.send(signal.SIGTERM)
        assert await second.exit_code(within_s=GRACEFUL_S) == 0
    records = await read_topic(settings, topics.candidate_indexed)
    per_candidate = Counter(CandidateIndexedV1.model_validate_json(r.value).candidate_id for r in records)
    assert len(per_candidate) == COUNT and set(per_candidate.values()) == {1}  # nothing redelivered
