"""Poison messages go to ``<topic>.dlq`` once, with provenance headers; their offset is
committed so the partition keeps flowing. Anything else is treated as transient: retried
with backoff, then rewound (``nack``) so nothing past it is committed.

The headers and reason never carry message content: payloads hold personal data.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from faststream import BaseMiddleware
from faststream.message import StreamMessage
from pydantic import ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_not_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from schemas.topics import DLQ_SUFFIX, dead_letter_topic
from services.core.documents import DocumentError
from services.platform.observability import metrics

log = logging.getLogger("rolefit.dead_letters")

HEADER_PREFIX = "x-rolefit-"
MAX_REASON_CHARS = 500


class PoisonMessage(ValueError):
    """A record that will never succeed, however often it is retried."""


POISON: tuple[type[BaseException], ...] = (
    PoisonMessage,
    ValidationError,
    DocumentError,
    UnicodeDecodeError,
    json.JSONDecodeError,
)

Publish = Callable[..., Awaitable[Any]]


def describe(exc: BaseException) -> str:
    """A reason safe to store and log: field paths and messages, never input values."""
    if isinstance(exc, ValidationError):
        parts = [
            f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}" for e in exc.errors(include_input=False)
        ]
        text = "; ".join(parts)
    elif isinstance(exc, UnicodeDecodeError | json.JSONDecodeError):
        position = getattr(exc, "start", getattr(exc, "pos", "?"))
        text = f"body is not UTF-8 JSON ({type(exc).__name__} at position {position})"
    else:
        text = str(exc)
    return text[:MAX_REASON_CHARS]


def provenance_headers(record: Any, exc: BaseException) -> dict[str, str]:
    return {
        f"{HEADER_PREFIX}original-topic": record.topic,
        f"{HEADER_PREFIX}original-partition": str(record.partition),
        f"{HEADER_PREFIX}original-offset": str(record.offset),
        f"{HEADER_PREFIX}error-class": type(exc).__name__,
        f"{HEADER_PREFIX}error-message": describe(exc),
    }


async def dead_letter(publish: Publish, record: Any, exc: BaseException) -> None:
    """``record``'s original key and bytes to ``<topic>.dlq`` with provenance headers; logged and
    counted (the reason only, never the content)."""
    await publish(
        record.value,
        topic=dead_letter_topic(record.topic),
        key=record.key,
        headers=provenance_headers(record, exc),
    )
    log.warning(
        "dead-lettered %s[%s]@%s: %s", record.topic, record.partition, record.offset, type(exc).__name__
    )
    metrics.dead_letter(record.topic, type(exc).__name__)


class DeadLetterMiddleware(BaseMiddleware):
    """Wraps decoding and the handler. Built per message by ``dead_letter_middleware``."""

    def __init__(
        self, msg: Any, /, *, context: Any, publish: Publish, attempts: int, max_wait_s: float,
        initial_wait_s: float = 0.2,
    ) -> None:  # fmt: skip
        super().__init__(msg, context=context)
        self._publish = publish
        self._attempts = attempts
        self._max_wait_s = max_wait_s
        self._initial_wait_s = initial_wait_s

    async def consume_scope(self, call_next: Callable[..., Awaitable[Any]], msg: StreamMessage[Any]) -> Any:
        record = msg.raw_message
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_not_exception_type(POISON),
                stop=stop_after_attempt(self._attempts),
                wait=wait_exponential(multiplier=self._initial_wait_s, max=self._max_wait_s),
                before_sleep=count_retry(record.topic),
                reraise=True,
            ):
                with attempt:
                    return await call_next(msg)
        except POISON as exc:
            if record.topic.endswith(DLQ_SUFFIX):
                raise  # never dead-letter a dead letter
            await dead_letter(self._publish, record, exc)
            await msg.ack()
            return None
        except Exception:
            # Transient and still failing: rewind so the record is redelivered, never skipped.
            log.exception(
                "retries exhausted for %s[%s]@%s; rewinding", record.topic, record.partition, record.offset
            )
            metrics.exhausted(record.topic)
            await msg.nack()
            return None
        return None


def count_retry(topic: str) -> Callable[[RetryCallState], None]:
    def count(state: RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome is not None else None
        metrics.retry(topic, type(failure).__name__)

    return count


def dead_letter_middleware(
    publish: Publish, attempts: int = 5, max_wait_s: float = 5.0, initial_wait_s: float = 0.2
) -> Callable[..., Any]:
    def build(msg: Any, /, *, context: Any) -> DeadLetterMiddleware:
        return DeadLetterMiddleware(
            msg, context=context, publish=publish, attempts=attempts, max_wait_s=max_wait_s,
            initial_wait_s=initial_wait_s,
        )  # fmt: skip

    return build
