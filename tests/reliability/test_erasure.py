"""Erasure end to end on the real broker: every point goes, a tombstone follows on
candidate.indexed, the matcher corrects the shortlists the candidate was on, and replaying
every input from offset 0 does not bring them back."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.events import CandidateErasedV1, ShortlistPublishedV1
from schemas.topics import Topics
from services.platform.settings import KafkaSettings, Settings
from services.platform.store import layout
from services.platform.store.factory import open_store
from tests.reliability.harness import (
    COLLECTIONS,
    eventually,
    fully_committed,
    group,
    publisher,
    read_topic,
    running,
    settings_for,
    with_groups,
)
from tests.reliability.samples import JOBS, candidate_id, candidates

pytestmark = [pytest.mark.broker, pytest.mark.timeout(240)]
PEOPLE = 6
ERASED = candidate_id(1)


async def _shortlists(settings: Settings, topics: Topics) -> list[ShortlistPublishedV1]:
    records = await read_topic(settings, topics.shortlist_published)
    return [ShortlistPublishedV1.model_validate_json(r.value) for r in records]


def _latest(shortlists: list[ShortlistPublishedV1], job_id: str) -> ShortlistPublishedV1 | None:
    # One key per job, so one partition: topic order is publication order.
    found = [s for s in shortlists if s.job_id == job_id]
    return found[-1] if found else None


def _names(shortlist: ShortlistPublishedV1 | None) -> set[str]:
    return {c.candidate_id for c in shortlist.candidates} if shortlist else set()


async def test_an_erased_candidate_is_gone_from_store_and_shortlists_and_stays_gone_on_replay(
    kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    settings = settings_for(kafka_settings, tmp_path / "store")
    topics = Topics(kafka_settings.topic_prefix)
    store = open_store(settings.qdrant)
    try:
        async with running(settings, store, matcher=True), publisher(settings) as ats:
            for job in JOBS:
                await ats.publish(job, topics.job_posted, key=job.job_id.encode())
            for person in candidates(PEOPLE):
                await ats.publish(person, topics.candidate_submitted, key=person.candidate_id.encode())

            async def everyone_listed() -> bool:
                found = await _shortlists(settings, topics)
                return all(len(_names(_latest(found, job.job_id))) == PEOPLE for job in JOBS)

            await eventually(everyone_listed, "shortlists with every candidate")
            # Every candidate.indexed handled: from here on only the erasure moves the shortlists.
            matched = group(settings, "candidate-indexed", service="matcher")
            await eventually(lambda: fully_committed(settings, matched, topics.candidate_indexed), matched)
            await ats.publish(CandidateErasedV1(candidate_id=ERASED), topics.candidate_erased,
                              key=ERASED.encode())  # fmt: skip

            async def corrected() -> bool:
                found = await _shortlists(settings, topics)
                latest = [_latest(found, job.job_id) for job in JOBS]
                return all(s is not None and s.trigger == "candidate_erased" for s in latest)

            await eventually(corrected, "corrected shortlists")
        shortlists = await _shortlists(settings, topics)
        remaining = {c.candidate_id for c in candidates(PEOPLE)} - {ERASED}
        for job in JOBS:
            assert _names(_latest(shortlists, job.job_id)) == remaining
        assert store.count(COLLECTIONS.candidates, layout.entity(ERASED)) == 0
        assert store.count(COLLECTIONS.candidates, layout.PROFILES) == PEOPLE - 1
        tombstones = [r for r in await read_topic(settings, topics.candidate_indexed) if r.value is None]
        assert [r.key for r in tombstones] == [ERASED.encode()]

        # Every input again from offset 0, as after a group reset: the old submission is refused.
        replay = with_groups(settings, "replay")
        async with running(replay, store):
            for handler, topic in (("candidate-submitted", topics.candidate_submitted),
                                   ("candidate-erased", topics.candidate_erased)):  # fmt: skip
                name = group(replay, handler)
                await eventually(lambda g=name, t=topic: fully_committed(replay, g, t), name)
        assert store.count(COLLECTIONS.candidates, layout.entity(ERASED)) == 0
        assert store.count(COLLECTIONS.candidates, layout.PROFILES) == PEOPLE - 1
    finally:
        store.close()
