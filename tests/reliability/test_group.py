"""Two workers in one consumer group, one stopped mid-stream: nothing lost, order per key kept.

Both workers run in this process as two FastStream brokers (two group members each with its own
connections) over ONE store object: the embedded stores are single-process, and one shared store
is what two replicas against a Qdrant server see. Slow lane (``pytest -m slow``).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from pathlib import Path

import pytest

from schemas.events import CandidateIndexedV1, CandidateSubmittedV1
from schemas.topics import Topics
from services.platform.settings import KafkaSettings, Settings
from services.platform.store import layout
from services.platform.store.factory import open_store
from tests.reliability.harness import (
    COLLECTIONS,
    end_offsets,
    eventually,
    fully_committed,
    group,
    publisher,
    read_topic,
    settings_for,
    worker_broker,
)
from tests.reliability.samples import candidate_id, resume
from tests.reliability.worker import JournalledEmbedder

pytestmark = [pytest.mark.broker, pytest.mark.slow, pytest.mark.timeout(600)]
KEYS, VERSIONS = 12, 20
STALL_S = 180.0


async def _published(settings: Settings, topic: str) -> int:
    return sum((await end_offsets(settings, topic)).values())


async def _publish(settings: Settings, source: str) -> None:
    async with publisher(settings) as ats:
        for version in range(1, VERSIONS + 1):  # interleaved, as an ATS would send updates
            for k in range(KEYS):
                update = CandidateSubmittedV1(
                    candidate_id=candidate_id(k), resume_text=resume(k), version=version
                )
                await ats.publish(update, source, key=update.candidate_id.encode())


@pytest.mark.parametrize("batch", [32, 1], ids=["batched", "per-record"])
async def test_a_member_leaving_mid_stream_loses_nothing_and_keeps_each_keys_order(
    kafka_settings: KafkaSettings, tmp_path: Path, batch: int
) -> None:
    settings = settings_for(kafka_settings, tmp_path / "store", batch=batch)
    topics = Topics(kafka_settings.topic_prefix)
    source, submitted = topics.candidate_submitted, group(settings, "candidate-submitted")
    store = open_store(settings.qdrant)
    journals = [tmp_path / "staying", tmp_path / "leaving"]
    staying, leaving = (
        worker_broker(settings, store, embedder=JournalledEmbedder(0.02, journal)) for journal in journals
    )
    try:
        # Both members join before the stream starts: a member joining a busy group on Tansu
        # has been seen to stall the group's coordinator for minutes. A stall fails, never hangs.
        await asyncio.wait_for(asyncio.gather(staying.start(), leaving.start()), STALL_S)
        await _publish(settings, source)

        async def a_third_done() -> bool:
            return await _published(settings, topics.candidate_indexed) >= KEYS * VERSIONS // 3

        await eventually(a_third_done, "a third of the stream", timeout_s=STALL_S)
        await asyncio.wait_for(leaving.stop(), STALL_S)  # graceful; the other takes over its partitions
        await eventually(lambda: fully_committed(settings, submitted, source), "the rest", timeout_s=STALL_S)
        for k in range(KEYS):
            stored = store.retrieve(COLLECTIONS.candidates, [layout.point_id("candidate", candidate_id(k))])
            assert stored[0].payload["version"] == VERSIONS
    finally:
        for broker in (leaving, staying):
            await asyncio.wait_for(broker.stop(), STALL_S)
        store.close()

    work = [len(journal.read_text().splitlines()) for journal in journals]
    assert all(work), f"both members must have indexed something: {work}"
    seen: dict[str, list[int]] = defaultdict(list)
    for record in await read_topic(settings, topics.candidate_indexed):  # per partition, in order
        event = CandidateIndexedV1.model_validate_json(record.value)
        seen[event.candidate_id].append(event.version)
    for k in range(KEYS):
        versions = seen[candidate_id(k)]
        assert versions == sorted(versions), versions  # never an older version after a newer one
        assert set(versions) == set(range(1, VERSIONS + 1))  # every version went through
    repeats = sum(len(v) for v in seen.values()) - KEYS * VERSIONS
    print(f"\n[{batch=}] {KEYS * VERSIONS} updates, documents (staying, leaving) {work}, "
          f"{repeats} indexed twice")  # fmt: skip
