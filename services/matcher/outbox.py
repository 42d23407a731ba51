"""Shortlists published with their decision records, in the order the audit needs.

Every decision is durable (the local log, one fsync for all) and acknowledged by the broker before
any of the shortlists is sent, so no published shortlist escapes the audit; a retry records it again
under the same key (compaction dedupes). The one-at-a-time handlers publish one shortlist at a
time, the batched match requests a batch's.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from faststream.kafka import KafkaRouter

from schemas.events import DecisionRecordedV1, ShortlistPublishedV1
from schemas.topics import Topics
from services.matcher.decisions import decision_key
from services.matcher.usecases import Matcher
from services.platform.messaging import JSON, in_thread, key
from services.platform.observability import metrics

Decided = tuple[ShortlistPublishedV1, DecisionRecordedV1]  # a shortlist and its decision, taken from the book


def shortlist_outbox(
    router: KafkaRouter, topics: Topics, matcher: Matcher
) -> Callable[[Sequence[Decided]], Awaitable[None]]:
    """Declares the two topics on ``router`` and returns what publishes to them, recording each
    decision in ``matcher``'s book (read as it publishes: the AsyncAPI documents are rendered from
    routers whose matcher never runs)."""
    shortlists = router.publisher(topics.shortlist_published, schema=ShortlistPublishedV1)
    decisions = router.publisher(topics.decision_recorded, schema=DecisionRecordedV1)

    async def publish(decided: Sequence[Decided]) -> None:
        recorded = await in_thread(matcher.decisions.write, *(decision for _, decision in decided))
        await _all_acknowledged(
            [
                decisions.publish(body, key=decision_key(record), headers=JSON, no_confirm=True)
                for record, body in recorded
            ]
        )
        await _all_acknowledged(
            [shortlists.publish(s, key=key(s.job_id), no_confirm=True) for s, _ in decided]
        )
        for shortlist, _ in decided:
            # generated_at is the trigger record's broker timestamp (record_time): event → publish.
            metrics.observe_shortlist(shortlist.trigger, shortlist.generated_at)

    return publish


async def _all_acknowledged(sends: list[Awaitable[Any]]) -> None:
    """Sends in order (a partition keeps the order they were sent in), then waits for every
    acknowledgement; the first failure is raised once all have ended."""
    confirmations = [await send for send in sends]  # each a future of the broker's ack
    results = await asyncio.gather(
        *(c for c in confirmations if inspect.isawaitable(c)), return_exceptions=True
    )
    if failure := next((r for r in results if isinstance(r, BaseException)), None):
        raise failure
