"""Where decision records live: an append-only JSONL file (embedded mode) and the compacted
``decision.recorded.v1`` topic (always). Readers return records deduplicated by ``decision_id``
in log order, so a retried handler that recorded a decision twice counts once.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from schemas.events import DecisionRecordedV1
from services.platform.kafka import CLIENT_ID, client_options
from services.platform.settings import KafkaSettings


class DecisionFile:
    """One JSON record per line, appended and fsynced before the handler acks."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, *records_json: bytes) -> None:
        """Each record's JSON (``model_dump_json``), as the topic gets it, a line each; one fsync
        for all of them (a batch's decisions share it)."""
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("ab") as handle:
                handle.write(b"".join(line + b"\n" for line in records_json))
                handle.flush()
                os.fsync(handle.fileno())


def unique(records: Iterable[DecisionRecordedV1]) -> list[DecisionRecordedV1]:
    seen: dict[str, DecisionRecordedV1] = {}
    for record in records:
        seen.setdefault(record.decision_id, record)
    return list(seen.values())


def read_file(path: Path) -> list[DecisionRecordedV1]:
    """Every record of the file; a torn last line (a crash mid-append) is skipped."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(DecisionRecordedV1.model_validate_json(line))
        except ValidationError:
            if number != len(lines):
                raise
    return unique(records)


async def read_topic(
    settings: KafkaSettings, topic: str, timeout_ms: int = 2_000
) -> list[DecisionRecordedV1]:
    """The whole topic, from the beginning to the end offsets seen at the start (no group, no commit)."""
    consumer = AIOKafkaConsumer(
        client_id=f"{CLIENT_ID}-audit", enable_auto_commit=False, **client_options(settings)
    )
    await consumer.start()
    try:
        await consumer.topics()  # fetches metadata, so the partitions are known
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found: list[tuple[int, int, DecisionRecordedV1]] = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            batches = await consumer.getmany(*partitions, timeout_ms=timeout_ms)
            if not batches:
                break  # the end was not reached but nothing arrives: report what was read
            for records in batches.values():
                found += [
                    (r.timestamp, r.offset, DecisionRecordedV1.model_validate_json(r.value))
                    for r in records
                    if r.value is not None  # a tombstone carries nothing to read
                ]
    finally:
        await consumer.stop()
    return unique(record for _, _, record in sorted(found, key=lambda f: (f[2].generated_at, f[0], f[1])))
