"""A worker killed (SIGKILL) mid-stream and restarted: nothing lost, no duplicate points, offsets
at the log end, and reprocessing bounded by the work in flight when it died.

Slow lane: ``pytest -m slow tests/reliability/test_crash.py -s`` prints the measured figures.
"""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

import pytest

from schemas.events import CandidateIndexedV1
from schemas.topics import Topics
from services.platform.settings import KafkaSettings, Settings
from services.platform.store import layout
from services.platform.store.factory import open_store
from tests.conftest import TEST_PARTITIONS
from tests.reliability.harness import (
    COLLECTIONS,
    end_offsets,
    eventually,
    fully_committed,
    group,
    publisher,
    read_topic,
    settings_for,
)
from tests.reliability.processes import worker
from tests.reliability.samples import candidate_id, candidates

pytestmark = [pytest.mark.broker, pytest.mark.slow, pytest.mark.timeout(600)]
COUNT = 1200


async def _published(settings: Settings, topic: str) -> int:
    return sum((await end_offsets(settings, topic)).values())


@pytest.mark.parametrize("batch", [32, 1], ids=["batched", "per-record"])
async def test_a_killed_worker_loses_nothing_and_duplicates_no_point_after_a_restart(
    kafka_settings: KafkaSettings, tmp_path: Path, batch: int
) -> None:
    settings = settings_for(kafka_settings, tmp_path / "store", batch=batch)
    topics = Topics(kafka_settings.topic_prefix)
    source, submitted = topics.candidate_submitted, group(settings, "candidate-submitted")
    async with publisher(settings) as ats:
        for person in candidates(COUNT):
            await ats.publish(person, source, key=person.candidate_id.encode())
    assert all(n > 0 for n in (await end_offsets(settings, source)).values())  # every partition used

    log = tmp_path / "worker.log"
    with worker(settings, log, ROLEFIT_TEST_EMBED_DELAY_S="0.01") as doomed:

        async def mid_stream() -> bool:
            return await _published(settings, topics.candidate_indexed) >= COUNT // 4

        await eventually(mid_stream, "a quarter of the stream", timeout_s=300)
        doomed.send(signal.SIGKILL)
        assert await doomed.exit_code(within_s=30) == -signal.SIGKILL
    at_kill = await _published(settings, topics.candidate_indexed)

    with worker(settings, log) as restarted:
        await eventually(lambda: fully_committed(settings, submitted, source), "catch-up", timeout_s=400)
        restarted.send(signal.SIGTERM)
        assert await restarted.exit_code(within_s=settings.kafka.graceful_timeout_s) == 0

    store = open_store(settings.qdrant)
    try:
        profiles = store.count(COLLECTIONS.candidates, layout.PROFILES)
        points = store.count(COLLECTIONS.candidates)
        ids = [layout.point_id("candidate", candidate_id(i)) for i in range(COUNT)]
        found = {p.id for p in store.retrieve(COLLECTIONS.candidates, ids)}
    finally:
        store.close()
    assert profiles == COUNT and len(found) == COUNT  # every candidate has its profile point
    assert points == 2 * COUNT  # one profile and one chunk each, exactly: no duplicate points

    records = await read_topic(settings, topics.candidate_indexed)
    per_candidate = Counter(CandidateIndexedV1.model_validate_json(r.value).candidate_id for r in records)
    twice = sum(n - 1 for n in per_candidate.values())
    print(f"\n[{batch=}] killed after {at_kill} indexed; {len(records)} indexed events for {COUNT} "
          f"candidates: {twice} published twice (bound {TEST_PARTITIONS * batch})")  # fmt: skip
    assert len(per_candidate) == COUNT
    assert twice <= TEST_PARTITIONS * batch  # only what was in flight at the kill is redone
