"""Batched subscribers' records: the raw bodies, each record decoded on its own, and a delivery's
progress (which records are settled, what to commit).

A batch's body is left undecoded (``raw_values``) so that one bad record stays one: each is decoded
as FastStream decodes a single record (by its content-type), raising the same poison errors.
"""

from __future__ import annotations

from typing import Any, TypeVar

from faststream.kafka.message import KafkaMessage as OneMessage
from faststream.kafka.parser import AioKafkaParser
from faststream.message import StreamMessage, decode_message
from pydantic import BaseModel

from services.platform.dead_letters import POISON, Publish, dead_letter
from services.platform.settled import Settled, commit_settled

M = TypeVar("M", bound=BaseModel)
_ONE = AioKafkaParser(msg_class=OneMessage, regex=None)


def batched(max_records: int, timeout_ms: int) -> dict[str, Any]:
    """A subscriber's options for batches whose records are decoded one by one (``Delivery``)."""
    return {"batch": True, "max_records": max_records, "batch_timeout_ms": timeout_ms, "decoder": raw_values}


async def raw_values(msg: StreamMessage[Any]) -> list[bytes]:
    """A batch subscriber's ``decoder``: the raw bodies, decoded per record in the handler."""
    return [record.value or b"" for record in records_of(msg)]


def records_of(msg: Any) -> list[Any]:
    """The batch's ``ConsumerRecord``s (one, under ``TestKafkaBroker``)."""
    raw = msg.raw_message
    return list(raw) if isinstance(raw, tuple | list) else [raw]


class Delivery:
    """One delivered batch and which of its records are settled (see ``services.platform.settled``).
    ``before``: the subscriber's memory of records settled in a delivery that was then (partly)
    rewound, skipped when they come back."""

    def __init__(self, msg: Any, before: Settled) -> None:
        self.msg, self.before = msg, before
        self.records = records_of(msg)
        self.settled: set[int] = set()  # positions in records

    def settle(self, i: int) -> None:
        self.settled.add(i)
        self.before.add(self.records[i])

    async def reject(self, i: int, exc: BaseException, publish: Publish) -> None:
        """Dead-letters record ``i``, which is poison, and settles it."""
        await dead_letter(publish, self.records[i], exc)
        self.settle(i)

    async def decoded(self, model: type[M], publish: Publish) -> list[tuple[int, M]]:
        """(position, event) of each record still to do; poison is rejected."""
        pending: list[tuple[int, M]] = []
        for i, record in enumerate(self.records):
            if record in self.before:
                self.settled.add(i)
                continue
            try:
                pending.append((i, model.model_validate(decode_message(await _ONE.parse_message(record)))))
            except POISON as exc:
                await self.reject(i, exc, publish)
        return pending

    async def commit(self) -> None:
        await commit_settled(self.msg, self.records, self.settled, self.before)
