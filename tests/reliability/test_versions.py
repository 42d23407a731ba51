"""Versions: an older candidate or job never overwrites a newer one; the same version again is an
idempotent re-processing. The guard itself, then end to end on the real broker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from schemas.events import CandidateIndexedV1, CandidateSubmittedV1, JobIndexedV1, JobPostedV1
from schemas.topics import Topics
from services.core.model import JobProfile
from services.ingest.app import build_ingest
from services.ingest.usecases import Ingest
from services.platform.settings import KafkaSettings, QdrantSettings, Settings
from services.platform.store import layout
from services.platform.store.factory import open_store
from services.platform.store.port import VectorStore
from tests.fakes import HashingEmbedder
from tests.reliability.harness import (
    COLLECTIONS,
    eventually,
    fully_committed,
    group,
    publisher,
    read_topic,
    running,
    settings_for,
)
from tests.reliability.samples import JOBS, resume

AT = datetime(2025, 1, 1, tzinfo=UTC)
LONG, SHORT = " ".join([resume(1)] * 60), resume(2)  # many chunks, then one


@pytest.fixture
def ingest(tmp_path: Path) -> Iterator[Ingest]:
    store = open_store(QdrantSettings(path=tmp_path / "store"))
    yield build_ingest(Settings(qdrant=QdrantSettings(path=tmp_path / "store")), store, HashingEmbedder())
    store.close()


def _candidate(version: int, text: str = SHORT) -> CandidateSubmittedV1:
    return CandidateSubmittedV1(candidate_id="cand-v", resume_text=text, version=version)


def _points(store: VectorStore, collection: str, entity_id: str) -> int:
    return store.count(collection, layout.entity(entity_id))


def _stored_version(store: VectorStore, collection: str, kind: layout.Kind, entity_id: str) -> int:
    return int(store.retrieve(collection, [layout.point_id(kind, entity_id)])[0].payload["version"])


def test_an_older_candidate_is_ignored_and_leaves_the_newer_one_whole(ingest: Ingest) -> None:
    newer = ingest.index_candidate(_candidate(2, LONG), AT)
    assert newer is not None and newer.chunks > 1
    points = _points(ingest.store, COLLECTIONS.candidates, "cand-v")
    assert ingest.index_candidate(_candidate(1), AT) is None
    assert _stored_version(ingest.store, COLLECTIONS.candidates, "candidate", "cand-v") == 2
    assert _points(ingest.store, COLLECTIONS.candidates, "cand-v") == points


def test_the_same_version_again_is_reprocessed_idempotently(ingest: Ingest) -> None:
    first = ingest.index_candidate(_candidate(3, LONG), AT)
    points = _points(ingest.store, COLLECTIONS.candidates, "cand-v")
    again = ingest.index_candidate(_candidate(3, LONG), AT)
    assert first is not None and again == first  # same event id, same everything
    assert _points(ingest.store, COLLECTIONS.candidates, "cand-v") == points


def test_a_newer_candidate_replaces_the_older_and_drops_its_extra_chunks(ingest: Ingest) -> None:
    ingest.index_candidate(_candidate(1, LONG), AT)
    newer = ingest.index_candidate(_candidate(2, SHORT), AT)
    assert newer is not None and newer.version == 2
    assert _points(ingest.store, COLLECTIONS.candidates, "cand-v") == 1 + newer.chunks


def test_an_older_job_is_ignored(ingest: Ingest) -> None:
    job = JOBS[0]
    assert ingest.index_job(job.model_copy(update={"version": 4}), AT) is not None
    assert ingest.index_job(job.model_copy(update={"version": 3, "title": "Old title"}), AT) is None
    stored = ingest.store.retrieve(COLLECTIONS.jobs, [layout.point_id("job", job.job_id)])[0].payload
    assert stored["version"] == 4 and layout.read_profile(stored, JobProfile)[0].title == job.title


@pytest.mark.broker
@pytest.mark.timeout(240)
async def test_late_older_versions_never_overwrite_newer_ones_end_to_end(
    kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    settings = settings_for(kafka_settings, tmp_path / "store")
    topics = Topics(kafka_settings.topic_prefix)
    job = JOBS[0]
    async with publisher(settings) as ats:
        for version, text in ((2, SHORT), (1, LONG), (2, SHORT)):  # late old one, then a redelivery
            await ats.publish(_candidate(version, text), topics.candidate_submitted, key=b"cand-v")
        for version in (3, 2):
            await ats.publish(
                JobPostedV1.model_validate({**job.model_dump(), "version": version}),
                topics.job_posted,
                key=job.job_id.encode(),
            )
    store = open_store(settings.qdrant)
    try:
        async with running(settings, store):
            for handler, topic in (("candidate-submitted", topics.candidate_submitted),
                                   ("job-posted", topics.job_posted)):  # fmt: skip
                name = group(settings, handler)
                await eventually(lambda g=name, t=topic: fully_committed(settings, g, t), name)
        assert _stored_version(store, COLLECTIONS.candidates, "candidate", "cand-v") == 2
        assert _points(store, COLLECTIONS.candidates, "cand-v") == 2  # one profile, one chunk
        assert _stored_version(store, COLLECTIONS.jobs, "job", job.job_id) == 3
    finally:
        store.close()
    candidates = [CandidateIndexedV1.model_validate_json(r.value)
                  for r in await read_topic(settings, topics.candidate_indexed)]  # fmt: skip
    assert [e.version for e in candidates] == [2, 2] and len({e.event_id for e in candidates}) == 1
    jobs = [JobIndexedV1.model_validate_json(r.value) for r in await read_topic(settings, topics.job_indexed)]
    assert [e.version for e in jobs] == [3]
