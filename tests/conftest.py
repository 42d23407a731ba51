"""Shared fixtures. Broker fixtures start one Tansu process per session and isolate tests by topic prefix."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from schemas.topics import Topics
from services.platform.kafka import create_topics
from services.platform.local_broker import BrokerBinaryNotFoundError, LocalBroker
from services.platform.settings import KafkaSettings

TEST_PARTITIONS = 3

# Settings read from the environment prepare résumés in the batch's threads here: a parse pool per
# wired broker would start two interpreters per test. Tests that want the pool (the service's
# default) ask for it: test_parsing, test_batching, test_batch_handler, the demo.
os.environ.setdefault("ROLEFIT_INGEST__PARSE_PROCESSES", "0")
# pytest-xdist workers start with COLUMNS=80 and LINES=24 set. A rich Console fixes its size
# from them when it is made (the CLIs make theirs as they are imported), so the tests that
# widen the terminal through the environment as they invoke a command would get 80 columns.
for _size in ("COLUMNS", "LINES"):
    os.environ.pop(_size, None)


@pytest.fixture(scope="session")
def local_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    broker = LocalBroker()
    try:
        broker.start(log_path=tmp_path_factory.mktemp("tansu") / "broker.log")
    except BrokerBinaryNotFoundError as exc:
        pytest.skip(f"Tansu broker binary unavailable, broker tests skipped: {exc}")
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
async def kafka_settings(local_broker: LocalBroker) -> KafkaSettings:
    """Settings for the session broker, with a topic prefix of this test's own; all topics exist."""
    settings = KafkaSettings(
        bootstrap_servers=local_broker.bootstrap,
        enable_idempotence=False,  # Tansu rejects aiokafka's InitProducerId v0 (see platform/kafka.py)
        topic_prefix=f"t{uuid.uuid4().hex[:12]}.",
        partitions=TEST_PARTITIONS,
        session_timeout_ms=3_000,
        heartbeat_interval_ms=500,
    )
    await create_topics(settings, Topics(settings.topic_prefix).all(), partitions=TEST_PARTITIONS)
    return settings
