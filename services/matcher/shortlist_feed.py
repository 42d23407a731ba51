"""Feeds ``LatestShortlists`` from Kafka: one plain aiokafka consumer per matcher process,
started and stopped with the app.

No consumer group: every process needs every partition, and a group join on the local broker
costs about half the session timeout. Partitions are discovered from metadata at start and
assigned by hand, read from the earliest offset, and nothing is committed: each start rebuilds
the view, which the view's update rules make safe (services.matcher.shortlist_view).
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from pydantic import ValidationError

from schemas.events import JobClosedV1, ShortlistPublishedV1
from schemas.topics import Topics
from services.matcher.shortlist_view import LatestShortlists
from services.platform.kafka import CLIENT_ID, client_options, fetch_options
from services.platform.settings import KafkaSettings

log = logging.getLogger(__name__)
RETRY_S = 2.0  # a missing topic or an unreachable broker: try again, the page answers 503 meanwhile


def apply_record(view: LatestShortlists, topics: Topics, record: ConsumerRecord) -> None:
    """One record of either topic into the view; a record that does not decode is skipped."""
    try:
        if record.topic == topics.job_closed:
            # The close's broker time, the same clock as a shortlist's generated_at (record_time).
            at = datetime.fromtimestamp(record.timestamp / 1000, UTC)
            view.apply_closed(JobClosedV1.model_validate_json(record.value or b"").job_id, at)
        else:
            view.apply_shortlist(ShortlistPublishedV1.model_validate_json(record.value or b""))
    except ValidationError as exc:
        log.warning("shortlist view: skipped %s[%d]@%d: %s", record.topic, record.partition,
                    record.offset, exc.errors()[0]["msg"])  # fmt: skip


@dataclass
class ShortlistFeed:
    settings: KafkaSettings
    view: LatestShortlists
    _task: asyncio.Task[None] | None = field(default=None, init=False)

    @property
    def topics(self) -> Topics:
        return Topics(self.settings.topic_prefix)

    async def start(self) -> None:
        """Returns at once: the app serves (503 for the page) while the topics are read."""
        self._task = asyncio.create_task(self._run(), name="shortlist-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            consumer = AIOKafkaConsumer(
                **client_options(self.settings), **fetch_options(self.settings),
                client_id=f"{CLIENT_ID}-shortlist-view", group_id=None,
                enable_auto_commit=False, auto_offset_reset="earliest",
            )  # fmt: skip
            try:
                await consumer.start()
                await self._tail(consumer)
            except Exception as exc:  # the page must outlive a broker outage: retry from the start
                log.warning("shortlist view: reading failed (%s: %s); retrying", type(exc).__name__, exc)
            finally:
                await consumer.stop()
            await asyncio.sleep(RETRY_S)

    async def _tail(self, consumer: AIOKafkaConsumer) -> None:
        tps = await partitions(consumer, [self.topics.shortlist_published, self.topics.job_closed])
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends, begins = await consumer.end_offsets(tps), await consumer.beginning_offsets(tps)
        behind = {tp: end for tp, end in ends.items() if end > begins[tp]}
        quiet: set[TopicPartition] = set()  # at the end offset after the last empty poll
        while True:
            batch = await consumer.getmany(timeout_ms=1000)
            for tp, records in batch.items():
                for record in records:  # every record, also those past the start's end offsets
                    apply_record(self.view, self.topics, record)
                if records and records[-1].offset + 1 >= behind.get(tp, 0):
                    behind.pop(tp, None)
            if batch:
                quiet = set()
            elif behind:
                # Offsets without records (transaction markers) end only by position, trusted after
                # two empty polls: one that timed out as a fetch landed still has records buffered.
                at_end = {tp for tp, end in behind.items() if await consumer.position(tp) >= end}
                behind = {tp: end for tp, end in behind.items() if tp not in at_end & quiet}
                quiet = at_end
            if not behind and not self.view.loaded:
                self.view.mark_loaded()
                log.info("shortlist view: read %s to the end", ", ".join(sorted({tp.topic for tp in tps})))


async def partitions(consumer: AIOKafkaConsumer, topics: list[str]) -> list[TopicPartition]:
    """Every partition of ``topics``, from fresh metadata; LookupError if a topic is missing."""
    await consumer.topics()  # refreshes the metadata for every topic
    found = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]
    missing = sorted(set(topics) - {tp.topic for tp in found})
    if missing:
        raise LookupError(f"topics {missing} do not exist yet")
    return found
