"""The pool from one wide scan is exactly the union of the two searches it replaces."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from services.core.model import Archetype, ArchetypeGuess, CandidateProfile
from services.core.taxonomy import Taxonomy
from services.matcher.pool import Pool
from services.matcher.profile_cache import STAMP_KEYS, ProfileCache
from services.platform.store import layout
from services.platform.store.edge import EdgeStore
from services.platform.store.port import CollectionSpec, Hit, Point, VectorStore, Where
from services.platform.store.qdrant import QdrantStore
from services.platform.store.scoring_view import scoring_view

SPEC = CollectionSpec("pool", 8, layout.KEYWORD_FIELDS)
TAXONOMY = Taxonomy.load()
LIMIT = 10
N = 200


class CountingStore:
    """A store that counts the searches it is asked for; everything else is the real store's."""

    def __init__(self, inner: EdgeStore | QdrantStore) -> None:
        self.inner, self.searches = inner, 0
        self.wheres: list[Where | None] = []
        self.matched: list[Where] = []  # each matching_ids call's filter
        self.keys: list[tuple[str, ...]] = []
        self.read: list[tuple[tuple[str, ...], int]] = []  # the keys and point count of each retrieve_keys

    def search_keys(
        self, collection: str, vector: Sequence[float], limit: int, where: Where | None, keys: Sequence[str]
    ) -> list[Hit]:
        self.searches += 1
        self.wheres.append(where)
        self.keys.append(tuple(keys))
        return self.inner.search_keys(collection, vector, limit, where, keys)

    def retrieve_keys(self, collection: str, ids: Sequence[str], keys: Sequence[str]) -> list[Point]:
        self.read.append((tuple(keys), len(ids)))
        return self.inner.retrieve_keys(collection, ids, keys)

    def matching_ids(self, collection: str, where: Where) -> list[str]:
        self.matched.append(where)
        return self.inner.matching_ids(collection, where)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def _point(profile: CandidateProfile, vector: list[float], skills: list[str], archetype: str,
           produced_by: dict[str, str] | None = None) -> Point:  # fmt: skip
    """A candidate's profile point as ingest writes it, scoring view included."""
    text = profile.model_dump_json()
    return layout.profile_point(
        "candidate", profile.candidate_id, profile.version, vector, text, skills, archetype,
        produced_by=produced_by, scoring_json=scoring_view(text, TAXONOMY),
    )  # fmt: skip


def _skills(i: int) -> list[str]:
    # "python": 9 in 10 profiles; "rare": 1 in 25, so the nearest 2 x LIMIT hold fewer than LIMIT.
    return [s for s, held in (("python", i % 10 != 0), ("rare", i % 25 == 0), ("sql", True)) if held]


@pytest.fixture(params=["edge", "qdrant-local"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CountingStore]:
    inner = EdgeStore(tmp_path) if request.param == "edge" else QdrantStore.local(tmp_path)
    inner.ensure_collection(SPEC)
    rng = np.random.default_rng(11)
    guess = ArchetypeGuess(archetype=Archetype.OTHER, confidence=0.5)
    profiles = [CandidateProfile(candidate_id=f"c{i:03d}", version=1, archetype=guess) for i in range(N)]
    vectors = rng.standard_normal((N, 8)).tolist()
    points = [
        _point(p, v, _skills(i), "other") for i, (p, v) in enumerate(zip(profiles, vectors, strict=True))
    ]
    # Chunk points are in the collection too; neither search may return them.
    points += layout.chunk_points("candidate", "c000", 1, ["a", "b"], [[1.0] * 8, [-1.0] * 8])
    inner.upsert(SPEC.name, points)
    yield CountingStore(inner)
    inner.close()


def _two_searches(store: VectorStore, vector: list[float], must: list[str]) -> dict[str, float]:
    hits = store.search(SPEC.name, vector, LIMIT, layout.PROFILES)
    if must:
        hits += store.search(SPEC.name, vector, LIMIT, layout.holding_any(must))
    return {h.payload["entity_id"]: h.score for h in hits}


@pytest.mark.parametrize(
    ("must", "searches"), [([], 1), (["python"], 1), (["rare"], 2), (["rare", "sql"], 1), (["absent"], 2)]
)
def test_the_pool_is_the_nearest_profiles_and_the_nearest_holders(
    store: CountingStore, must: list[str], searches: int
) -> None:
    pool = Pool(store, SPEC.name, ProfileCache(TAXONOMY), LIMIT)  # type: ignore[arg-type]
    for seed in range(5):
        vector = [float(x) for x in np.random.default_rng(seed).standard_normal(8)]
        store.searches, store.wheres, store.keys, store.matched = 0, [], [], []
        got = {parsed.profile.candidate_id: score for score, parsed in pool(vector, must)}
        assert got == pytest.approx(_two_searches(store.inner, vector, must))
        # The scan, then which of its hits hold a must-have (ids only, no vector scored, within
        # the scan's hits), and a search of the whole index only for rare ones.
        assert store.searches == searches
        assert [len(w.ids or ()) for w in store.matched] == ([LIMIT * Pool.WIDEN] if must else [])
        assert [w.must for w in store.matched] == ([layout.holding_any(sorted(must)).must] if must else [])
        # A store with revisions is asked for no payload at all; another for the stamp keys only.
        stamps = () if store.inner.revisioned else STAMP_KEYS
        assert store.keys == [stamps] * searches


def _rewrite(store: CountingStore, i: int, version: int, archetype: Archetype, taxonomy: str = "t1") -> str:
    """Profile ``i`` written again: same vector and skills, another archetype."""
    point_id = layout.point_id("candidate", f"c{i:03d}")
    vector = store.inner.retrieve(SPEC.name, [point_id], with_vectors=True)[0].vector
    guess = ArchetypeGuess(archetype=archetype, confidence=0.5)
    profile = CandidateProfile(candidate_id=f"c{i:03d}", version=version, archetype=guess)
    store.inner.upsert(
        SPEC.name,
        [_point(profile, vector or [], _skills(i), archetype.value, layout.fingerprint("model", taxonomy))],
    )
    return profile.candidate_id


def test_a_rewritten_profile_is_read_again(store: CountingStore) -> None:
    pool = Pool(store, SPEC.name, ProfileCache(TAXONOMY), LIMIT)  # type: ignore[arg-type]
    vector = [float(x) for x in np.random.default_rng(3).standard_normal(8)]

    def archetypes() -> dict[str, Archetype]:
        return {p.profile.candidate_id: p.profile.archetype.archetype for _, p in pool(vector, [])}

    first = archetypes()
    i = int(sorted(first)[0][1:])
    newer = _rewrite(store, i, 2, Archetype.DATA_SCIENTIST)  # a new version: either kind of stamp sees it
    assert archetypes() == first | {newer: Archetype.DATA_SCIENTIST}
    _rewrite(store, i, 2, Archetype.ML_ENGINEER, taxonomy="t2")  # a reindex under a new taxonomy
    assert archetypes() == first | {newer: Archetype.ML_ENGINEER}
    if store.inner.revisioned:  # the same version and producer written again: only a revision sees it
        _rewrite(store, i, 2, Archetype.DATA_ENGINEER, taxonomy="t2")
        assert archetypes() == first | {newer: Archetype.DATA_ENGINEER}


def test_misses_read_scoring_views_and_full_profiles_only_where_views_fail(store: CountingStore) -> None:
    """Misses read the points' scoring views alone (not skills, stamps or ids). Only points without
    a current view are read again, for their profile: one written before views (here also before
    profiles were stored as text: a nested object) and one whose view another taxonomy built."""
    ids = [layout.point_id("candidate", c) for c in ("c001", "c002")]
    legacy, stale = store.inner.retrieve(SPEC.name, ids, True)
    legacy.payload.pop(layout.SCORING_JSON)
    text = legacy.payload.pop(layout.PROFILE_JSON)
    nested = legacy.payload | {layout.PROFILE_OBJECT: json.loads(text)}
    view = json.loads(stale.payload[layout.SCORING_JSON])
    view["taxonomy"], view["profile"]["archetype"]["archetype"] = "older", Archetype.DATA_SCIENTIST.value
    outdated = stale.payload | {layout.SCORING_JSON: json.dumps(view)}
    store.inner.upsert(SPEC.name, [replace(legacy, payload=nested), replace(stale, payload=outdated)])
    pool = Pool(store, SPEC.name, ProfileCache(TAXONOMY), N)  # type: ignore[arg-type]
    vector = [float(x) for x in np.random.default_rng(4).standard_normal(8)]
    got = {p.profile.candidate_id: p.profile for _, p in pool(vector, [])}
    assert store.read == [((layout.SCORING_JSON,), N), (layout.PROFILE_KEYS, 2)] and len(got) == N
    assert got["c001"].model_dump_json() == text
    assert got["c002"].archetype.archetype is Archetype.OTHER  # the stored profile's, not the stale view's
