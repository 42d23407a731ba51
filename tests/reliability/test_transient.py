"""Transient store failures on the real broker: bounded retries with backoff, never a dead letter,
never a commit past the last durable write, and a full catch-up once the store is back."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import cast

import pytest

from schemas.events import CandidateIndexedV1
from schemas.topics import Topics, dead_letter_topic
from services.platform.observability import REGISTRY
from services.platform.settings import KafkaSettings, Settings
from services.platform.store.factory import open_store
from services.platform.store.port import VectorStore
from tests.reliability.harness import (
    FAST_RETRY,
    INGEST_MODES,
    committed,
    eventually,
    fully_committed,
    group,
    profiles,
    publisher,
    read_topic,
    running,
    settings_for,
)
from tests.reliability.samples import candidates
from tests.reliability.stores import FlakyStore

pytestmark = [pytest.mark.broker, pytest.mark.timeout(240)]


async def _publish(settings: Settings, topics: Topics, count: int, start: int = 0) -> None:
    async with publisher(settings) as ats:
        for person in candidates(count, start=start):
            await ats.publish(person, topics.candidate_submitted, key=person.candidate_id.encode())


def _rewinds(topic: str) -> float:
    """Deliveries whose retries ran out and were rewound (``nack``), per the service's metric."""
    return REGISTRY.get_sample_value("rolefit_retries_exhausted_total", {"topic": topic}) or 0.0


async def _indexed_ids(settings: Settings, topics: Topics) -> Counter[str]:
    records = await read_topic(settings, topics.candidate_indexed)
    return Counter(CandidateIndexedV1.model_validate_json(r.value).candidate_id for r in records)


@pytest.mark.parametrize("batch", INGEST_MODES)
async def test_store_failures_are_retried_rewound_never_committed_past_and_caught_up(
    kafka_settings: KafkaSettings, tmp_path: Path, batch: int
) -> None:
    settings = settings_for(kafka_settings, tmp_path / "store", batch)
    topics = Topics(kafka_settings.topic_prefix)
    source, submitted = topics.candidate_submitted, group(settings, "candidate-submitted")
    real = open_store(settings.qdrant)
    flaky = FlakyStore(real)
    first, during = 9, 15
    try:
        async with running(settings, cast(VectorStore, flaky)):
            # A blip: more failures than one delivery's attempts, so the record is rewound and
            # fetched again, then it works.
            flaky.fail_next = FAST_RETRY.attempts + 2
            await _publish(settings, topics, 1)
            await eventually(lambda: fully_committed(settings, submitted, source), "past the blip")
            assert flaky.failures == FAST_RETRY.attempts + 2 and _rewinds(source) == 1
            await _publish(settings, topics, first - 1, start=1)
            await eventually(lambda: fully_committed(settings, submitted, source), "warm")
            assert profiles(real) == first
            durable = await committed(settings, submitted, source)

            # An outage: every partition goes through rounds of retries and rewinds.
            flaky.down.set()
            await _publish(settings, topics, during, start=first)
            await eventually(lambda: _rewinds(source) >= 4, "rounds of retries and rewinds")
            assert await committed(settings, submitted, source) == durable
            assert profiles(real) == first
            assert sum((await _indexed_ids(settings, topics)).values()) == first

            rewinds = _rewinds(source)
            flaky.down.clear()
            await eventually(lambda: fully_committed(settings, submitted, source), "catch-up")
            print(f"\n[{batch=}] outage: {flaky.failures} failed store calls, {rewinds:.0f} rewinds, "
                  f"{during} records behind it caught up")  # fmt: skip
        assert profiles(real) == first + during
    finally:
        real.close()
    indexed = await _indexed_ids(settings, topics)
    assert len(indexed) == first + during and set(indexed.values()) == {1}  # none lost, none twice
    assert await read_topic(settings, dead_letter_topic(source)) == []
