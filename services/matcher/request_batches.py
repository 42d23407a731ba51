"""``match.requested`` consumed in batches: one fsync and one broker round trip per step, per batch.

One request at a time, a worker waited on the broker and the disk ~6 ms of each ~30 ms request:
the decision's fsync, its publish, the shortlist's publish and the commit, one after another. With
two workers on two cores, both often waited at once and a core idled. Here a batch's shortlists are
computed together; their decisions are written with one fsync and published together, then the
shortlists, then the batch is committed once. The audit's order holds for the whole batch: every
decision is durable and acknowledged before any of the batch's shortlists is visible.

As one at a time, an undecodable or invalid request (or one whose job's stored data is poison) is
dead-lettered alone. Anything else failing (the store, the disk, the broker) retries the batch's
remaining requests with backoff: computing them again is safe, as a shortlist's id and its
decision's id depend only on the request and its record's time. When retries run out, each
partition is rewound to its first unanswered request (``services.platform.settled``): nothing is
skipped, and nothing dead-lettered is dead-lettered again.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.annotations import KafkaMessage
from tenacity import AsyncRetrying, stop_after_attempt, wait_exponential

from schemas.events import MatchRequestedV1
from schemas.topics import Topics
from services.matcher.outbox import Decided, shortlist_outbox
from services.matcher.usecases import Matcher
from services.platform.batch_records import Delivery, batched
from services.platform.dead_letters import POISON, count_retry
from services.platform.messaging import in_thread, per_handler_group, record_time
from services.platform.observability import metrics
from services.platform.settings import MatcherSettings, RetrySettings
from services.platform.settled import Settled

log = logging.getLogger("rolefit.matcher.requests")

# A shortlist and its decision; None: the job is unknown or closed; an exception: the request is poison.
Answer = Decided | None | BaseException


def match_request_router(
    broker: KafkaBroker,
    topics: Topics,
    matcher: Matcher,
    consumer: dict[str, Any],
    settings: MatcherSettings,
    retry: RetrySettings,
) -> KafkaRouter:
    # Not the per-message dead-letter middleware: it would treat the batch as one record.
    router = KafkaRouter()
    publish = shortlist_outbox(router, topics, matcher)
    answered_before = Settled()  # answered in a delivery that was then (partly) rewound

    def shortlist_all(requests: list[tuple[MatchRequestedV1, Any]]) -> list[Answer]:
        answers: list[Answer] = []
        for request, record in requests:
            at = record_time(SimpleNamespace(raw_message=record))
            try:
                shortlist = matcher.shortlist(request.job_id, "match_requested", at, request.top_k)
            except POISON as exc:  # this request's, never the batch's
                answers.append(exc)
                continue
            # Taken at once: the book keeps a few decisions per job, fewer than a batch may ask for.
            answers.append((shortlist, matcher.decisions.take(shortlist)) if shortlist else None)
        return answers

    @router.subscriber(
        topics.match_requested,
        **batched(settings.batch_max_records, settings.batch_timeout_ms),
        **per_handler_group(consumer, "match-requested"),
    )
    async def match_requested(values: list[bytes], msg: KafkaMessage) -> None:
        """Fresh shortlists for the jobs someone asked about, a batch of requests at a time."""
        delivery = Delivery(msg, answered_before)
        pending: list[tuple[int, MatchRequestedV1]] = []
        try:
            pending = await delivery.decoded(MatchRequestedV1, broker.publish)
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(retry.attempts),
                wait=wait_exponential(multiplier=retry.initial_wait_s, max=retry.max_wait_s),
                before_sleep=count_retry(topics.match_requested),
                reraise=True,
            ):
                with attempt:
                    asked = [(request, delivery.records[i]) for i, request in pending]
                    answers = await in_thread(shortlist_all, asked)
                    for (i, _), answer in zip(pending, answers, strict=True):
                        if isinstance(answer, BaseException):
                            await delivery.reject(i, answer, broker.publish)
                    pending = [(i, r) for i, r in pending if i not in delivery.settled]
                    await publish([a for a in answers if isinstance(a, tuple)])
            for i, _ in pending:
                delivery.settle(i)
        except Exception:
            log.exception("%d of %d requests from %s failed; rewinding them", len(pending),
                          len(delivery.records), topics.match_requested)  # fmt: skip
            metrics.exhausted(topics.match_requested)
        await delivery.commit()

    return router
