"""Broker connection resets on the real broker: every socket between the worker and Tansu is
reset mid-stream and connections are refused for a few seconds, then the network heals.

Tansu keeps its log in memory and cannot be restarted under a running worker, so the outage is
made in front of it, by a proxy that the broker advertises (``tests/reliability/proxy.py``).
Consumer fetches, heartbeats, output publishes and offset commits all fail at once.

Two outages: a blip (4 s), which aiokafka's own reconnects and request retries absorb, and a
long one (12 s) past the clients' request timeout (cut to 4 s here), where publishes and commits
fail up to the handlers: one record at a time is retried with backoff (then rewound), a batch is
rewound at once; either way it is fetched again once the broker answers.

Guarantees: no dead letter (a reset is transient), nothing lost (every input stored and its
output published), committed offsets reach the log end, and the flow goes on after healing.
Outputs are at least once: a publish or commit whose reply the reset swallowed is redone, so an
output may appear twice. Duplicates are bounded by the records in flight and byte-identical
(event ids and times derive from the input), so consumers dedupe on ``event_id``.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import cast

import pytest

from schemas.events import CandidateIndexedV1
from schemas.topics import Topics, dead_letter_topic
from services.ingest.app import attach_ingest, build_ingest
from services.platform.kafka import create_topics, make_broker
from services.platform.local_broker import BrokerBinaryNotFoundError, LocalBroker
from services.platform.observability import REGISTRY
from services.platform.settings import KafkaSettings, Settings
from services.platform.store.factory import open_store
from services.platform.store.port import VectorStore
from tests.conftest import TEST_PARTITIONS
from tests.fakes import HashingEmbedder
from tests.reliability.harness import (
    BATCHED,
    eventually,
    fully_committed,
    group,
    profiles,
    publisher,
    read_topic,
    settings_for,
)
from tests.reliability.proxy import ResettingProxy
from tests.reliability.samples import candidates
from tests.reliability.stores import GatedStore

pytestmark = [pytest.mark.broker, pytest.mark.timeout(300)]

# (ingest batch size, outage seconds, the worker's Kafka request timeout in ms; None: aiokafka's
# 40 s). Both outages outlast the session timeout (3 s): the group loses its members too.
# One record at a time only meets the long outage (the blip never reaches a handler), in -m slow.
CASES = [
    pytest.param(BATCHED, 4.0, None, id="batched-blip"),
    pytest.param(BATCHED, 12.0, 4_000, id="batched-long"),
    pytest.param(1, 12.0, 4_000, id="per-record-long", marks=pytest.mark.slow),
]


@pytest.fixture
async def proxy(tmp_path: Path) -> AsyncIterator[ResettingProxy]:
    """A Tansu of its own behind a proxy, advertising the proxy's port (taken first, so no race)."""
    proxy = ResettingProxy()
    broker = LocalBroker()
    try:
        broker.start(log_path=tmp_path / "tansu.log", advertised_port=await proxy.start())
    except BrokerBinaryNotFoundError as exc:
        await proxy.close()
        pytest.skip(f"Tansu broker binary unavailable: {exc}")
    proxy.upstream_port = int(broker.bootstrap.rsplit(":", 1)[1])
    try:
        yield proxy
    finally:
        await proxy.close()
        broker.stop()


async def _publish(settings: Settings, topics: Topics, count: int, start: int) -> None:
    async with publisher(settings) as ats:
        for person in candidates(count, start=start):
            await ats.publish(person, topics.candidate_submitted, key=person.candidate_id.encode())


def _metric(name: str, topic: str) -> float:
    """A counter's total for one topic, over its other labels (error classes)."""
    return sum(
        sample.value
        for family in REGISTRY.collect()
        for sample in family.samples
        if sample.name == name and sample.labels.get("topic") == topic
    )


@asynccontextmanager
async def worker(
    settings: Settings, store: VectorStore, request_timeout_ms: int | None
) -> AsyncIterator[None]:
    """The ingest worker as ``harness.running`` builds it, with a shorter request timeout if asked."""
    options = {} if request_timeout_ms is None else {"request_timeout_ms": request_timeout_ms}
    broker = make_broker(settings.kafka, **options)
    attach_ingest(broker, settings, build_ingest(settings, store, HashingEmbedder()))
    async with broker:
        await broker.start()
        yield


@pytest.mark.parametrize(("batch", "outage_s", "request_timeout_ms"), CASES)
async def test_a_connection_reset_mid_stream_loses_nothing_dead_letters_nothing_and_catches_up(
    proxy: ResettingProxy, tmp_path: Path, batch: int, outage_s: float, request_timeout_ms: int | None
) -> None:
    kafka = KafkaSettings(
        bootstrap_servers=f"127.0.0.1:{proxy.port}",
        enable_idempotence=False,  # Tansu rejects aiokafka's InitProducerId v0 (see platform/kafka.py)
        topic_prefix="reset.",
        partitions=TEST_PARTITIONS,
        session_timeout_ms=3_000,
        heartbeat_interval_ms=500,
    )
    topics = Topics(kafka.topic_prefix)
    await create_topics(kafka, topics.all(), partitions=TEST_PARTITIONS)
    settings = settings_for(kafka, tmp_path / "store", batch)
    source, submitted = topics.candidate_submitted, group(settings, "candidate-submitted")
    real = open_store(settings.qdrant)
    # Store writes are held while the network is cut and released into the outage: the records
    # in flight become durable, then their output publishes and commits meet the reset.
    gated = GatedStore(real)
    warm, during, after = 6, 30, 6
    retries_before = _metric("rolefit_retries_total", source)
    rewinds_before = _metric("rolefit_retries_exhausted_total", source)
    try:
        async with worker(settings, cast(VectorStore, gated), request_timeout_ms):
            await _publish(settings, topics, warm, start=0)
            await eventually(lambda: fully_committed(settings, submitted, source), "warm")

            gated.gate.clear()
            await _publish(settings, topics, during, start=warm)
            await eventually(lambda: gated.held > 0, "records in flight")
            assert profiles(real) == warm  # mid-stream: the rest is in flight or not fetched yet
            reset = await proxy.cut()
            started = time.monotonic()
            await asyncio.sleep(0.5)
            gated.gate.set()
            await asyncio.sleep(outage_s - 0.5)
            assert reset > 0
            before_heal = proxy.connections
            await proxy.heal()

            await eventually(lambda: fully_committed(settings, submitted, source), "catch-up", 150)
            recovered_s = time.monotonic() - started
            # The clients came back through the proxy (the advertised address), not around it.
            assert proxy.connections > before_heal
            # And it keeps flowing: records published after the outage go through too.
            await _publish(settings, topics, after, start=warm + during)
            await eventually(lambda: fully_committed(settings, submitted, source), "after healing")
        total = warm + during + after
        assert profiles(real) == total
    finally:
        gated.gate.set()
        real.close()

    records = await read_topic(settings, topics.candidate_indexed)
    values: defaultdict[str, set[bytes]] = defaultdict(set)
    for record in records:
        values[CandidateIndexedV1.model_validate_json(record.value).candidate_id].add(record.value)
    counts = Counter(CandidateIndexedV1.model_validate_json(r.value).candidate_id for r in records)
    expected = {person.candidate_id for person in candidates(total)}
    assert set(counts) == expected  # nothing lost
    assert all(len(v) == 1 for v in values.values())  # every repeat byte-identical: dedupe on event_id
    duplicates = sum(counts.values()) - len(counts)
    # At most what was in flight at the cut: one batch per partition, or one record per partition.
    assert duplicates <= TEST_PARTITIONS * (batch if batch == BATCHED else 1), counts
    assert await read_topic(settings, dead_letter_topic(source)) == []
    retries = _metric("rolefit_retries_total", source) - retries_before
    rewinds = _metric("rolefit_retries_exhausted_total", source) - rewinds_before
    print(
        f"\n[{batch=}] cut with {warm}/{warm + during} stored, {reset} sockets reset, "
        f"{outage_s:.0f} s refused; caught up {recovered_s:.1f} s after the cut; "
        f"{duplicates} duplicate outputs of {sum(counts.values())}; "
        f"{retries:.0f} handler retries, {rewinds:.0f} rewinds"
    )
    if request_timeout_ms is not None:
        # The long outage reached the handlers: retried (one record at a time) or rewound (a
        # batch whose publish or commit fails is rewound at once), never dead-lettered.
        assert retries + rewinds > 0
