"""Composition root of the ingest service: settings → adapters → use-cases → handlers."""

from __future__ import annotations

from collections.abc import Callable

from faststream import FastStream
from faststream.asgi import AsgiFastStream
from faststream.kafka import KafkaBroker

from schemas.topics import Topics
from services.core.documents import DocumentLimits
from services.core.taxonomy import Taxonomy
from services.ingest.batch_handler import batched_candidates
from services.ingest.handlers import ingest_router
from services.ingest.usecases import Ingest
from services.platform.embedder import Embedder, SentenceTransformerEmbedder
from services.platform.http import asgi_app, broker_check, observed_broker, store_check
from services.platform.kafka import subscriber_options
from services.platform.observability import TimedEmbedder, metrics
from services.platform.settings import Settings
from services.platform.store.factory import open_store
from services.platform.store.layout import Collections
from services.platform.store.port import VectorStore


def build_ingest(settings: Settings, store: VectorStore, embedder: Embedder) -> Ingest:
    collections = Collections.with_prefix(settings.qdrant.collection_prefix)
    for spec in collections.specs(embedder.dim):
        store.ensure_collection(spec)
    return Ingest(
        store=store,
        embedder=TimedEmbedder(embedder, metrics),
        taxonomy=Taxonomy.load(),
        collections=collections,
        limits=DocumentLimits(
            max_bytes=settings.ingest.max_document_bytes,
            max_page_content_bytes=settings.ingest.max_page_content_bytes,
        ),
        blind=settings.ingest.blind,
    )


def attach_ingest(broker: KafkaBroker, settings: Settings, ingest: Ingest) -> Callable[[], None]:
    """Returns what ends the threads and parse processes it started: call it once the broker stopped."""
    consumer = subscriber_options(settings.kafka, settings.ingest.group_id)
    topics = Topics(settings.kafka.topic_prefix)
    batched = settings.ingest.batch_max_records > 1
    broker.include_router(ingest_router(broker, topics, ingest, consumer, settings.retry, not batched))
    if not batched:
        return lambda: None
    router, indexer = batched_candidates(broker, topics, ingest, consumer, settings)
    broker.include_router(router)
    return indexer.close


def _compose(settings: Settings) -> tuple[KafkaBroker, VectorStore, Embedder, Callable[[], None]]:
    broker = observed_broker(settings.kafka, "ingest")
    store = open_store(settings.qdrant)
    embedder = SentenceTransformerEmbedder(settings.model)
    detach = attach_ingest(broker, settings, build_ingest(settings, store, embedder))
    return broker, store, embedder, detach


def create_app(settings: Settings | None = None) -> FastStream:
    """Broker only, no HTTP (``faststream run services.ingest.app:create_app --factory``)."""
    broker, store, _, detach = _compose(settings or Settings())
    app = FastStream(broker)
    app.after_shutdown(detach)
    app.after_shutdown(store.close)
    return app


def create_asgi_app(settings: Settings | None = None) -> AsgiFastStream:
    """``rolefit run ingest``: the broker plus /health, /ready and /metrics (``http_port``)."""
    settings = settings or Settings()
    broker, store, embedder, detach = _compose(settings)

    async def model_loaded() -> bool:
        # The model loads in _compose, before uvicorn binds; a lazy loader would report here.
        return embedder.dim > 0

    candidates = Collections.with_prefix(settings.qdrant.collection_prefix).candidates
    checks = {"broker": broker_check(broker), "store": store_check(store, candidates), "model": model_loaded}
    app = asgi_app(broker, checks)
    app.after_shutdown(detach)
    app.after_shutdown(store.close)
    return app
