"""Record size on the real broker: the Kafka limits follow the document limit.

Kafka's default record limit (1 MB) is below ``ingest.max_document_bytes`` (10 MiB, base64 on the
wire). Producers, consumers and created topics share ``kafka.max_message_bytes``; a document
event of about 5 MB goes through end to end, an oversized publish fails loudly at the producer,
and a record at the limit can still be dead-lettered (its topic and producers allow headroom).
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import MessageSizeTooLargeError

from schemas.events import CandidateIndexedV1, CandidateSubmittedV1, ResumeFile
from schemas.topics import Topics, dead_letter_topic
from services.platform.dead_letters import HEADER_PREFIX
from services.platform.kafka import (
    DLQ_HEADROOM_BYTES,
    client_options,
    make_broker,
    subscriber_options,
)
from services.platform.settings import IngestSettings, KafkaSettings, Settings, document_record_bytes
from services.platform.store.factory import open_store
from tests.reliability.harness import (
    end_offsets,
    eventually,
    fully_committed,
    group,
    publisher,
    read_topic,
    running,
    settings_for,
)
from tests.reliability.samples import resume

pytestmark = [pytest.mark.broker, pytest.mark.timeout(240)]

MB = 1024 * 1024


def _with_limits(
    settings: Settings, max_message_bytes: int, max_document_bytes: int | None = None
) -> Settings:
    kafka = settings.kafka.model_copy(update={"max_message_bytes": max_message_bytes})
    ingest = settings.ingest.model_copy(
        update={"max_document_bytes": max_document_bytes or settings.ingest.max_document_bytes}
    )
    return settings.model_copy(update={"kafka": kafka, "ingest": ingest})


def _document_event(candidate_id: str, record_bytes: int) -> CandidateSubmittedV1:
    """A readable text résumé padded with blank lines to a JSON record of about ``record_bytes``
    (normalisation drops the padding, so the model sees only the résumé)."""
    head = resume(7).encode()
    padding = max(0, (record_bytes - 400) * 3 // 4 - len(head))
    content = base64.b64encode(head + b"\n" * padding).decode()
    return CandidateSubmittedV1(
        candidate_id=candidate_id, resume_file=ResumeFile(filename="cv.txt", content_base64=content)
    )


async def _submit_until_committed(settings: Settings, event: CandidateSubmittedV1, outcome: str) -> None:
    """Run ingest, submit ``event`` and wait until its offset is committed (``outcome``: for the
    timeout message)."""
    topics = Topics(settings.kafka.topic_prefix)
    store = open_store(settings.qdrant)
    try:
        async with running(settings, store), publisher(settings) as ats:
            await ats.publish(event, topics.candidate_submitted, key=event.candidate_id.encode())
            submitted = group(settings, "candidate-submitted")
            await eventually(
                lambda: fully_committed(settings, submitted, topics.candidate_submitted), outcome
            )
    finally:
        store.close()


def test_the_default_kafka_limits_fit_the_largest_document_and_every_client_uses_them() -> None:
    kafka, ingest = KafkaSettings(), IngestSettings()
    assert kafka.max_message_bytes >= document_record_bytes(ingest.max_document_bytes) > 13 * MB
    producer = make_broker(kafka)._connection_kwargs  # what FastStream hands AIOKafkaProducer
    assert producer["max_request_size"] == kafka.max_message_bytes + DLQ_HEADROOM_BYTES
    consumer = subscriber_options(kafka, "g")
    assert consumer["max_partition_fetch_bytes"] == kafka.max_message_bytes + DLQ_HEADROOM_BYTES
    assert consumer["fetch_max_bytes"] >= consumer["max_partition_fetch_bytes"]


def test_settings_refuse_a_document_limit_that_no_record_could_carry() -> None:
    Settings(kafka=KafkaSettings(max_message_bytes=2 * MB), ingest=IngestSettings(max_document_bytes=MB // 2))
    with pytest.raises(ValueError, match="max_message_bytes"):
        Settings(
            kafka=KafkaSettings(max_message_bytes=2 * MB), ingest=IngestSettings(max_document_bytes=4 * MB)
        )


async def test_topics_are_created_with_max_message_bytes_and_dead_letter_topics_with_headroom(
    kafka_settings: KafkaSettings,
) -> None:
    """Tansu stores the setting (and reports it) though it does not enforce it; Kafka does."""
    topics = Topics(kafka_settings.topic_prefix)
    names = [topics.candidate_submitted, dead_letter_topic(topics.candidate_submitted)]
    admin = AIOKafkaAdminClient(**client_options(kafka_settings))
    await admin.start()
    try:
        responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in names])
    finally:
        await admin.close()
    found = {
        resource[3]: dict((entry[0], entry[1]) for entry in resource[4])
        for response in responses
        for resource in response.resources
    }
    limit = kafka_settings.max_message_bytes
    assert found[names[0]]["max.message.bytes"] == str(limit)
    assert found[names[1]]["max.message.bytes"] == str(limit + DLQ_HEADROOM_BYTES)


async def test_a_5_mb_document_event_goes_through_the_real_broker_and_is_indexed(
    kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    settings = settings_for(kafka_settings, tmp_path / "store")
    topics = Topics(kafka_settings.topic_prefix)
    event = _document_event("cand-big", 5 * MB)
    body = event.model_dump_json().encode()
    assert len(body) > 5 * MB - 1024  # five times Kafka's default limit
    await _submit_until_committed(settings, event, "indexed")
    stored = await read_topic(settings, topics.candidate_submitted)
    assert [len(r.value) for r in stored] == [len(body)]  # the whole record, byte for byte
    assert stored[0].value == body
    indexed = await read_topic(settings, topics.candidate_indexed)
    assert [CandidateIndexedV1.model_validate_json(r.value).candidate_id for r in indexed] == ["cand-big"]
    assert await read_topic(settings, dead_letter_topic(topics.candidate_submitted)) == []


async def test_an_oversized_publish_fails_at_the_producer_with_a_clear_error_and_writes_nothing(
    kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    settings = _with_limits(settings_for(kafka_settings, tmp_path / "store"), max_message_bytes=1 * MB)
    topics = Topics(kafka_settings.topic_prefix)
    event = _document_event("cand-huge", 2 * MB)
    async with publisher(settings) as ats:
        with pytest.raises(MessageSizeTooLargeError, match="max_request_size"):
            await ats.publish(event, topics.candidate_submitted, key=b"cand-huge")
    assert set((await end_offsets(settings, topics.candidate_submitted)).values()) == {0}


async def test_a_poison_record_at_the_size_limit_is_still_dead_lettered(
    kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    """Its dead letter is the record plus provenance headers, over the input limit: without the
    dead-letter headroom that publish would fail forever and block the partition."""
    limit = 1 * MB
    settings = _with_limits(
        settings_for(kafka_settings, tmp_path / "store"),
        max_message_bytes=limit,
        max_document_bytes=64 * 1024,
    )
    topics = Topics(kafka_settings.topic_prefix)
    event = _document_event("cand-at-limit", limit - 64)  # over max_document_bytes: poison
    body = event.model_dump_json().encode()
    assert limit - 1024 < len(body) <= limit
    await _submit_until_committed(settings, event, "dead-lettered")
    dead = await read_topic(settings, dead_letter_topic(topics.candidate_submitted))
    assert [r.value for r in dead] == [body]
    headers = {k: v.decode() for k, v in dead[0].headers}
    assert headers[f"{HEADER_PREFIX}error-class"] == "DocumentError"
    assert "limit" in headers[f"{HEADER_PREFIX}error-message"]
    assert await read_topic(settings, topics.candidate_indexed) == []
