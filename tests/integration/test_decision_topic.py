"""The decision topic on a real Kafka-protocol broker (Tansu): created with the others (compacted
config accepted), and read back whole, once per decision, by ``rolefit explain/audit --from-kafka``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from schemas.events import ConsideredCandidateV1, DecisionRecordedV1
from schemas.topics import Topics
from services.matcher.decisions import decision_key
from services.platform.decision_log import read_topic
from services.platform.kafka import make_broker
from services.platform.settings import KafkaSettings

pytestmark = pytest.mark.broker
T0 = datetime(2024, 6, 1, tzinfo=UTC)


def _decision(decision_id: str, job_id: str, minutes: int) -> DecisionRecordedV1:
    entry = ConsideredCandidateV1(
        candidate_id="c-1", candidate_version=1, profile_sha256="0" * 64, semantic=0.5, score=0.7,
        components={"semantic": 0.66}, excluded=False, shortlisted=True, rank=1,
    )  # fmt: skip
    return DecisionRecordedV1(
        decision_id=decision_id, shortlist_id="s", job_id=job_id, job_version=0, job_profile_sha256="0" * 64,
        trigger="job_indexed", generated_at=T0 + timedelta(minutes=minutes), model="m", model_sha256="0" * 64,
        taxonomy_version="1", top_k=10, weights={"semantic": 1.0}, considered=[entry],
    )  # fmt: skip


async def test_every_decision_is_read_back_once_in_time_order(kafka_settings: KafkaSettings) -> None:
    topic = Topics(kafka_settings.topic_prefix).decision_recorded  # created by the fixture, with the rest
    sent = [_decision("d2", "job-b", 2), _decision("d1", "job-a", 1), _decision("d2", "job-b", 2)]  # a retry
    async with make_broker(kafka_settings) as broker:
        for record in sent:
            await broker.publish(record, topic, key=decision_key(record))
    read = await read_topic(kafka_settings, topic)
    assert [r.decision_id for r in read] == ["d1", "d2"]
    assert read[0] == sent[1]


async def test_a_missing_topic_reads_as_no_decisions(kafka_settings: KafkaSettings) -> None:
    assert await read_topic(kafka_settings, kafka_settings.topic_prefix + "nothing.here") == []
