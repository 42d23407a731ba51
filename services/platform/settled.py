"""Which records of a batch are settled, and where each partition resumes after a failure.

A record is *settled* once its outcome can no longer change: its outputs (``candidate.indexed``, a
shortlist) or its dead letter were acknowledged by the broker, or it had nothing to publish. When
retries run out for some records, each partition is committed up to its settled prefix (contiguous
from the batch start) and rewound to its first unsettled record; later partitions' progress is not
thrown away with it.

Records settled *behind* an unsettled one come back with the rewind. ``Settled`` remembers them so
that the redelivery skips them instead of publishing their output a second time. It forgets a
record once its partition's position has moved past it (it is committed, or will be with the
next commit).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from aiokafka import TopicPartition


class Partition(NamedTuple):
    topic: str
    partition: int


def where(record: Any) -> tuple[Any, ...]:
    """A record's identity: offsets, plus key and value where offsets are not real (TestKafkaBroker)."""
    return (record.topic, record.partition, record.offset, record.key, hash(record.value))


def resume_at(records: Sequence[Any], settled: Iterable[int]) -> dict[Partition, int]:
    """Per partition of the batch, the offset to resume from: its first unsettled record, or one
    past its last record when every record of it is settled. ``settled``: positions in records."""
    done = set(settled)
    out: dict[Partition, int] = {}
    first_open: dict[Partition, int] = {}
    for i, record in enumerate(records):
        tp = Partition(record.topic, record.partition)
        if i not in done:
            first_open[tp] = min(first_open.get(tp, record.offset), record.offset)
        out[tp] = max(out.get(tp, record.offset + 1), record.offset + 1)
    return {**out, **first_open}


def rewound(records: Sequence[Any], settled: Iterable[int]) -> dict[Partition, int]:
    """The partitions that must be read again, and from where."""
    done = set(settled)
    out: dict[Partition, int] = {}
    for i, record in enumerate(records):
        if i not in done:
            tp = Partition(record.topic, record.partition)
            out[tp] = min(out.get(tp, record.offset), record.offset)
    return out


class Settled:
    """Records settled in a delivery that was (partly) rewound: the redelivery must skip them."""

    def __init__(self) -> None:
        self._seen: set[tuple[Any, ...]] = set()

    def __contains__(self, record: Any) -> bool:
        return where(record) in self._seen

    def add(self, record: Any) -> None:
        self._seen.add(where(record))

    def forget_before(self, positions: dict[Partition, int]) -> None:
        """Drop what lies before each partition's new position: it is not delivered again."""
        self._seen = {
            w for w in self._seen if (pos := positions.get(Partition(w[0], w[1]))) is None or w[2] >= pos
        }

    def __len__(self) -> int:
        return len(self._seen)


async def commit_settled(msg: Any, records: list[Any], settled: set[int], seen: Settled) -> None:
    """Rewind each partition to its first unsettled record, then commit every partition's position:
    the settled prefix where something failed, the whole batch elsewhere. When no partition moved
    on, nothing is committed: the rewind alone (FastStream's ``nack`` would rewind every partition
    to the batch start, settled prefixes included). ``msg``: the batch's FastStream message."""
    back = rewound(records, settled)
    for tp, offset in back.items():
        msg.consumer.seek(partition=TopicPartition(tp.topic, tp.partition), offset=offset)
    positions = resume_at(records, settled)
    if not back or any(_advanced(records, tp, offset) for tp, offset in positions.items()):
        await msg.ack()
        seen.forget_before(positions)


def _advanced(records: list[Any], tp: Partition, offset: int) -> bool:
    return offset > min(r.offset for r in records if (r.topic, r.partition) == tp)
