"""Replay on the real broker: every topic again from offset 0, into fresh consumer groups and an
empty store, rebuilds identical points, indexed events and shortlists."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from schemas.events import MatchRequestedV1, ShortlistPublishedV1
from schemas.topics import Topics
from services.platform.settings import KafkaSettings, Settings
from services.platform.store.factory import open_store
from services.platform.store.port import Point, VectorStore
from tests.reliability.harness import (
    COLLECTIONS,
    eventually,
    fully_committed,
    group,
    profiles,
    publisher,
    read_topic,
    running,
    settings_for,
    with_groups,
)
from tests.reliability.samples import JOBS, candidates

pytestmark = [pytest.mark.broker, pytest.mark.timeout(240)]


def _content(store: VectorStore, collection: str) -> list[Point]:
    return sorted(store.scroll(collection, with_vectors=True), key=lambda p: p.id)


async def _ingest_to_the_end(settings: Settings, store: VectorStore, topics: Topics) -> None:
    async with running(settings, store):
        for handler, topic in (("candidate-submitted", topics.candidate_submitted),
                               ("job-posted", topics.job_posted)):  # fmt: skip
            name = group(settings, handler)
            await eventually(lambda g=name, t=topic: fully_committed(settings, g, t), f"{name} at the end")


async def _answers(settings: Settings, topics: Topics) -> list[ShortlistPublishedV1]:
    """Shortlists published in answer to match.requested, oldest first per job."""
    records = await read_topic(settings, topics.shortlist_published)
    found = [ShortlistPublishedV1.model_validate_json(r.value) for r in records]
    return [s for s in found if s.trigger == "match_requested"]


async def _match(settings: Settings, store: VectorStore, topics: Topics, expected: int) -> None:
    async def answered() -> bool:
        return len(await _answers(settings, topics)) == expected

    async with running(settings, store, ingest=False, matcher=True):
        await eventually(answered, f"{expected} match_requested shortlists")


async def test_a_replay_from_offset_zero_rebuilds_identical_points_and_shortlists(
    kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    topics = Topics(kafka_settings.topic_prefix)
    first = settings_for(kafka_settings, tmp_path / "first")
    replay = with_groups(first, "replay").model_copy(
        update={"qdrant": first.qdrant.model_copy(update={"path": tmp_path / "replay"})}
    )
    people = candidates(9)
    async with publisher(first) as ats:
        for person in people:
            await ats.publish(person, topics.candidate_submitted, key=person.candidate_id.encode())
        for job in JOBS:
            await ats.publish(job, topics.job_posted, key=job.job_id.encode())

    original, rebuilt = open_store(first.qdrant), open_store(replay.qdrant)
    try:
        await _ingest_to_the_end(first, original, topics)
        async with publisher(first) as ats:
            for job in JOBS:
                await ats.publish(MatchRequestedV1(job_id=job.job_id), topics.match_requested,
                                  key=job.job_id.encode())  # fmt: skip
        await _match(first, original, topics, len(JOBS))
        # Fresh groups and an empty store read every topic from offset 0 again.
        await _ingest_to_the_end(replay, rebuilt, topics)
        await _match(replay, rebuilt, topics, 2 * len(JOBS))

        assert profiles(original) == len(people)
        for collection in (COLLECTIONS.candidates, COLLECTIONS.jobs, COLLECTIONS.erasures):
            assert _content(original, collection) == _content(rebuilt, collection)
    finally:
        original.close()
        rebuilt.close()

    # Both runs answered the same match.requested records: identical, generated_at included.
    answers = await _answers(first, topics)
    for job in JOBS:
        once, again = [s for s in answers if s.job_id == job.job_id]
        assert again == once and once.candidates
    # Every indexed event was published once per run, byte for byte the same.
    indexed = Counter(r.value for r in await read_topic(first, topics.candidate_indexed))
    assert len(indexed) == len(people) and set(indexed.values()) == {2}
