"""The decision log: every published shortlist is recorded (topic and local file) with its whole
scored pool, before the shortlist goes out; corrections keep both versions; records name no one's
demographics; the decision topic is created compacted."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from hypothesis import given
from hypothesis import strategies as st

import services.platform.kafka as kafka_module
from schemas.events import (
    CandidateSubmittedV1,
    DecisionRecordedV1,
    DemographicsV1,
    JobPostedV1,
    ShortlistPublishedV1,
)
from schemas.topics import Topics, topic_config
from services.core.model import CandidateProfile, JobProfile
from services.core.scoring import JobScorer, Weights, rank, skill_index
from services.ingest.app import attach_ingest, build_ingest
from services.matcher.app import attach_matcher, build_matcher
from services.matcher.decisions import DecisionBook, Scored, to_decision
from services.matcher.usecases import Matcher, to_shortlist
from services.platform.decision_log import DecisionFile, read_file
from services.platform.kafka import create_topics, make_broker
from services.platform.model_fingerprint import folder_sha256, model_sha256
from services.platform.settings import KafkaSettings, ModelSettings, QdrantSettings, RetrySettings, Settings
from services.platform.store.factory import open_store
from tests.fakes import HashingEmbedder
from tests.unit.test_scoring import GRAPH, candidates, cosines, jobs

JOB = JobPostedV1(
    job_id="job-mle",
    title="Machine Learning Engineer",
    description="Train and tune deep learning models. Requirements: Python, PyTorch, SQL.",
    must_have_skills=["Python", "PyTorch", "SQL"],
    top_k=1,  # one shortlisted, the rest considered: the pool must still be recorded
)
V1 = CandidateSubmittedV1(
    candidate_id="cand-a",
    version=1,
    resume_text="Experience\nML Engineer, Acme (2018 - 2024)\nTrained models in Python.",
    demographics=DemographicsV1(sex="Female", race_ethnicity="Two or More Races"),
)
V2 = V1.model_copy(update={"version": 2, "resume_text": f"{V1.resume_text} Tuned PyTorch models; wrote SQL."})
OTHER = CandidateSubmittedV1(
    candidate_id="cand-b", resume_text="Experience\nData analyst (2019 - 2024). Wrote SQL reports in Excel."
)


@dataclass
class Wired:
    broker: KafkaBroker
    topics: Topics
    settings: Settings
    matcher: Matcher
    shortlists: list[ShortlistPublishedV1] = field(default_factory=list)
    decisions: list[tuple[bytes, DecisionRecordedV1]] = field(default_factory=list)
    decision_bodies: list[tuple[bytes, str | None]] = field(default_factory=list)  # with content-type


@pytest.fixture
def wired(tmp_path: Path) -> Iterator[Wired]:
    settings = Settings(
        kafka=KafkaSettings(topic_prefix="t."),
        qdrant=QdrantSettings(path=tmp_path / "store"),
        retry=RetrySettings(attempts=1, initial_wait_s=0, max_wait_s=0),
    )
    store = open_store(settings.qdrant)
    broker = make_broker(settings.kafka)
    attach_ingest(broker, settings, build_ingest(settings, store, HashingEmbedder()))
    matcher = build_matcher(settings, store)
    attach_matcher(broker, settings, matcher)
    topics = Topics(settings.kafka.topic_prefix)
    wired = Wired(broker, topics, settings, matcher)

    @broker.subscriber(topics.shortlist_published, group_id="observer")
    async def shortlist(event: ShortlistPublishedV1) -> None:
        wired.shortlists.append(event)

    @broker.subscriber(topics.decision_recorded, group_id="observer")
    async def decision(event: DecisionRecordedV1, msg: KafkaMessage) -> None:
        wired.decisions.append((getattr(msg.raw_message, "key", b""), event))
        wired.decision_bodies.append((msg.body, msg.content_type))

    yield wired
    store.close()


def _log_path(wired: Wired) -> Path:
    path = wired.settings.audit.decision_log_path(wired.settings.qdrant)
    assert path is not None and path.parent == wired.settings.qdrant.path.parent / "audit"
    return path


def _log(wired: Wired) -> list[DecisionRecordedV1]:
    return read_file(_log_path(wired))


async def _publish(broker: Any, topic: str, *events: Any) -> None:
    for event in events:
        await broker.publish(event, topic, key=b"k")


async def test_every_published_shortlist_is_recorded_with_its_whole_pool(wired: Wired) -> None:
    async with TestKafkaBroker(wired.broker) as broker:
        await _publish(broker, wired.topics.candidate_submitted, V2, OTHER)
        await _publish(broker, wired.topics.job_posted, JOB)

    assert wired.shortlists and len(wired.decisions) == len(wired.shortlists)
    for shortlist, (key, decision) in zip(wired.shortlists, wired.decisions, strict=True):
        assert decision.shortlist_id == shortlist.shortlist_id
        assert key == f"{decision.job_id}:{decision.decision_id}".encode()
        assert {c.candidate_id for c in decision.considered if c.shortlisted} == {
            e.candidate_id for e in shortlist.candidates
        }
    last = wired.decisions[-1][1]
    pool = {c.candidate_id: c for c in last.considered}
    assert set(pool) == {"cand-a", "cand-b"} and last.top_k == 1
    assert pool["cand-a"].shortlisted and pool["cand-a"].rank == 1
    assert not pool["cand-b"].shortlisted and pool["cand-b"].rank is None  # considered, not selected
    assert len(last.model_sha256) == 64 and sum(last.effective_weights.values()) == pytest.approx(1.0)
    assert [d.decision_id for d in _log(wired)] == [d.decision_id for _, d in wired.decisions]
    # The topic gets the log's lines byte for byte, as JSON its consumers decode.
    assert [body for body, _ in wired.decision_bodies] == _log_path(wired).read_bytes().splitlines()
    assert {content_type for _, content_type in wired.decision_bodies} == {"application/json"}


async def test_nothing_is_published_when_the_decision_cannot_be_recorded(
    wired: Wired, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = wired.matcher.decisions.log
    assert log is not None

    def full_disk(record_json: bytes) -> None:
        raise OSError("no space left on device")

    monkeypatch.setattr(log, "append", full_disk)
    async with TestKafkaBroker(wired.broker) as broker:
        await _publish(broker, wired.topics.candidate_submitted, V2)
        with contextlib.suppress(OSError):  # the in-memory broker may hand the failure back
            await _publish(broker, wired.topics.job_posted, JOB)
    assert wired.shortlists == [] and wired.decisions == []


async def test_a_correction_is_rematched_and_the_log_keeps_both_versions(wired: Wired) -> None:
    async with TestKafkaBroker(wired.broker) as broker:
        await _publish(broker, wired.topics.candidate_submitted, V1, OTHER)
        await _publish(broker, wired.topics.job_posted, JOB)
        before = len(wired.shortlists)
        await _publish(broker, wired.topics.candidate_submitted, V2)
        after = len(wired.shortlists)
        await _publish(broker, wired.topics.candidate_submitted, V1)  # a late replay of v1: ignored

    assert after > before and len(wired.shortlists) == after
    update = wired.shortlists[-1]
    assert update.trigger == "candidate_indexed"
    assert (update.candidates[0].candidate_id, update.candidates[0].candidate_version) == ("cand-a", 2)
    entries = [next(c for c in d.considered if c.candidate_id == "cand-a") for d in _log(wired)]
    assert {e.candidate_version for e in entries} == {1, 2}
    v1, v2 = (next(e for e in entries if e.candidate_version == v) for v in (1, 2))
    assert v2.components["must_have"] > v1.components["must_have"] and v2.score > v1.score


async def test_records_carry_no_demographics(wired: Wired) -> None:
    async with TestKafkaBroker(wired.broker) as broker:
        await _publish(broker, wired.topics.candidate_submitted, V2)
        await _publish(broker, wired.topics.job_posted, JOB)
    raw = "\n".join(d.model_dump_json() for _, d in wired.decisions)
    assert raw and "Female" not in raw and "Two or More Races" not in raw


def test_the_decision_topic_is_an_output_and_created_compacted(monkeypatch: pytest.MonkeyPatch) -> None:
    topics = Topics("p.")
    assert (
        topics.decision_recorded == "p.decision.recorded.v1" and topics.decision_recorded in topics.outputs()
    )
    assert topic_config(topics.decision_recorded) == {"cleanup.policy": "compact"}
    assert topic_config(topics.shortlist_published) == {}
    created: list[Any] = []

    class Admin:
        def __init__(self, **_: Any) -> None: ...
        async def start(self) -> None: ...
        async def close(self) -> None: ...
        async def create_topics(self, new: list[Any]) -> Any:
            created.extend(new)
            return type("Response", (), {"topic_errors": [(t.name, 0) for t in new]})()

    monkeypatch.setattr(kafka_module, "AIOKafkaAdminClient", Admin)
    import asyncio

    asyncio.run(create_topics(KafkaSettings(), topics.all()))
    configs = {t.name: t.topic_configs for t in created}
    assert configs[topics.decision_recorded]["cleanup.policy"] == "compact"
    assert "cleanup.policy" not in configs[topics.shortlist_published]


def _record(job_id: str, shortlist_id: str, minute: int) -> tuple[ShortlistPublishedV1, DecisionRecordedV1]:
    at = datetime(2024, 6, 1, 12, minute, tzinfo=UTC)
    shortlist = ShortlistPublishedV1(
        shortlist_id=shortlist_id, job_id=job_id, job_version=0, generated_at=at, trigger="job_indexed",
        model="m", taxonomy_version="1", top_k=1, candidates=[],
    )  # fmt: skip
    record = DecisionRecordedV1(
        decision_id=f"d-{shortlist_id}-{minute}", shortlist_id=shortlist_id, job_id=job_id, job_version=0,
        job_profile_sha256="0", trigger="job_indexed", generated_at=at, model="m", model_sha256="0",
        taxonomy_version="1", top_k=1, weights={}, considered=[],
    )  # fmt: skip
    return shortlist, record


def test_two_computations_of_one_job_each_find_their_own_decision() -> None:
    book = DecisionBook()
    (first, a), (second, b) = _record("j", "s1", 1), _record("j", "s2", 2)
    book.add(a)
    book.add(b)  # computed before the first handler recorded its decision
    assert book.take(second) is b and book.take(first) is a
    with pytest.raises(LookupError):
        book.take(first)  # taken once: a retry computes it again


def test_a_batch_of_decisions_is_written_with_one_fsync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    monkeypatch.setattr("services.platform.decision_log.os.fsync", synced.append)
    book = DecisionBook(log=DecisionFile(tmp_path / "decisions.jsonl"))
    records = [_record("j", f"s{i}", i)[1] for i in range(3)]
    written = book.write(*records)
    assert len(synced) == 1
    lines = (tmp_path / "decisions.jsonl").read_bytes().splitlines()
    assert lines == [body for _, body in written]  # one line each, the bytes the topic gets
    assert read_file(tmp_path / "decisions.jsonl") == records
    assert book.write() == [] and len(synced) == 1  # nothing to write: no fsync


def test_unpublished_decisions_are_bounded_per_job() -> None:
    book = DecisionBook()
    made = [_record("j", f"s{i}", i) for i in range(DecisionBook.PER_JOB + 2)]
    for _, record in made:
        book.add(record)
    with pytest.raises(LookupError):
        book.take(made[0][0])  # the oldest went
    assert book.take(made[-1][0]) is made[-1][1]


def test_the_model_digest_covers_weights_and_tokenizer_but_not_docs(tmp_path: Path) -> None:
    for name, data in (("model.safetensors", b"w" * 10), ("tokenizer.json", b"{}"), ("README.md", b"x")):
        (tmp_path / name).write_bytes(data)
    first = folder_sha256.__wrapped__(tmp_path)
    (tmp_path / "README.md").write_bytes(b"changed docs")
    assert folder_sha256.__wrapped__(tmp_path) == first
    (tmp_path / "tokenizer.json").write_bytes(b'{"changed": 1}')
    assert folder_sha256.__wrapped__(tmp_path) != first
    assert model_sha256(ModelSettings(path=tmp_path / "missing")).startswith("unavailable")


similarities = cosines | st.sampled_from([0, 1])  # a store may return an int


@hypothesis.settings(max_examples=60, deadline=None)
@given(jobs, st.lists(st.tuples(candidates, similarities), max_size=6), st.integers(0, 3))
def test_a_decision_id_is_the_digest_of_the_pool_as_recorded(
    job: JobProfile, pool: list[tuple[CandidateProfile, float]], k: int
) -> None:
    """The id is hashed from the pool before the pool is validated into the record. It must be
    the digest of the record's own candidates as dumped, as ids always were, so that replaying
    one trigger record keeps the decision's id and Kafka key across versions."""
    weights = Weights.for_job(job)
    named = [(c.model_copy(update={"candidate_id": f"c{i}"}), cos) for i, (c, cos) in enumerate(pool)]
    scorer = JobScorer(job, GRAPH, weights)  # the pool rated, the shortlist scored in full: as the matcher
    scored = [Scored(cos, c, scorer.rate(c, cos, skill_index(c, GRAPH))) for c, cos in named]
    shortlist = to_shortlist(job, rank([scorer.score(c, cos) for c, cos in named], k), "match_requested",
                             datetime(2026, 1, 2, tzinfo=UTC), k, "m", "1")  # fmt: skip
    record = to_decision(job, scored, shortlist, weights, "0" * 64)
    identity = [shortlist.shortlist_id, shortlist.trigger, shortlist.generated_at.isoformat(),
                [c.model_dump(mode="json") for c in record.considered]]  # fmt: skip
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
    assert record.decision_id == digest[:32]
    assert DecisionRecordedV1.model_validate_json(record.model_dump_json()) == record
    shortlisted = sorted(c.rank or 0 for c in record.considered if c.shortlisted)
    assert shortlisted == [e.rank for e in shortlist.candidates]
