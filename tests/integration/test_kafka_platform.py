"""The Kafka platform layer against a real Kafka-protocol broker (Tansu): lifecycle, topics, commits, interop.

Group joins dominate the run time: ~3 s each at a 6 s session timeout, and ~11 s for the
redelivery test, whose second consumer waits for the first one's session to expire (Tansu
ignores LeaveGroup).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from pathlib import Path
from typing import Any

import confluent_kafka
import pytest
from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import InvalidPartitionsError
from confluent_kafka.admin import AdminClient
from faststream.kafka.annotations import KafkaMessage

from schemas.topics import Topics
from services.platform import kafka
from services.platform.kafka import client_options, create_topics, make_broker, subscriber_options
from services.platform.local_broker import BrokerStartError, LocalBroker
from services.platform.settings import KafkaSettings

pytestmark = pytest.mark.broker

WAIT_S = 30.0  # generous: a redelivery needs a session expiry plus a rejoin
JSON_HEADERS: dict[str, str | bytes | None] = {"content-type": "application/json"}


async def committed_offsets(settings: KafkaSettings, group: str, topic: str) -> dict[int, int]:
    """Committed offset per partition (-1: none). Partitions must be named: see kafka.py quirks."""
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        parts = [TopicPartition(topic, p) for p in range(settings.partitions)]
        offsets = await admin.list_consumer_group_offsets(group, partitions=parts)
    finally:
        await admin.close()
    return {tp.partition: meta.offset for tp, meta in offsets.items()}


async def partition_counts(settings: KafkaSettings) -> dict[str, int]:
    """Partitions of every topic under the settings' prefix."""
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        # Listing, not describing by name: naming a missing topic in Metadata makes Tansu create it.
        names = [t for t in await admin.list_topics() if t.startswith(settings.topic_prefix)]
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    return {t["topic"]: len(t["partitions"]) for t in described}


def record_of(msg: KafkaMessage) -> ConsumerRecord[Any, Any]:
    """The single record behind a non-batch message."""
    assert isinstance(msg.raw_message, ConsumerRecord)
    return msg.raw_message


def test_local_broker_serves_kafka_and_frees_port_on_stop(local_broker: LocalBroker, tmp_path: Path) -> None:
    broker = LocalBroker()
    bootstrap = broker.start(log_path=tmp_path / "broker.log")
    port, pid = int(bootstrap.rsplit(":", 1)[1]), broker.pid
    assert bootstrap == broker.bootstrap == f"127.0.0.1:{port}" != local_broker.bootstrap
    metadata = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10)
    assert [(b.host, b.port) for b in metadata.brokers.values()] == [("127.0.0.1", port)]

    broker.stop()
    assert pid is not None
    with pytest.raises(ChildProcessError):  # already reaped: no zombie left behind
        os.waitpid(pid, os.WNOHANG)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert "listening on" in (tmp_path / "broker.log").read_text()

    restarted = LocalBroker()
    assert restarted.start(port=port) == bootstrap  # the port is reusable at once
    with restarted:  # already running: the context manager only adds the stop
        assert restarted.bootstrap == bootstrap
    assert restarted.pid is None


def test_local_broker_refuses_a_port_another_broker_holds(local_broker: LocalBroker) -> None:
    # Tansu itself would exit on AddrInUse only after the other broker had answered our probe.
    broker = LocalBroker()
    with pytest.raises(BrokerStartError, match="in use"):
        broker.start(port=int(local_broker.bootstrap.rsplit(":", 1)[1]))
    assert broker.pid is None


async def test_create_topics_is_idempotent_and_honours_partitions(kafka_settings: KafkaSettings) -> None:
    prefix = kafka_settings.topic_prefix
    every = Topics(prefix).all()
    explicit, defaulted = f"{prefix}explicit", f"{prefix}defaulted"

    await create_topics(kafka_settings, every)  # all exist already (fixture): no error
    await create_topics(kafka_settings, [explicit, explicit], partitions=5)
    await create_topics(kafka_settings, [explicit], partitions=2)  # exists: left as it is
    await create_topics(kafka_settings.model_copy(update={"partitions": 2}), [defaulted])
    with pytest.raises(ValueError, match="partitions"):
        await create_topics(kafka_settings, [f"{prefix}empty"], partitions=0)

    counts = await partition_counts(kafka_settings)
    assert counts == {**dict.fromkeys(every, 3), explicit: 5, defaulted: 2}  # and no "empty"
    assert any(t.endswith(".dlq") for t in every)


async def test_create_topics_raises_on_a_broker_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tansu accepts every CreateTopics request, so the error path needs a stand-in response.
    class RefusingAdmin:
        def __init__(self, **_: Any) -> None: ...
        async def start(self) -> None: ...
        async def close(self) -> None: ...

        async def create_topics(self, new_topics: list[Any]) -> Any:
            errors = [(t.name, 36 if i == 0 else 37, "no") for i, t in enumerate(new_topics)]
            return type("Response", (), {"topic_errors": errors})

    monkeypatch.setattr(kafka, "AIOKafkaAdminClient", RefusingAdmin)
    with pytest.raises(InvalidPartitionsError, match=r"'b'.*1 of 2"):
        await create_topics(KafkaSettings(), ["a", "b"])


async def test_acked_message_advances_the_group_offset(kafka_settings: KafkaSettings) -> None:
    topic, group = Topics(kafka_settings.topic_prefix).job_posted, "acker"
    handled: asyncio.Future[tuple[int, int, Any]] = asyncio.get_running_loop().create_future()
    broker = make_broker(kafka_settings)

    @broker.subscriber(topic, **subscriber_options(kafka_settings, group))
    async def handle(body: dict[str, str], msg: KafkaMessage) -> None:
        await msg.ack()
        handled.set_result((record_of(msg).partition, record_of(msg).offset, body))

    async with broker:
        await broker.start()
        await broker.publish({"job_id": "j-1"}, topic, key=b"j-1")
        partition, offset, body = await asyncio.wait_for(handled, WAIT_S)

    assert body == {"job_id": "j-1"}
    committed = await committed_offsets(kafka_settings, group, topic)
    assert committed[partition] == offset + 1


async def test_unacked_failure_is_not_committed_and_is_redelivered(kafka_settings: KafkaSettings) -> None:
    topic, group = Topics(kafka_settings.topic_prefix).match_requested, "flaky"
    options = subscriber_options(kafka_settings, group)
    loop = asyncio.get_running_loop()
    failed: asyncio.Future[tuple[int, int]] = loop.create_future()
    redelivered: asyncio.Future[tuple[int, int]] = loop.create_future()

    first = make_broker(kafka_settings)

    attempts: list[int] = []

    @first.subscriber(topic, **options)
    async def crash(body: dict[str, str], msg: KafkaMessage) -> None:
        attempts.append(record_of(msg).offset)
        if not failed.done():
            failed.set_result((record_of(msg).partition, record_of(msg).offset))
        raise RuntimeError("handler failed before acking")

    async with first:
        await first.start()
        await first.publish({"job_id": "j-2"}, topic, key=b"j-2")
        partition, offset = await asyncio.wait_for(failed, WAIT_S)
        await asyncio.sleep(0.5)  # room for a wrongful commit or retry to happen before we look
        assert (await committed_offsets(kafka_settings, group, topic))[partition] == -1
    assert attempts == [offset]  # manual: no nack-and-retry loop inside the first consumer

    second = make_broker(kafka_settings)

    @second.subscriber(topic, **options)
    async def recover(body: dict[str, str], msg: KafkaMessage) -> None:
        await msg.ack()
        redelivered.set_result((record_of(msg).partition, record_of(msg).offset))

    async with second:
        await second.start()
        assert await asyncio.wait_for(redelivered, WAIT_S) == (partition, offset)
    assert (await committed_offsets(kafka_settings, group, topic))[partition] == offset + 1


async def test_confluent_producer_reaches_our_subscriber_with_its_key(kafka_settings: KafkaSettings) -> None:
    topic = Topics(kafka_settings.topic_prefix).candidate_submitted
    received: asyncio.Future[tuple[bytes, Any]] = asyncio.get_running_loop().create_future()
    broker = make_broker(kafka_settings)

    @broker.subscriber(topic, **subscriber_options(kafka_settings, "interop-in"))
    async def handle(body: dict[str, str], msg: KafkaMessage) -> None:
        await msg.ack()
        received.set_result((record_of(msg).key, body))

    # librdkafka's idempotent producer (InitProducerId v4) is one Tansu does accept.
    producer = confluent_kafka.Producer(
        {"bootstrap.servers": kafka_settings.bootstrap_servers, "enable.idempotence": True}
    )
    errors: list[Any] = []
    producer.produce(
        topic,
        key=b"cand-42",
        value=json.dumps({"candidate_id": "cand-42"}).encode(),
        headers=JSON_HEADERS,
        on_delivery=lambda err, _msg: errors.append(err),
    )
    assert await asyncio.to_thread(producer.flush, 10) == 0
    assert errors == [None]

    async with broker:
        await broker.start()
        key, body = await asyncio.wait_for(received, WAIT_S)
    assert (key, body) == (b"cand-42", {"candidate_id": "cand-42"})


async def test_our_producer_is_read_by_a_confluent_consumer(kafka_settings: KafkaSettings) -> None:
    topic = Topics(kafka_settings.topic_prefix).shortlist_published
    async with make_broker(kafka_settings) as broker:
        sent = await broker.publish({"shortlist": ["c-1"]}, topic, key=b"job-7")

    consumer = confluent_kafka.Consumer(
        {
            "bootstrap.servers": kafka_settings.bootstrap_servers,
            "group.id": "interop-out",
            "enable.auto.commit": False,
        }
    )
    # Direct assignment: no group join needed to read one partition from the start.
    consumer.assign([confluent_kafka.TopicPartition(topic, sent.partition, confluent_kafka.OFFSET_BEGINNING)])
    try:
        record = await asyncio.to_thread(_poll_one, consumer, 15.0)
    finally:
        consumer.close()
    assert record.key() == b"job-7"
    assert record.offset() == sent.offset
    assert json.loads(record.value() or b"") == {"shortlist": ["c-1"]}


def _poll_one(consumer: confluent_kafka.Consumer, timeout_s: float) -> confluent_kafka.Message:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        record = consumer.poll(0.5)
        if record is None:
            continue
        if record.error():
            raise confluent_kafka.KafkaException(record.error())
        return record
    raise TimeoutError("confluent consumer received nothing")
