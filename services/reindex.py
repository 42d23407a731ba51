"""Re-indexing after a model or taxonomy change: ``rolefit reindex``.

Kafka is the source of truth. The store keeps profiles, evidence snippets and vectors, not the
documents, so nothing can be re-derived from it. Reindex reads the input topics from offset 0 to
the end offsets seen at start and runs every record through the ingest use-case with the current
embedder and taxonomy:

- assigned partitions, no consumer group: a reindex is bounded and every run must read
  everything, so committed offsets would only make a rerun skip work (and no live group moves);
- nothing is published: re-publishing inputs would duplicate upstream events, and indexed events
  would make the matcher redo every shortlist mid-run (ask with ``match.requested`` afterwards);
- safe to run in place: point ids derive from entity ids (overwritten, never added), ingest's
  version guard skips only versions *older* than the stored one (the same version is re-derived),
  and the erasure ledger refuses every submission made before an erasure;
- per entity, ``job.closed`` and ``candidate.erased`` are interleaved with ``job.posted`` and
  ``candidate.submitted`` by broker time, as live consumption would have applied them; they are
  small, so they are read first and held, while the large topics stream through.

Blue/green: with a target prefix the points go to a new generation of collections (the erasure
ledger is copied over first); the services switch by their ``collection_prefix``.

Staleness: ingest stamps every point with the model name and taxonomy version that produced it
(payload ``model`` / ``taxonomy_version``, ``layout.fingerprint``); a point whose stamp differs from
the current one, or that has none (written before stamping existed), is stale.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import ConsumerRecord

from schemas.events import CandidateErasedV1, CandidateSubmittedV1, JobClosedV1, JobPostedV1
from schemas.topics import Topics
from services.core.taxonomy import Taxonomy
from services.ingest.app import build_ingest
from services.ingest.usecases import Ingest
from services.platform.dead_letters import POISON
from services.platform.embedder import Embedder
from services.platform.settings import KafkaSettings, Settings
from services.platform.store import layout
from services.platform.store.layout import Collections
from services.platform.store.port import Point, VectorStore, Where
from services.topic_lag import bounded, partitions_of, read_to_end, throwaway_consumer


@dataclass(frozen=True)
class Fingerprint:
    """What produced a point's vector and profile."""

    model: str
    taxonomy_version: str

    def payload(self) -> dict[str, str]:
        return layout.fingerprint(self.model, self.taxonomy_version)


@dataclass(frozen=True)
class Staleness:
    collection: str
    points: int
    stale: int


def staleness(store: VectorStore, collections: Collections, current: Fingerprint) -> list[Staleness]:
    """Points per profile collection, and how many were not produced by ``current``."""
    fresh = Where(must=current.payload())
    rows = []
    for name in (collections.candidates, collections.jobs):
        total = store.count(name)
        rows.append(Staleness(name, total, total - store.count(name, fresh)))
    return rows


@dataclass
class ReindexReport:
    target: Collections
    current: Fingerprint
    before: list[Staleness] = field(default_factory=list)
    after: list[Staleness] = field(default_factory=list)
    records: int = 0  # input records read
    indexed: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # kind → records
    skipped: int = 0  # older than the stored version, or erased
    unreadable: int = 0  # undecodable or unusable: the live service dead-lettered these too
    closed: int = 0
    erased: int = 0


def prepare(store: VectorStore, live: Collections, target: Collections, dim: int) -> None:
    """Create the target collections; a new generation gets a copy of the erasure ledger, so an
    erased candidate stays erased there. In place, a changed dimension fails here (ValueError)."""
    for spec in target.specs(dim):
        store.ensure_collection(spec)
    if target.erasures != live.erasures:
        ledger = list(store.scroll(live.erasures, with_vectors=True))
        if ledger:
            store.upsert(target.erasures, [Point(p.id, p.payload, p.vector or [1.0]) for p in ledger])


def _at(record: ConsumerRecord[Any, Any]) -> datetime:
    """The record's broker time, as live ingest uses it: same ``submitted_at``, same ledger verdicts."""
    return datetime.fromtimestamp(record.timestamp / 1000, UTC)


class Replay:
    """Applies input records to the ingest use-case in the order live ingest would have."""

    def __init__(self, ingest: Ingest, topics: Topics, report: ReindexReport) -> None:
        self._ingest, self._topics, self._report = ingest, topics, report
        self._held: dict[tuple[str, str], list[tuple[datetime, str]]] = defaultdict(list)

    def hold(self, record: ConsumerRecord[Any, Any]) -> None:
        """A ``job.closed`` or ``candidate.erased`` record, applied later at its place in time."""
        try:
            if record.topic == self._topics.candidate_erased:
                key = ("candidate", CandidateErasedV1.model_validate_json(record.value or b"").candidate_id)
            else:
                key = ("job", JobClosedV1.model_validate_json(record.value or b"").job_id)
        except POISON:
            self._report.unreadable += 1
            return
        self._held[key].append((_at(record), record.topic))

    def apply(self, record: ConsumerRecord[Any, Any]) -> None:
        """A ``candidate.submitted`` or ``job.posted`` record: held events before it go first."""
        at = _at(record)
        try:
            if record.topic == self._topics.candidate_submitted:
                candidate = CandidateSubmittedV1.model_validate_json(record.value or b"")
                self._release(("candidate", candidate.candidate_id), at)
                done = self._ingest.index_candidate(candidate, at) is not None
                kind = "candidate"
            else:
                job = JobPostedV1.model_validate_json(record.value or b"")
                self._release(("job", job.job_id), at)
                done = self._ingest.index_job(job, at) is not None
                kind = "job"
        except POISON:  # what the live service dead-letters
            self._report.unreadable += 1
            return
        if done:
            self._report.indexed[kind] += 1
        else:
            self._report.skipped += 1

    def finish(self) -> None:
        for key in list(self._held):
            self._release(key, datetime.max.replace(tzinfo=UTC))

    def _release(self, key: tuple[str, str], before: datetime) -> None:
        held = sorted(self._held.get(key, []))
        due = [event for event in held if event[0] < before]
        self._held[key] = held[len(due) :]
        for at, topic in due:
            if topic == self._topics.candidate_erased:
                self._report.erased += self._ingest.erase_candidate(key[1], at)
            else:
                self._report.closed += self._ingest.close_job(key[1])


async def _records(settings: KafkaSettings, topics: list[str]) -> AsyncIterator[ConsumerRecord[Any, Any]]:
    consumer = throwaway_consumer(settings)
    try:
        await bounded(settings, consumer.start())
        partitions = [tp for topic in topics for tp in await partitions_of(consumer, topic)]
        async for record in read_to_end(consumer, partitions):
            yield record
    finally:
        await consumer.stop()


async def reindex(
    settings: Settings, store: VectorStore, embedder: Embedder, taxonomy: Taxonomy, into: str | None = None
) -> ReindexReport:
    """Re-derive every profile and vector from the input topics with ``embedder`` and ``taxonomy``:
    in place, or into the collections of prefix ``into`` (a new generation)."""
    live = Collections.with_prefix(settings.qdrant.collection_prefix)
    target = Collections.with_prefix(into) if into else live
    current = Fingerprint(embedder.name, taxonomy.version)
    prepare(store, live, target, embedder.dim)
    # Built as the ingest service builds it (limits, blind mode), so both derive the same profiles.
    qdrant = settings.qdrant.model_copy(
        update={"collection_prefix": into or settings.qdrant.collection_prefix}
    )
    ingest = build_ingest(settings.model_copy(update={"qdrant": qdrant}), store, embedder)
    ingest.taxonomy = taxonomy  # the service loads the shipped taxonomy; callers may stage another
    report = ReindexReport(target, current, before=staleness(store, target, current))
    topics = Topics(settings.kafka.topic_prefix)
    replay = Replay(ingest, topics, report)
    async for record in _records(settings.kafka, [topics.candidate_erased, topics.job_closed]):
        report.records += 1
        replay.hold(record)
    async for record in _records(settings.kafka, [topics.candidate_submitted, topics.job_posted]):
        report.records += 1
        if record.value is not None:  # an ATS tombstone: nothing to index
            await asyncio.to_thread(replay.apply, record)
    await asyncio.to_thread(replay.finish)
    report.after = staleness(store, target, current)
    return report
