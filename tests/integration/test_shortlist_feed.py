"""The page's shortlist feed (services.matcher.shortlist_feed) against the real (Tansu) broker:
a fresh feed, like a matcher process that made none of them, reads every partition of the topics
from the start, keeps the latest shortlist per job, drops closed jobs and then follows new records."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import anyio
import pytest
from aiokafka import AIOKafkaProducer

from schemas.events import JobClosedV1, ShortlistPublishedV1
from schemas.topics import Topics
from services.matcher import shortlist_feed
from services.matcher.shortlist_feed import ShortlistFeed
from services.matcher.shortlist_view import LatestShortlists
from services.platform.kafka import client_options, create_topics
from services.platform.settings import KafkaSettings
from tests.conftest import TEST_PARTITIONS

pytestmark = pytest.mark.broker
T0 = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
JOBS = [f"job-{n}" for n in range(8)]  # enough keys to land on every partition


def made(job_id: str, minutes: int) -> ShortlistPublishedV1:
    return ShortlistPublishedV1(
        shortlist_id=f"{job_id}@{minutes}",
        job_id=job_id,
        job_version=1,
        generated_at=T0 + timedelta(minutes=minutes),
        trigger="match_requested",
        model="m",
        taxonomy_version="1",
        top_k=5,
        candidates=[],
    )


async def publish(settings: KafkaSettings, topic: str, job_id: str, value: bytes, at: datetime) -> None:
    producer = AIOKafkaProducer(**client_options(settings), enable_idempotence=False)
    await producer.start()
    try:
        timestamp_ms = int(at.timestamp() * 1000)  # the broker time a close is judged by
        await producer.send_and_wait(topic, value, key=job_id.encode(), timestamp_ms=timestamp_ms)
    finally:
        await producer.stop()


async def until(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    with anyio.fail_after(timeout_s):
        while not condition():
            await asyncio.sleep(0.05)


def latest_id(view: LatestShortlists, job_id: str) -> str | None:
    found = view.latest_shortlist(job_id)
    return found.shortlist_id if found else None


async def test_a_fresh_feed_shows_the_latest_shortlist_of_every_job(kafka_settings: KafkaSettings) -> None:
    topics = Topics(kafka_settings.topic_prefix)
    for job_id in JOBS:
        await publish(kafka_settings, topics.shortlist_published, job_id,
                      made(job_id, 5).model_dump_json().encode(), T0)  # fmt: skip
    late = made("job-1", 1).model_dump_json().encode()  # published last, generated earlier
    await publish(kafka_settings, topics.shortlist_published, "job-1", late, T0)
    closed = JobClosedV1(job_id="job-2").model_dump_json().encode()
    await publish(kafka_settings, topics.job_closed, "job-2", closed, T0 + timedelta(minutes=6))

    view = LatestShortlists()
    feed = ShortlistFeed(kafka_settings, view)
    await feed.start()
    try:
        await until(lambda: view.loaded)
        assert {job_id: latest_id(view, job_id) for job_id in JOBS if job_id != "job-2"} == {
            job_id: f"{job_id}@5" for job_id in JOBS if job_id != "job-2"
        }  # job-1's late, older record did not replace its newer one
        assert view.is_closed("job-2") and latest_id(view, "job-2") is None
        # Followed live: a correction (say, after an erasure) replaces the shortlist it corrects.
        await publish(kafka_settings, topics.shortlist_published, "job-3",
                      made("job-3", 9).model_dump_json().encode(), T0)  # fmt: skip
        await until(lambda: latest_id(view, "job-3") == "job-3@9")
    finally:
        await feed.stop()
    assert feed._task is not None and feed._task.done()


async def test_the_feed_waits_for_topics_created_after_it_started(
    kafka_settings: KafkaSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shortlist_feed, "RETRY_S", 0.2)
    settings = kafka_settings.model_copy(update={"topic_prefix": f"t{uuid.uuid4().hex[:12]}."})
    view = LatestShortlists()
    feed = ShortlistFeed(settings, view)
    await feed.start()
    try:
        await asyncio.sleep(1.0)
        assert not view.loaded  # no topics: the page keeps answering "loading", nothing crashed
        topics = Topics(settings.topic_prefix)
        await create_topics(settings, [topics.shortlist_published, topics.job_closed], TEST_PARTITIONS)
        await until(lambda: view.loaded)
        assert latest_id(view, "job-1") is None and not view.is_closed("job-1")
    finally:
        await feed.stop()
