"""Small helpers every handler uses: record time, keys, and running blocking use-cases."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

import anyio.to_thread
from faststream.kafka import KafkaBroker, KafkaRouter

from services.platform.dead_letters import PoisonMessage, dead_letter_middleware
from services.platform.settings import RetrySettings

JSON = {"content-type": "application/json"}  # headers for bytes published as they are: JSON
P = ParamSpec("P")
R = TypeVar("R")


def record_time(message: Any) -> datetime:
    """The broker's timestamp of the record: replays produce the same outputs."""
    timestamp = getattr(message.raw_message, "timestamp", None)
    if timestamp is None:
        return datetime.now(UTC)
    return datetime.fromtimestamp(timestamp / 1000, UTC)


def key(entity_id: str) -> bytes:
    return entity_id.encode("utf-8")


async def tombstone_as_none(message: Any, decode: Callable[[Any], Awaitable[Any]]) -> Any:
    """A subscriber ``decoder``: a tombstone (null value) reaches the handler as None, where
    FastStream would hand over empty bytes that fail validation and get dead-lettered."""
    if getattr(message.raw_message, "value", b"") is None:
        return None
    return await decode(message)


def tombstone_key(message: Any) -> str:
    """The entity id a tombstone is about; a tombstone without a usable key is poison."""
    raw = getattr(message.raw_message, "key", None)
    try:
        entity_id = raw.decode("utf-8") if isinstance(raw, bytes) else ""
    except UnicodeDecodeError:
        entity_id = ""
    if not entity_id:
        raise PoisonMessage("tombstone without a UTF-8 key")
    return entity_id


async def in_thread(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Embedding and store calls block; keep the event loop (heartbeats, other partitions) free."""
    return await anyio.to_thread.run_sync(lambda: function(*args, **kwargs))


def service_router(broker: KafkaBroker, retry: RetrySettings | None = None) -> KafkaRouter:
    """A router whose subscribers dead-letter poison and retry transient failures."""
    r = retry or RetrySettings()
    middleware = dead_letter_middleware(broker.publish, r.attempts, r.max_wait_s, r.initial_wait_s)
    return KafkaRouter(middlewares=[middleware])


def per_handler_group(consumer: dict[str, Any], name: str) -> dict[str, Any]:
    """One consumer group per handler (``<service group>.<handler>``): members that subscribe
    to different topics never force each other through a rebalance, and lag is per handler."""
    return {**consumer, "group_id": f"{consumer['group_id']}.{name}"}
