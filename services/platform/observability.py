"""Prometheus metrics of one rolefit process, and the small calls that record them.

One ``CollectorRegistry`` per process (``REGISTRY``), not prometheus_client's global one:
``/metrics`` then shows exactly what rolefit registered, and tests read the same object the
code writes to. Domain code never sees this module: handlers, the dead-letter middleware and
the embedder adapter call ``metrics``. FastStream's own consume/publish metrics
(``faststream_*``) come from ``KafkaPrometheusMiddleware`` on the same registry.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

from services.core.fairness import GroupRate
from services.platform.embedder import Embedder, Vectors

_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Event → shortlist spans consumer lag too, so the buckets reach minutes.
_LATENCY = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)
_CHUNKS = (1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144)
_FILE_KINDS = {"pdf": "pdf", "docx": "docx", "txt": "text", "md": "text", "": "text"}


class Metrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.documents = Counter(
            "rolefit_documents_ingested", "Documents ingested, by entity, kind and outcome.",
            ["entity", "kind", "outcome"], registry=registry,
        )  # fmt: skip
        self.embedding = Histogram(
            "rolefit_embedding_seconds", "One embed call (a document's chunks), lock wait included.",
            buckets=_SECONDS, registry=registry,
        )  # fmt: skip
        self.chunks = Histogram(
            "rolefit_document_chunks", "Chunks (model windows) per document.", buckets=_CHUNKS,
            registry=registry,
        )  # fmt: skip
        self.shortlist_latency = Histogram(
            "rolefit_shortlist_latency_seconds",
            "Trigger record's broker timestamp → its shortlist published, by trigger.",
            ["trigger"], buckets=_LATENCY, registry=registry,
        )  # fmt: skip
        self.dead_letters = Counter(
            "rolefit_dead_letters", "Records sent to <topic>.dlq, by original topic and error class.",
            ["topic", "error_class"], registry=registry,
        )  # fmt: skip
        self.retries = Counter(
            "rolefit_retries", "Handler retries after a transient failure, by topic and error class.",
            ["topic", "error_class"], registry=registry,
        )  # fmt: skip
        self.retries_exhausted = Counter(
            "rolefit_retries_exhausted", "Records rewound (nack) after the last retry failed, by topic.",
            ["topic"], registry=registry,
        )  # fmt: skip

    def document(self, entity: str, kind: str, outcome: str) -> None:
        self.documents.labels(entity, kind, outcome).inc()

    @contextmanager
    def document_outcome(
        self, entity: str, kind: str, rejected: tuple[type[BaseException], ...]
    ) -> Iterator[DocumentOutcome]:
        """Counts one document: ``rejected`` errors are final (dead-lettered); others are
        transient and retried, so they count nothing here (see ``rolefit_retries``)."""
        outcome = DocumentOutcome()
        try:
            yield outcome
        except rejected:
            self.document(entity, kind, "rejected")
            raise
        self.document(entity, kind, outcome.value)

    def observe_embedding(self, seconds: float) -> None:
        self.embedding.observe(seconds)

    def observe_chunks(self, count: int) -> None:
        self.chunks.observe(count)

    def observe_shortlist(self, trigger: str, since: datetime) -> None:
        self.shortlist_latency.labels(trigger).observe(max(0.0, (datetime.now(UTC) - since).total_seconds()))

    def dead_letter(self, topic: str, error_class: str) -> None:
        self.dead_letters.labels(topic, error_class).inc()

    def retry(self, topic: str, error_class: str) -> None:
        self.retries.labels(topic, error_class).inc()

    def exhausted(self, topic: str) -> None:
        self.retries_exhausted.labels(topic).inc()

    def kafka_middleware(self, app_name: str) -> KafkaPrometheusMiddleware:
        """FastStream's per-handler consume/publish metrics, on this registry."""
        return KafkaPrometheusMiddleware(registry=self.registry, app_name=app_name)

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class FairnessGauges:
    """The figures of ``rolefit audit`` by job (``all`` for every job), dimension and group. The audit
    sets them on a registry of its own and writes it as a textfile-collector file (or pushes it)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        def gauge(name: str, doc: str) -> Gauge:
            return Gauge(f"rolefit_fairness_{name}", doc, ["job", "dimension", "group"], registry=registry)

        self.rate = gauge("selection_rate", "Shortlisted / considered.")
        self.ratio = gauge("impact_ratio", "Selection rate / highest group rate.")
        self.considered = gauge("considered", "Decisions in the group.")
        self.adverse = gauge("adverse_impact", "1 where the impact ratio is under 0.8.")

    def set(self, job: str, groups: Sequence[GroupRate]) -> None:
        for g in groups:
            labels = (job, g.dimension, g.group)
            self.rate.labels(*labels).set(g.rate)
            self.considered.labels(*labels).set(g.considered)
            self.adverse.labels(*labels).set(int(g.adverse))
            if g.impact_ratio is not None:  # not compared: no ratio series rather than a fake 0
                self.ratio.labels(*labels).set(g.impact_ratio)


@dataclass
class DocumentOutcome:
    value: str = "indexed"


def document_kind(filename: str | None) -> str:
    """A bounded label: ``text``, ``pdf``, ``docx`` or ``other`` (never the file name)."""
    if filename is None:
        return "text"
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return _FILE_KINDS.get(extension, "other")


class TimedEmbedder:
    """The ``Embedder`` port with timing. Ingest chunks each document once and embeds its
    chunks in one call, so these are per-document numbers."""

    def __init__(self, inner: Embedder, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics
        self.name = inner.name
        self.dim = inner.dim

    def chunk(self, text: str) -> list[str]:
        chunks = self._inner.chunk(text)
        if chunks:
            self._metrics.observe_chunks(len(chunks))
        return chunks

    def embed(self, texts: Sequence[str]) -> Vectors:
        started = time.perf_counter()
        try:
            return self._inner.embed(texts)
        finally:
            self._metrics.observe_embedding(time.perf_counter() - started)


def _process_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    # A private registry lacks the default process/runtime collectors; memory and CPU matter here.
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


REGISTRY = _process_registry()
metrics = Metrics(REGISTRY)
