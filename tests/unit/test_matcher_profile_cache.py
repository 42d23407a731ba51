"""The matcher's cache of parsed profiles: current copies only, bounded, and nothing erased."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services import samples
from services.core.model import CandidateProfile
from services.core.scoring import skill_index
from services.core.taxonomy import Taxonomy
from services.matcher.decisions import profile_sha256
from services.matcher.heap import Heap
from services.matcher.pool import hit_stamp
from services.matcher.profile_cache import Parsed, ProfileCache, Stamp, stamp_of
from services.platform.store import layout
from services.platform.store.port import Where
from services.platform.store.scoring_view import scoring_view
from tests.reliability.stores import ReadOnlyStore
from tests.unit.pipeline_harness import AT, Pipeline, pipeline


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return Taxonomy.load()


@pytest.fixture
def indexed(tmp_path: Path) -> Iterator[Pipeline]:
    with pipeline(tmp_path) as p:
        for candidate in samples.load_candidates()[:6]:
            p.submit(candidate)
        p.post(samples.load_jobs()[0])
        yield p


def _payloads(p: Pipeline) -> list[dict[str, Any]]:
    points = p.store.scroll(p.ingest.collections.candidates, layout.PROFILES)
    return [pt.payload for pt in sorted(points, key=lambda pt: pt.id)]


def _as(payload: dict[str, Any], candidate_id: str, version: int) -> dict[str, Any]:
    stored, _ = layout.read_profile(payload, CandidateProfile)
    profile = stored.model_copy(update={"candidate_id": candidate_id, "version": version})
    text = profile.model_dump_json()
    return {**payload, "entity_id": candidate_id, "version": version, layout.PROFILE_JSON: text,
            layout.SCORING_JSON: scoring_view(text, Taxonomy.load())}  # fmt: skip


def test_a_newer_version_replaces_the_cached_profile(indexed: Pipeline, taxonomy: Taxonomy) -> None:
    first, other = _payloads(indexed)[:2]
    cache = ProfileCache(taxonomy)
    old = _parse(cache, _as(first, "c-1", 1))
    assert cache.get("c-1", stamp_of(_as(first, "c-1", 1))) is old
    new = _parse(cache, _as(other, "c-1", 2))
    assert cache.get("c-1", stamp_of(_as(first, "c-1", 1))) is None  # the old stamp no longer matches
    assert cache.get("c-1", stamp_of(_as(other, "c-1", 2))) is new
    assert new.profile.version == 2 and len(cache) == 1


@pytest.mark.parametrize(
    ("key", "other"),
    [
        ("submitted_at", "2024-02-01T00:00:00+00:00"),
        (layout.TAXONOMY_KEY, "next"),
        (layout.MODEL_KEY, "m@fp32"),
    ],
)
def test_what_else_the_stamp_holds(indexed: Pipeline, taxonomy: Taxonomy, key: str, other: str) -> None:
    """The submission time (a resubmission after an erasure) and what produced the profile (a
    reindex under a new model or taxonomy keeps version and time) are part of it too."""
    payload = _as(_payloads(indexed)[0], "c-1", 3) | {"submitted_at": "2024-01-01T00:00:00+00:00"}
    cache = ProfileCache(taxonomy)
    _parse(cache, payload)
    assert cache.get("c-1", stamp_of(payload)) is not None
    assert payload[key] != other and cache.get("c-1", stamp_of(payload | {key: other})) is None


def test_the_cache_stays_within_its_bound_and_drops_the_least_recently_used(
    indexed: Pipeline, taxonomy: Taxonomy
) -> None:
    payload = _payloads(indexed)[0]
    cache = ProfileCache(taxonomy, capacity=3)
    for i in range(3):
        _parse(cache, _as(payload, f"c-{i}", 1))
    assert cache.get("c-0", stamp_of(_as(payload, "c-0", 1))) is not None  # c-0 used: c-1 is oldest
    _parse(cache, _as(payload, "c-3", 1))
    assert len(cache) == 3
    assert cache.get("c-1", stamp_of(_as(payload, "c-1", 1))) is None
    assert all(cache.get(f"c-{i}", stamp_of(_as(payload, f"c-{i}", 1))) for i in (0, 2, 3))


def test_a_cached_profile_is_the_parse_of_the_stored_one(indexed: Pipeline) -> None:
    job_id = samples.load_jobs()[0].job_id
    indexed.decide(job_id)
    for payload in _payloads(indexed):
        parsed = indexed.matcher.profiles.get(*_looked_up(indexed, payload["entity_id"]))
        assert parsed is not None
        stored, text = layout.read_profile(payload, CandidateProfile)
        assert stored.skills and parsed.profile == stored.model_copy(update={"skills": []})
        assert parsed.index == skill_index(stored, indexed.matcher.taxonomy)  # what scoring reads of them
        assert parsed.sha256 == layout.text_sha256(text) == profile_sha256(stored)


def test_a_profile_stored_before_profiles_were_text_still_parses_with_the_same_digest(
    indexed: Pipeline, taxonomy: Taxonomy
) -> None:
    payload = _payloads(indexed)[0]
    text = payload[layout.PROFILE_JSON]
    views = (layout.PROFILE_JSON, layout.SCORING_JSON)  # written before either
    legacy = {k: v for k, v in payload.items() if k not in views} | {"profile": json.loads(text)}
    new, old = _parse(ProfileCache(taxonomy), payload), _parse(ProfileCache(taxonomy), legacy)
    assert old.profile == new.profile and old.sha256 == new.sha256


def test_an_erased_candidate_is_evicted_and_never_shortlisted_again(indexed: Pipeline) -> None:
    job_id = samples.load_jobs()[0].job_id
    matcher = indexed.matcher
    before = indexed.considered(job_id)
    gone = sorted(before)[0]
    key, stamp = _looked_up(indexed, gone)
    assert matcher.profiles.get(key, stamp) is not None
    assert indexed.ingest.erase_candidate(gone, AT + timedelta(days=1))
    # Even before the tombstone reaches the matcher, the store says who is in the pool.
    assert gone not in indexed.considered(job_id)
    matcher.forget_candidate(gone, AT + timedelta(days=1))
    assert matcher.profiles.get(key, stamp) is None
    assert set(indexed.considered(job_id)) == set(before) - {gone}


class ErasingStore:
    """The real store, where a candidate is erased (its tombstone handled) while a pool is read."""

    def __init__(self, p: Pipeline, candidate_id: str) -> None:
        self.inner, self.p, self.candidate_id = p.store, p, candidate_id
        self.erased = False

    def retrieve_keys(self, *args: Any, **kwargs: Any) -> Any:
        found = self.inner.retrieve_keys(*args, **kwargs)  # type: ignore[attr-defined]
        if not self.erased:  # read just before the erasure (a handler on another thread), parsed after
            self.erased = True
            self.p.ingest.erase_candidate(self.candidate_id, AT + timedelta(days=1))
            self.p.matcher.forget_candidate(self.candidate_id, AT + timedelta(days=1))
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_pool_read_racing_an_erasure_keeps_no_copy_of_the_erased_profile(indexed: Pipeline) -> None:
    job_id = samples.load_jobs()[0].job_id
    gone = sorted(indexed.considered(job_id))[0]
    key, stamp = _looked_up(indexed, gone)
    indexed.matcher.profiles = ProfileCache(indexed.matcher.taxonomy)  # the pool is read again
    indexed.matcher.store = ErasingStore(indexed, gone)
    indexed.matcher.shortlist(job_id, "match_requested", AT)
    assert indexed.matcher.profiles.get(key, stamp) is None
    assert len(indexed.matcher.profiles) > 0  # the rest of the pool is cached


def test_the_cache_keeps_nothing_evicted_after_a_readers_mark(indexed: Pipeline, taxonomy: Taxonomy) -> None:
    cache = ProfileCache(taxonomy)
    payload = _as(_payloads(indexed)[0], "c-1", 1)
    mark = cache.mark()
    cache.evict("c-1")
    point_id = layout.point_id("candidate", "c-1")
    assert cache.parse(point_id, stamp_of(payload), payload, mark) is not None  # read, not kept
    assert cache.get(point_id, stamp_of(payload)) is None
    cache.parse(point_id, stamp_of(payload), payload, cache.mark())  # a read after the erasure
    assert cache.get(point_id, stamp_of(payload)) is not None
    # Past ERASURES_KEPT evictions a mark is too old to check: nothing read under it is kept.
    cache.ERASURES_KEPT = 2
    mark = cache.mark()
    for other in ("c-2", "c-3"):
        cache.evict(other)
    cache.parse("c-4", stamp_of(payload), payload, mark)
    assert cache.get("c-4", stamp_of(payload)) is None


def test_a_resubmitted_candidate_is_scored_from_the_new_profile(indexed: Pipeline) -> None:
    job_id = samples.load_jobs()[0].job_id
    candidates = samples.load_candidates()
    indexed.decide(job_id)
    # Candidate 0 is resubmitted (version 2) with candidate 1's résumé.
    event = candidates[1].model_copy(update={"candidate_id": candidates[0].candidate_id, "version": 2})
    indexed.submit(event)
    considered = indexed.considered(job_id)[candidates[0].candidate_id]
    assert considered.candidate_version == 2
    parsed = indexed.matcher.profiles.get(*_looked_up(indexed, candidates[0].candidate_id))
    assert parsed is not None and parsed.profile.version == 2
    assert considered.profile_sha256 == parsed.sha256


def test_a_store_without_keyed_search_gives_the_same_shortlist(indexed: Pipeline) -> None:
    job_id = samples.load_jobs()[0].job_id
    at = datetime(2024, 7, 1, tzinfo=UTC)
    keyed = indexed.matcher.shortlist(job_id, "match_requested", at)
    plain = indexed.matcher.__class__(
        store=ReadOnlyStore(indexed.store),  # search and retrieve only, whole payloads
        taxonomy=indexed.matcher.taxonomy,
        collections=indexed.matcher.collections,
        model_name=indexed.matcher.model_name,
    )
    assert plain.shortlist(job_id, "match_requested", at) == keyed
    assert len(plain.profiles) == len(indexed.considered(job_id))


def test_a_cold_and_a_warm_cache_give_the_same_decision(indexed: Pipeline) -> None:
    job_id = samples.load_jobs()[0].job_id
    cold = indexed.decide(job_id)
    warm = indexed.decide(job_id)
    assert warm.considered == cold.considered and warm.decision_id == cold.decision_id


def test_the_heap_is_frozen_only_once_the_cache_is_large() -> None:
    heap = Heap(min_cached=10)
    try:
        assert not heap.settle(9) and gc.get_freeze_count() == 0
        assert heap.settle(10) and gc.get_freeze_count() > 0
        heap.THAW_EVERY = 2
        assert not heap.settle(10)  # the second settle hands everything back to the collector
        assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()


def test_the_matcher_process_spaces_young_collections(tmp_path: Path) -> None:
    threshold = gc.get_threshold()
    try:
        gc.set_threshold(700, *threshold[1:])
        with pipeline(tmp_path):  # builds the matcher through its composition root
            assert gc.get_threshold() == (Heap.YOUNG_THRESHOLD, *threshold[1:])
    finally:
        gc.set_threshold(*threshold)


def _looked_up(p: Pipeline, candidate_id: str) -> tuple[str, Stamp]:
    """The key and stamp the matcher's pool looks the candidate's profile up by, as stored now."""
    point_id = layout.point_id("candidate", candidate_id)
    hits = p.store.search(p.ingest.collections.candidates, p.vector(candidate_id), 1, Where(ids=[point_id]))
    return point_id, hit_stamp(hits[0])


def _parse(cache: ProfileCache, payload: dict[str, Any]) -> Parsed:
    """Kept as a search that read the payload's stamp keys would have it kept: by its entity id here."""
    parsed = cache.parse(payload["entity_id"], stamp_of(payload), payload, cache.mark())
    assert parsed is not None
    return parsed
