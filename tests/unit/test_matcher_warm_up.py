"""A matcher warms its profile cache with the open jobs' pools as it starts."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from services import samples
from services.matcher.app import WarmUp, build_matcher
from services.matcher.usecases import Matcher
from services.platform.store import layout
from services.platform.store.port import VectorStore
from tests.unit.pipeline_harness import AT, Pipeline, pipeline


class ReadCounter:
    """The real store; counts the reads of candidate payloads (``retrieve``, ``retrieve_keys``)
    and the searches (``search_keys``) made through it."""

    def __init__(self, inner: VectorStore, candidates: str) -> None:
        self.inner, self.candidates = inner, candidates
        self.reads, self.searches = 0, 0

    def search_keys(self, *args: Any, **kwargs: Any) -> Any:
        self.searches += 1
        return self.inner.search_keys(*args, **kwargs)  # type: ignore[attr-defined]

    def retrieve(self, collection: str, *args: Any, **kwargs: Any) -> Any:
        self.reads += collection == self.candidates
        return self.inner.retrieve(collection, *args, **kwargs)

    def retrieve_keys(self, collection: str, *args: Any, **kwargs: Any) -> Any:
        self.reads += collection == self.candidates
        return self.inner.retrieve_keys(collection, *args, **kwargs)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    with pipeline(tmp_path_factory.mktemp("warm")) as p:
        for candidate in samples.load_candidates():
            p.submit(candidate)
        for job in samples.load_jobs()[:3]:
            p.post(job)
        yield p


def _fresh(p: Pipeline, store: VectorStore, capacity: int = 100_000) -> Matcher:
    settings = p.settings.model_copy(deep=True)
    settings.matcher.profile_cache_size = capacity
    return build_matcher(settings, store)


def test_after_a_warm_up_the_open_jobs_first_shortlists_read_no_profile(indexed: Pipeline) -> None:
    jobs = [job.job_id for job in samples.load_jobs()[:3]]
    cold = [_fresh(indexed, indexed.store).shortlist(j, "match_requested", AT) for j in jobs]
    store = ReadCounter(indexed.store, indexed.ingest.collections.candidates)
    matcher = _fresh(indexed, store)
    cached = matcher.warm_up()
    assert cached == len(matcher.profiles) > 0 and store.reads > 0
    store.reads = 0
    warm = [matcher.shortlist(j, "match_requested", AT) for j in jobs]
    assert store.reads == 0
    assert warm == cold


def test_a_warm_up_stops_when_the_cache_is_full_or_it_is_told_to(indexed: Pipeline) -> None:
    def warmed(capacity: int, stop: threading.Event | None = None) -> tuple[int, int]:
        store = ReadCounter(indexed.store, indexed.ingest.collections.candidates)
        return _fresh(indexed, store, capacity).warm_up(stop), store.searches

    everything, searches = warmed(100_000)
    profiles = indexed.store.count(indexed.ingest.collections.candidates, layout.PROFILES)
    assert everything == profiles > 5 and searches >= 3  # each of the three open jobs searched
    assert warmed(0) == (0, 0)
    small, searched = warmed(5)  # full after the first job's pool: no other job is searched
    assert small == 5 and 0 < searched < searches
    told = threading.Event()
    told.set()
    assert warmed(100_000, told) == (0, 0)


def test_the_service_warms_up_in_the_background_and_survives_a_store_without_collections(
    indexed: Pipeline, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    matcher = _fresh(indexed, indexed.store)
    warm_up = WarmUp(matcher)
    warm_up.start()
    assert warm_up.wait(60)
    assert len(matcher.profiles) == _fresh(indexed, indexed.store).warm_up() > 0
    with pipeline(tmp_path) as empty:  # ingest made the collections; the matcher's prefix differs
        settings = empty.settings.model_copy(deep=True)
        settings.qdrant.collection_prefix = "nothing-here-"
        lonely = WarmUp(build_matcher(settings, empty.store))
        lonely.start()
        assert lonely.wait(60)
    assert "profile cache warm-up failed" in caplog.text
    idle = _fresh(indexed, indexed.store)
    disabled = WarmUp(idle, enabled=False)
    disabled.start()
    assert disabled.wait(0) and len(idle.profiles) == 0
    disabled.stop()
