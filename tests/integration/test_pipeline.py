"""End to end over the real Kafka-protocol broker (Tansu): events in, shortlists out."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from schemas.events import CandidateSubmittedV1
from schemas.topics import dead_letter_topic
from services.platform.dead_letters import HEADER_PREFIX
from services.platform.kafka import client_options
from services.platform.settings import KafkaSettings, QdrantSettings, Settings
from tests.conftest import TEST_PARTITIONS
from tests.fakes import HashingEmbedder
from tests.integration.pipeline import committed_offsets, running_pipeline
from tests.unit.test_handlers import ML_JOB, STRONG, WEAK

pytestmark = [pytest.mark.broker, pytest.mark.timeout(120)]


def _settings(kafka: KafkaSettings, tmp_path: Path) -> Settings:
    return Settings(kafka=kafka, qdrant=QdrantSettings(path=tmp_path / "store"))


async def test_candidates_and_job_become_a_shortlist_and_offsets_are_committed(
    kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    settings = _settings(kafka_settings, tmp_path)
    async with running_pipeline(settings, HashingEmbedder()) as pipeline:
        for candidate in (WEAK, STRONG):
            await pipeline.broker.publish(
                candidate, pipeline.topics.candidate_submitted, key=candidate.candidate_id.encode()
            )
        await pipeline.broker.publish(ML_JOB, pipeline.topics.job_posted, key=b"job-mle")

        shortlist = await pipeline.wait_for(lambda s: s.job_id == "job-mle" and len(s.candidates) == 2)
        assert shortlist.candidates[0].candidate_id == "cand-strong"

        group = f"{settings.ingest.group_id}.candidate-submitted"
        for _ in range(50):
            offsets = await committed_offsets(
                settings, group, pipeline.topics.candidate_submitted, TEST_PARTITIONS
            )
            if sum(offsets.values()) == 2:
                break
            await asyncio.sleep(0.2)
        assert sum(offsets.values()) == 2, offsets


async def test_a_candidate_arriving_later_enters_the_shortlist(
    kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    settings = _settings(kafka_settings, tmp_path)
    async with running_pipeline(settings, HashingEmbedder()) as pipeline:
        await pipeline.broker.publish(WEAK, pipeline.topics.candidate_submitted, key=b"cand-weak")
        await pipeline.broker.publish(ML_JOB, pipeline.topics.job_posted, key=b"job-mle")
        first = await pipeline.wait_for(lambda s: s.job_id == "job-mle")
        assert [c.candidate_id for c in first.candidates] == ["cand-weak"]

        await pipeline.broker.publish(STRONG, pipeline.topics.candidate_submitted, key=b"cand-strong")
        update = await pipeline.wait_for(
            lambda s: (
                s.trigger == "candidate_indexed"
                and any(c.candidate_id == "cand-strong" for c in s.candidates)
            )
        )
        assert [c.candidate_id for c in update.candidates] == ["cand-strong", "cand-weak"]


async def test_poison_is_dead_lettered_once_and_the_partition_keeps_flowing(
    kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    settings = _settings(kafka_settings, tmp_path)
    async with running_pipeline(settings, HashingEmbedder()) as pipeline:
        topic = pipeline.topics.candidate_submitted
        # Same key ⇒ same partition: the good record sits behind the poison one.
        await pipeline.broker.publish(
            b'{"candidate_id": "cand-strong", "version": "x"}', topic, key=b"cand-strong"
        )
        await pipeline.broker.publish(STRONG, topic, key=b"cand-strong")
        await pipeline.broker.publish(ML_JOB, pipeline.topics.job_posted, key=b"job-mle")
        await pipeline.wait_for(lambda s: any(c.candidate_id == "cand-strong" for c in s.candidates))

        consumer = AIOKafkaConsumer(
            dead_letter_topic(topic),
            group_id="dlq-reader",
            auto_offset_reset="earliest",
            **client_options(settings.kafka),
        )
        await consumer.start()
        try:
            batch = await consumer.getmany(timeout_ms=15_000)
            records = [r for rs in batch.values() for r in rs]
        finally:
            await consumer.stop()
        assert len(records) == 1
        headers = {k: v.decode() for k, v in records[0].headers}
        assert headers[f"{HEADER_PREFIX}original-topic"] == topic
        assert headers[f"{HEADER_PREFIX}error-class"] == "ValidationError"
        assert "version" in headers[f"{HEADER_PREFIX}error-message"]
        assert json.loads(records[0].value)["candidate_id"] == "cand-strong"

        group = f"{settings.ingest.group_id}.candidate-submitted"
        offsets = await committed_offsets(settings, group, topic, TEST_PARTITIONS)
        assert sum(offsets.values()) == 2  # both records committed, the poison one included


async def test_a_third_party_client_publishes_a_candidate_and_reads_the_shortlist(
    kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    confluent_kafka = pytest.importorskip("confluent_kafka")
    settings = _settings(kafka_settings, tmp_path)
    async with running_pipeline(settings, HashingEmbedder()) as pipeline:
        await pipeline.broker.publish(ML_JOB, pipeline.topics.job_posted, key=b"job-mle")
        await pipeline.wait_for(lambda s: s.job_id == "job-mle")

        conf = {"bootstrap.servers": kafka_settings.bootstrap_servers}
        producer = confluent_kafka.Producer(conf)
        producer.produce(
            pipeline.topics.candidate_submitted, key=b"cand-strong", value=STRONG.model_dump_json().encode()
        )
        assert producer.flush(10) == 0

        consumer = confluent_kafka.Consumer(
            {
                **conf,
                "group.id": "interop-reader",
                "auto.offset.reset": "earliest",
                "session.timeout.ms": 6000,
            }
        )
        consumer.subscribe([pipeline.topics.shortlist_published])
        found = None
        try:
            for _ in range(120):
                message = await asyncio.to_thread(consumer.poll, 0.5)
                if message is None or message.error():
                    continue
                payload = json.loads(message.value())
                if any(c["candidate_id"] == "cand-strong" for c in payload["candidates"]):
                    found = (message.key(), payload)
                    break
        finally:
            consumer.close()
        assert found is not None, "librdkafka consumer never saw the updated shortlist"
        assert found[0] == b"job-mle"
        assert CandidateSubmittedV1.model_validate_json(STRONG.model_dump_json()) == STRONG
