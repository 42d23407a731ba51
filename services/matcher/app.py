"""Composition root of the matcher service. It reads vectors from the store and never
loads the embedding model, so it starts fast and stays small."""

from __future__ import annotations

import logging
import threading
import time

from faststream import FastStream
from faststream.asgi import AsgiFastStream
from faststream.kafka import KafkaBroker

from schemas.topics import Topics
from services.core.taxonomy import Taxonomy
from services.matcher.decisions import decision_book
from services.matcher.handlers import matcher_router
from services.matcher.heap import Heap
from services.matcher.request_batches import match_request_router
from services.matcher.shortlist_feed import ShortlistFeed
from services.matcher.shortlist_view import LatestShortlists
from services.matcher.usecases import Matcher
from services.matcher.web import web_routes
from services.matcher.web_queries import StoreQueries
from services.platform.embedder import model_name
from services.platform.http import asgi_app, broker_check, observed_broker, store_check
from services.platform.kafka import subscriber_options
from services.platform.settings import Settings
from services.platform.store.factory import open_store
from services.platform.store.layout import Collections
from services.platform.store.port import VectorStore

log = logging.getLogger("rolefit.matcher")


def build_matcher(settings: Settings, store: VectorStore) -> Matcher:
    Heap.space_young_collections()  # a pool's parse keeps ~70k objects: see heap.py
    return Matcher(
        store=store,
        taxonomy=Taxonomy.load(),
        collections=Collections.with_prefix(settings.qdrant.collection_prefix),
        model_name=model_name(settings.model),
        top_k=settings.matcher.top_k,
        retrieve_limit=settings.matcher.retrieve_limit,
        profile_cache_size=settings.matcher.profile_cache_size,
        decisions=decision_book(settings),
    )


def attach_matcher(broker: KafkaBroker, settings: Settings, matcher: Matcher) -> None:
    consumer = subscriber_options(settings.kafka, settings.matcher.group_id)
    topics = Topics(settings.kafka.topic_prefix)
    batched = settings.matcher.batch_max_records > 1
    broker.include_router(matcher_router(broker, topics, matcher, consumer, settings.retry, not batched))
    if batched:
        broker.include_router(
            match_request_router(broker, topics, matcher, consumer, settings.matcher, settings.retry)
        )


class WarmUp:
    """``Matcher.warm_up`` on a thread of its own, from the service's start (``start``) until it
    is done or the service stops (``stop``, before the store closes). Best effort: a store
    without collections yet (ingest creates them) has nothing to warm."""

    def __init__(self, matcher: Matcher, enabled: bool = True) -> None:
        self._matcher, self._enabled = matcher, enabled
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="profile-cache-warm-up", daemon=True)

    def start(self) -> None:
        if self._enabled:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wait()

    def wait(self, timeout: float | None = None) -> bool:
        """Waits for the warm-up to end; False if it still runs after ``timeout`` seconds."""
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        started = time.perf_counter()
        try:
            profiles = self._matcher.warm_up(self._stop)
        except Exception:  # the cache fills on demand instead
            log.warning("profile cache warm-up failed", exc_info=True)
            return
        log.info("profile cache warmed: %d profiles in %.1f s", profiles, time.perf_counter() - started)


def _compose(settings: Settings) -> tuple[KafkaBroker, VectorStore, WarmUp]:
    broker = observed_broker(settings.kafka, "matcher")
    store = open_store(settings.qdrant)
    matcher = build_matcher(settings, store)
    attach_matcher(broker, settings, matcher)
    return broker, store, WarmUp(matcher, settings.matcher.warm_up)


def create_app(settings: Settings | None = None) -> FastStream:
    """Broker only, no HTTP (``faststream run services.matcher.app:create_app --factory``)."""
    broker, store, warm_up = _compose(settings or Settings())
    app = FastStream(broker)
    app.on_startup(warm_up.start)
    app.after_shutdown(warm_up.stop)
    app.after_shutdown(store.close)
    return app


def create_asgi_app(settings: Settings | None = None) -> AsgiFastStream:
    """``rolefit run matcher``: the broker plus /health, /ready and /metrics (``http_port``), and
    the read-only recruiter page (``/``, ``/job?id=``; services.matcher.web).
    Not ready until ingest has created the collections: there is nothing to match before.
    The page's shortlists come from the topic, not from this process: every replica shows all."""
    settings = settings or Settings()
    broker, store, warm_up = _compose(settings)
    collections = Collections.with_prefix(settings.qdrant.collection_prefix)
    checks = {"broker": broker_check(broker), "store": store_check(store, collections.candidates)}
    app = asgi_app(broker, checks)
    shortlists = LatestShortlists()
    feed = ShortlistFeed(settings.kafka, shortlists)
    app.on_startup(feed.start)  # not after the broker: its group joins take seconds, the feed needs none
    app.on_shutdown(feed.stop)
    for path, route in web_routes(StoreQueries(store, collections, shortlists)):
        app.mount(path, route)
    app.on_startup(warm_up.start)
    app.after_shutdown(warm_up.stop)
    app.after_shutdown(store.close)
    return app
