"""Handlers wired exactly as in production, on FastStream's in-memory TestKafkaBroker.

Fast checks of decode → use-case → publish; offsets, acks and rebalances are proven
against the real broker in tests/integration.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from schemas.events import (
    CandidateIndexedV1,
    CandidateSubmittedV1,
    JobClosedV1,
    JobPostedV1,
    MatchRequestedV1,
    ShortlistPublishedV1,
)
from schemas.topics import Topics, dead_letter_topic
from services.ingest.app import attach_ingest, build_ingest
from services.matcher.app import attach_matcher, build_matcher
from services.platform.dead_letters import HEADER_PREFIX
from services.platform.kafka import make_broker
from services.platform.settings import KafkaSettings, QdrantSettings, Settings
from services.platform.store.factory import open_store
from services.platform.store.layout import point_id
from services.platform.store.port import VectorStore
from tests.fakes import HashingEmbedder

ML_JOB = JobPostedV1(
    job_id="job-mle",
    title="Machine Learning Engineer",
    description=(
        "Requirements: 3+ years building models with Python and PyTorch, SQL, Git and unit testing. "
        "You will train, tune and evaluate deep learning models. Nice to have: AWS SageMaker."
    ),
)
STRONG = CandidateSubmittedV1(
    candidate_id="cand-strong",
    resume_text=(
        "Experience\nMachine Learning Engineer, Acme (2018 - 2024)\n"
        "Trained and tuned PyTorch deep learning models in Python; wrote SQL;\n"
        "unit testing with pytest; Git.\n"
        "Skills: Python, PyTorch, SQL, Git, AWS SageMaker"
    ),
)
WEAK = CandidateSubmittedV1(
    candidate_id="cand-weak",
    resume_text=(
        "Experience\nSales manager (2015 - 2024). Grew accounts, negotiated contracts.\n"
        "Skills: Excel, negotiation"
    ),
)


@dataclass
class Wired:
    broker: KafkaBroker
    topics: Topics
    store: VectorStore
    shortlists: list[ShortlistPublishedV1]
    indexed: list[CandidateIndexedV1]
    dead: list[tuple[bytes, dict[str, Any]]]


@pytest.fixture
def wired(tmp_path: Path) -> Iterator[Wired]:
    settings = Settings(
        kafka=KafkaSettings(topic_prefix="t."), qdrant=QdrantSettings(path=tmp_path / "store")
    )
    store = open_store(settings.qdrant)
    broker = make_broker(settings.kafka)
    attach_ingest(broker, settings, build_ingest(settings, store, HashingEmbedder()))
    attach_matcher(broker, settings, build_matcher(settings, store))
    topics = Topics(settings.kafka.topic_prefix)
    wired = Wired(broker, topics, store, [], [], [])

    @broker.subscriber(topics.shortlist_published, group_id="observer")
    async def shortlist(event: ShortlistPublishedV1) -> None:
        wired.shortlists.append(event)

    @broker.subscriber(topics.candidate_indexed, group_id="observer")
    async def indexed(event: CandidateIndexedV1) -> None:
        wired.indexed.append(event)

    @broker.subscriber(dead_letter_topic(topics.candidate_submitted), group_id="observer")
    async def dead(message: KafkaMessage) -> None:
        wired.dead.append((message.body, dict(message.headers)))

    yield wired
    store.close()


async def test_candidates_then_job_produce_a_ranked_shortlist(wired: Wired) -> None:
    async with TestKafkaBroker(wired.broker) as broker:
        for candidate in (WEAK, STRONG):
            await broker.publish(
                candidate, wired.topics.candidate_submitted, key=candidate.candidate_id.encode()
            )
        await broker.publish(ML_JOB, wired.topics.job_posted, key=b"job-mle")

    assert [e.candidate_id for e in wired.indexed] == ["cand-weak", "cand-strong"]
    shortlist = wired.shortlists[-1]
    assert shortlist.job_id == "job-mle" and shortlist.trigger == "job_indexed"
    assert shortlist.candidates[0].candidate_id == "cand-strong"
    top = shortlist.candidates[0]
    assert top.rank == 1 and top.reason and "pytorch" in {m.skill.lower() for m in top.matched_must_have}


async def test_a_candidate_arriving_later_updates_the_shortlist(wired: Wired) -> None:
    async with TestKafkaBroker(wired.broker) as broker:
        await broker.publish(WEAK, wired.topics.candidate_submitted)
        await broker.publish(ML_JOB, wired.topics.job_posted)
        before = len(wired.shortlists)
        await broker.publish(STRONG, wired.topics.candidate_submitted)

    updates = wired.shortlists[before:]
    assert updates and updates[-1].trigger == "candidate_indexed"
    assert updates[-1].candidates[0].candidate_id == "cand-strong"


async def test_match_request_for_unknown_job_publishes_nothing(wired: Wired) -> None:
    async with TestKafkaBroker(wired.broker) as broker:
        await broker.publish(MatchRequestedV1(job_id="nope"), wired.topics.match_requested)
    assert wired.shortlists == []


@pytest.mark.parametrize(
    ("body", "error_class"),
    [
        # FastStream hands undecodable bytes through as bytes; the model then refuses them.
        (b"\xff\xfe not json", "ValidationError"),
        (b'{"candidate_id": "c1"}', "ValidationError"),
        (
            b'{"candidate_id": "c1", "resume_file": {"filename": "x.pdf", '
            b'"content_base64": "JVBERi0xLjQKJeLjz9M="}}',
            "DocumentError",
        ),
    ],
)
async def test_poison_goes_to_the_dead_letter_topic_with_provenance(
    wired: Wired, body: bytes, error_class: str
) -> None:
    async with TestKafkaBroker(wired.broker) as broker:
        await broker.publish(body, wired.topics.candidate_submitted, key=b"c1")
        await broker.publish(STRONG, wired.topics.candidate_submitted)

    assert len(wired.dead) == 1
    dead_body, headers = wired.dead[0]
    assert dead_body == body
    assert headers[f"{HEADER_PREFIX}original-topic"] == wired.topics.candidate_submitted
    assert headers[f"{HEADER_PREFIX}error-class"] == error_class
    assert [e.candidate_id for e in wired.indexed] == ["cand-strong"]  # the next record still flows


async def test_a_closed_job_is_no_longer_matched(wired: Wired) -> None:
    async with TestKafkaBroker(wired.broker) as broker:
        await broker.publish(ML_JOB, wired.topics.job_posted)
        await broker.publish(JobClosedV1(job_id=ML_JOB.job_id), wired.topics.job_closed)
        before = len(wired.shortlists)
        await broker.publish(STRONG, wired.topics.candidate_submitted)
        await broker.publish(MatchRequestedV1(job_id=ML_JOB.job_id), wired.topics.match_requested)

    assert len(wired.shortlists) == before
    stored = wired.store.retrieve("rolefit_jobs", [point_id("job", ML_JOB.job_id)])
    assert stored and stored[0].payload["status"] == "closed"  # kept for audit, not deleted
