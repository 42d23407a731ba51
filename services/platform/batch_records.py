"""Batched subscribers' records: the raw bodies, and each record decoded on its own.

A batch's body is left undecoded (``raw_values``) so that one bad record stays one: each is decoded
as FastStream decodes a single record (by its content-type), raising the same poison errors.
"""

from __future__ import annotations

from typing import Any, TypeVar

from faststream.kafka.message import KafkaMessage as OneMessage
from faststream.kafka.parser import AioKafkaParser
from faststream.message import StreamMessage, decode_message
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)
_ONE = AioKafkaParser(msg_class=OneMessage, regex=None)


async def raw_values(msg: StreamMessage[Any]) -> list[bytes]:
    """A batch subscriber's ``decoder``: the raw bodies, decoded per record in the handler."""
    return [record.value or b"" for record in records_of(msg)]


def records_of(msg: Any) -> list[Any]:
    """The batch's ``ConsumerRecord``s (one, under ``TestKafkaBroker``)."""
    raw = msg.raw_message
    return list(raw) if isinstance(raw, tuple | list) else [raw]


async def decode_record(record: Any, model: type[M]) -> M:
    return model.model_validate(decode_message(await _ONE.parse_message(record)))
