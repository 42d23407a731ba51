"""The ``VectorStore`` contract, checked against every adapter (see conftest) and numpy brute force."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from services.platform.settings import QdrantSettings
from services.platform.store.edge import EdgeStore
from services.platform.store.factory import collection_name, open_store
from services.platform.store.port import (
    CollectionSpec,
    KeyedSearch,
    Point,
    Scalar,
    StoreInUse,
    VectorStore,
    Where,
)
from services.platform.store.qdrant import QdrantStore
from tests.contract.conftest import Backend

ARCHETYPES = ("ml-engineer", "data-scientist", "researcher", "mlops")
SKILLS = ("python", "pytorch", "sql", "rust", "kafka")
FIELDS = ("archetype", "skills", "level", "remote")


# --- reference semantics -------------------------------------------------------------------------


def _values(v: Scalar | Sequence[Scalar]) -> tuple[Scalar, ...]:
    return (v,) if isinstance(v, str | int) else tuple(v)


def _hit(stored: Any, wanted: tuple[Scalar, ...]) -> bool:
    # JSON equality: true is not 1, so compare types as well as values
    items = stored if isinstance(stored, list) else [stored]
    return any(type(s) is type(w) and s == w for s in items for w in wanted)


def matches(payload: dict[str, Any], where: Where | None) -> bool:
    if where is None:
        return True
    ok = all(k in payload and _hit(payload[k], _values(v)) for k, v in where.must.items())
    return ok and not any(k in payload and _hit(payload[k], _values(v)) for k, v in where.must_not.items())


def brute(
    points: list[Point], query: Sequence[float], limit: int, where: Where | None = None
) -> list[tuple[str, float]]:
    kept = [p for p in points if matches(p.payload, where)]
    if not kept:
        return []
    m = np.array([p.vector for p in kept], dtype=np.float64)
    q = np.asarray(query, dtype=np.float64)
    scores = (m / np.linalg.norm(m, axis=1, keepdims=True)) @ (q / np.linalg.norm(q))
    ranked = sorted(zip([p.id for p in kept], scores.tolist(), strict=True), key=lambda t: (-t[1], t[0]))
    return ranked[:limit]


# --- data ----------------------------------------------------------------------------------------


def random_points(n: int, dim: int, seed: int) -> list[Point]:
    rng = np.random.default_rng(seed)
    points = []
    for i in range(n):
        payload: dict[str, Any] = {
            "archetype": ARCHETYPES[int(rng.integers(len(ARCHETYPES)))],
            "skills": [s for s in SKILLS if rng.random() < 0.4],
            "remote": bool(rng.random() < 0.5),
            "i": i,
        }
        if i % 7:  # some points lack the field: must fails on them, must_not passes
            payload["level"] = int(rng.integers(1, 5))
        points.append(
            Point(
                str(uuid.UUID(int=int(rng.integers(2**62)) << 64 | i)), payload, rng.normal(size=dim).tolist()
            )
        )
    return points


def loaded(
    store: VectorStore, backend: Backend, points: list[Point], keyword_fields: tuple[str, ...] = FIELDS
) -> str:
    spec = backend.spec(len(points[0].vector or ()), keyword_fields)
    store.ensure_collection(spec)
    store.upsert(spec.name, points)
    return spec.name


def assert_ranked(hits: Sequence[Any], expected: list[tuple[str, float]]) -> None:
    assert [h.id for h in hits] == [i for i, _ in expected]
    assert np.allclose([h.score for h in hits], [s for _, s in expected], atol=1e-4)


def unit(v: Sequence[float]) -> np.ndarray:
    a = np.asarray(v, dtype=np.float64)
    return a / np.linalg.norm(a)


# --- collections, writes, reads ------------------------------------------------------------------


def test_ensure_collection_is_idempotent(store: VectorStore, backend: Backend) -> None:
    spec = backend.spec(8, ("skills",))
    store.ensure_collection(spec)
    points = random_points(20, 8, seed=1)
    store.upsert(spec.name, points)
    store.ensure_collection(spec)
    store.ensure_collection(CollectionSpec(spec.name, 8, ("skills", "archetype")))
    assert store.count(spec.name) == 20
    assert store.count(spec.name, Where(must={"archetype": "mlops"})) == sum(
        p.payload["archetype"] == "mlops" for p in points
    )
    with pytest.raises(ValueError):
        store.ensure_collection(CollectionSpec(spec.name, 9))


def test_upsert_then_retrieve_round_trips_payload(store: VectorStore, backend: Backend) -> None:
    payload = {
        "name": "Zoë Ångström — 日本語 🚀",
        "nested": {"a": [1, 2, {"b": None, "c": [True, False]}], "d": {"e": "f"}},
        "mixed": ["x", 1, 2.5, True, None],
        "n": 42,
        "f": 0.1,
        "flag": False,
        "empty": {},
        "none": [],
    }
    spec = backend.spec(4)
    store.ensure_collection(spec)
    a, b, missing = (str(uuid.uuid4()) for _ in range(3))
    store.upsert(
        spec.name, [Point(a, payload, [3.0, 0.0, 4.0, 0.0]), Point(b, {"k": "v"}, [0.0, 1.0, 0.0, 0.0])]
    )
    got = store.retrieve(spec.name, [b, missing, a], with_vectors=True)
    assert [p.id for p in got] == [b, a]
    assert got[1].payload == payload and got[0].payload == {"k": "v"}
    assert got[1].vector is not None and np.allclose(got[1].vector, [0.6, 0.0, 0.8, 0.0], atol=1e-6)
    assert store.retrieve(spec.name, [a])[0].vector is None


def test_upsert_same_id_overwrites(store: VectorStore, backend: Backend) -> None:
    spec = backend.spec(4, ("archetype",))
    store.ensure_collection(spec)
    pid = str(uuid.uuid4())
    store.upsert(spec.name, [Point(pid, {"archetype": "mlops", "old": 1}, [1.0, 0.0, 0.0, 0.0])])
    store.upsert(spec.name, [Point(pid, {"archetype": "researcher"}, [0.0, 1.0, 0.0, 0.0])])
    assert store.count(spec.name) == 1
    assert store.retrieve(spec.name, [pid])[0].payload == {"archetype": "researcher"}
    assert store.count(spec.name, Where(must={"archetype": "mlops"})) == 0
    hit = store.search(spec.name, [0.0, 1.0, 0.0, 0.0], 1)[0]
    assert hit.id == pid and hit.score == pytest.approx(1.0, abs=1e-5)


def test_upsert_needs_vectors(store: VectorStore, backend: Backend) -> None:
    spec = backend.spec(4)
    store.ensure_collection(spec)
    with pytest.raises(ValueError):
        store.upsert(spec.name, [Point(str(uuid.uuid4()), {})])


# --- search --------------------------------------------------------------------------------------


def test_search_matches_brute_force(store: VectorStore, backend: Backend) -> None:
    points = random_points(300, 16, seed=2)
    name = loaded(store, backend, points)
    rng = np.random.default_rng(3)
    for _ in range(5):
        q = rng.normal(size=16).tolist()
        hits = store.search(name, q, 10, with_vectors=True)
        assert_ranked(hits, brute(points, q, 10))
        by_id = {p.id: p for p in points}
        for h in hits:
            assert h.payload == by_id[h.id].payload
            assert np.allclose(h.vector or [], unit(by_id[h.id].vector or []), atol=1e-5)
    assert store.search(name, rng.normal(size=16).tolist(), 0) == []


def test_equal_scores_are_ordered_by_id(store: VectorStore, backend: Backend) -> None:
    spec = backend.spec(4)
    store.ensure_collection(spec)
    tied = sorted(str(uuid.uuid4()) for _ in range(6))
    for pid in reversed(tied):  # insertion order opposite to id order
        store.upsert(spec.name, [Point(pid, {}, [1.0, 1.0, 0.0, 0.0])])
    lower = [Point(str(uuid.uuid4()), {}, [1.0, 1.0, float(k), 0.0]) for k in (1, 2, 3)]
    store.upsert(spec.name, lower)
    q = [1.0, 1.0, 0.0, 0.0]
    for limit in (1, 3, 4, 6):
        assert [h.id for h in store.search(spec.name, q, limit)] == tied[:limit]
    assert [h.id for h in store.search(spec.name, q, 9)] == tied + [p.id for p in lower]


WHERES = {
    "scalar-on-scalar": Where(must={"archetype": "researcher"}),
    "scalar-on-list": Where(must={"skills": "rust"}),
    "list-on-scalar": Where(must={"archetype": ["mlops", "researcher"]}),
    "list-on-list": Where(must={"skills": ["rust", "kafka"]}),
    "int": Where(must={"level": 3}),
    "bool-true": Where(must={"remote": True}),
    "bool-false": Where(must={"remote": False}),
    "bools-list": Where(must={"remote": [True, False]}),
    "bool-is-not-int": Where(must={"level": True}),
    "int-is-not-bool": Where(must={"remote": 1}),
    "mixed-list": Where(must={"level": [2, True, "3"]}),
    "not-list-on-list": Where(must_not={"skills": ["python", "sql"]}),
    "not-scalar": Where(must_not={"archetype": "mlops"}),
    "not-missing-field": Where(must_not={"level": 1}),
    "combined": Where(
        must={"archetype": ARCHETYPES[:3], "skills": "python"}, must_not={"remote": True, "level": [1, 2]}
    ),
    "empty-list": Where(must={"skills": []}),
    "not-empty-list": Where(must_not={"skills": []}),
    "unknown-field": Where(must={"nope": "x"}),
    "everything": Where(),
}
MATCH_NONE = {"bool-is-not-int", "int-is-not-bool", "empty-list", "unknown-field"}
MATCH_ALL = {"bools-list", "not-empty-list", "everything"}


def test_where_filters(store: VectorStore, backend: Backend, subtests: pytest.Subtests) -> None:
    points = random_points(200, 8, seed=4)
    name = loaded(store, backend, points)  # once for all cases: on-disk local mode commits per point
    q = np.random.default_rng(5).normal(size=8).tolist()
    for case, where in WHERES.items():
        with subtests.test(case):
            expected = {p.id for p in points if matches(p.payload, where)}
            assert (not expected, len(expected) == len(points)) == (case in MATCH_NONE, case in MATCH_ALL)
            assert store.count(name, where) == len(expected)
            assert {p.id for p in store.scroll(name, where)} == expected
            assert {h.id for h in store.search(name, q, len(points), where)} == expected
            assert_ranked(store.search(name, q, 5, where), brute(points, q, 5, where))


def test_where_ids_keeps_only_those_points(store: VectorStore, backend: Backend) -> None:
    points = random_points(200, 8, seed=8)
    name = loaded(store, backend, points)
    q = np.random.default_rng(9).normal(size=8).tolist()
    chosen = [p.id for p in points[::7]]
    rust = {p.id for p in points if matches(p.payload, Where(must={"skills": "rust"}))}
    cases = [(Where(ids=chosen), set(chosen)), (Where(ids=[]), set()),
             (Where(must={"skills": "rust"}, ids=chosen), rust & set(chosen))]  # fmt: skip
    assert 0 < len(rust & set(chosen)) < len(chosen)
    for where, expected in cases:
        assert store.count(name, where) == len(expected)
        assert {p.id for p in store.scroll(name, where)} == expected
        kept = [p for p in points if p.id in expected]
        assert_ranked(store.search(name, q, len(points), where), brute(kept, q, len(points)))


def test_a_revision_changes_with_every_write_of_its_point_and_only_then(
    store: VectorStore, backend: Backend
) -> None:
    points = random_points(60, 8, seed=21)
    name = loaded(store, backend, points)
    q = np.random.default_rng(22).normal(size=8).tolist()

    def revisions(where: Where | None = None) -> dict[str, object]:
        hits = store.search(name, q, len(points), where)
        if isinstance(store, KeyedSearch):  # with no payload read, as a cache's check reads them
            keyed = store.search_keys(name, q, len(points), where, ())
            assert [(h.id, h.revision) for h in keyed] == [(h.id, h.revision) for h in hits]
        return {h.id: h.revision for h in hits}

    before = revisions()
    if not (isinstance(store, KeyedSearch) and store.revisioned):
        assert set(before.values()) == {None}  # a store that cannot vouch for revisions gives none
        return
    assert None not in before.values()
    assert revisions(Where(must={"skills": "python"})).items() <= before.items()
    rewritten, same = points[0], points[1]
    store.upsert(name, [rewritten])  # the same content, written again, is a new revision
    after = revisions()
    assert after[rewritten.id] != before[rewritten.id]
    assert {i: r for i, r in after.items() if i != rewritten.id} == {
        i: r for i, r in before.items() if i != rewritten.id
    }
    store.delete(name, Where(must={"i": same.payload["i"]}))
    store.upsert(name, [same])  # erased and written again: never its old revision
    assert revisions()[same.id] not in (before[same.id], after[same.id])
    if backend.persistent:  # another opening of the store vouches for none of the old ones
        store.close()
        again = backend.open()
        hits = again.search(name, q, len(points))
        assert not {h.revision for h in hits} & set(after.values())


def test_delete_by_where(store: VectorStore, backend: Backend) -> None:
    points = random_points(200, 8, seed=6)
    name = loaded(store, backend, points)
    where = Where(must={"skills": ["rust", "kafka"]}, must_not={"archetype": "mlops"})
    gone = {p.id for p in points if matches(p.payload, where)}
    assert gone
    store.delete(name, where)
    assert store.count(name, where) == 0
    assert store.count(name) == len(points) - len(gone)
    for q in np.random.default_rng(7).normal(size=(5, 8)):
        assert not gone & {h.id for h in store.search(name, q.tolist(), len(points))}
    assert store.retrieve(name, sorted(gone)) == []
    assert not gone & {p.id for p in store.scroll(name)}


def test_scroll_yields_every_point_once(store: VectorStore, backend: Backend) -> None:
    points = random_points(1000, 4, seed=8)
    name = loaded(store, backend, points)
    seen = list(store.scroll(name, with_vectors=True))
    assert len(seen) == len(points)
    by_id = {p.id: p for p in points}
    assert set(by_id) == {p.id for p in seen}
    for p in seen:
        assert p.payload == by_id[p.id].payload
        assert np.allclose(p.vector or [], unit(by_id[p.id].vector or []), atol=1e-5)
    assert all(p.vector is None for p in store.scroll(name))
    where = Where(must={"archetype": "researcher"})
    assert {p.id for p in store.scroll(name, where)} == {p.id for p in points if matches(p.payload, where)}


def test_matching_ids_are_the_points_a_filter_matches_among_the_ids_asked(
    store: VectorStore, backend: Backend
) -> None:
    points = random_points(5000, 4, seed=23)
    name = loaded(store, backend, points)
    assert isinstance(store, KeyedSearch)  # both adapters have it: the pool's holders rely on it
    asked = [p.id for p in points[::3]]
    for where in (
        Where(must={"skills": ["rust", "kafka"]}, ids=asked),
        Where(must={"archetype": "researcher"}, must_not={"remote": True}, ids=asked[:50]),
        Where(must={"skills": "python"}),
        Where(ids=asked),
        Where(),  # every point: more than a page of ids
    ):
        wanted = set(where.ids) if where.ids is not None else {p.id for p in points}
        expected = {p.id for p in points if p.id in wanted and matches(p.payload, replace(where, ids=None))}
        got = store.matching_ids(name, where)
        assert len(got) == len(set(got)) and set(got) == expected
    assert store.matching_ids(name, Where(must={"skills": "cobol"})) == []


def test_count_with_and_without_filter(store: VectorStore, backend: Backend) -> None:
    points = random_points(150, 4, seed=9)
    name = loaded(store, backend, points)
    assert store.count(name) == 150
    for where in (Where(must={"remote": True}), Where(must={"skills": "sql"}, must_not={"level": 4})):
        assert store.count(name, where) == sum(matches(p.payload, where) for p in points)


def test_filtered_search_recall_on_many_points(store: VectorStore, backend: Backend) -> None:
    rng = np.random.default_rng(10)
    points = [
        Point(
            str(uuid.uuid4()), {"team": f"t{i % 20}", "skills": [f"s{i % 7}"]}, rng.normal(size=32).tolist()
        )
        for i in range(5000)
    ]
    name = loaded(store, backend, points, ("team", "skills"))
    where = Where(must={"team": "t3"})  # 5% of the points
    for q in rng.normal(size=(5, 32)):
        assert_ranked(store.search(name, q.tolist(), 10, where), brute(points, q.tolist(), 10, where))


# --- durability and concurrency ------------------------------------------------------------------


def test_close_and_reopen_keeps_everything(store: VectorStore, backend: Backend) -> None:
    if not backend.persistent:
        pytest.skip(f"{backend.name} keeps nothing after close")
    points = random_points(300, 8, seed=11)
    name = loaded(store, backend, points)
    store.delete(name, Where(must={"archetype": "mlops"}))
    kept = [p for p in points if p.payload["archetype"] != "mlops"]
    q = np.random.default_rng(12).normal(size=8).tolist()
    where = Where(must={"skills": "python"})
    before = store.search(name, q, 10, where)
    store.close()
    again = backend.open()
    assert again.count(name) == len(kept)
    assert [h.id for h in again.search(name, q, 10, where)] == [h.id for h in before]
    assert_ranked(again.search(name, q, 10), brute(kept, q, 10))
    assert again.retrieve(name, [kept[0].id])[0].payload == kept[0].payload
    with pytest.raises(ValueError):  # the stored config is checked, not just this process's memory
        again.ensure_collection(CollectionSpec(name, 9))
    again.ensure_collection(CollectionSpec(name, 8, FIELDS))
    assert again.count(name, where) == sum(matches(p.payload, where) for p in kept)


def test_an_embedded_folder_is_open_in_one_store_at_a_time(store: VectorStore, backend: Backend) -> None:
    if backend.name not in ("edge", "local"):
        pytest.skip(f"{backend.name} has no folder of its own")
    spec = backend.spec(8)
    store.ensure_collection(spec)
    with pytest.raises(StoreInUse, match="another process"):  # flock: as from another process
        backend.open()
    store.close()
    again = backend.open()  # free once the first one closed
    again.ensure_collection(spec)
    assert again.count(spec.name) == 0


def test_concurrent_writers_and_readers(store: VectorStore, backend: Backend) -> None:
    points = random_points(400, 8, seed=13)
    spec = backend.spec(8, FIELDS)
    store.ensure_collection(spec)

    def work(k: int) -> None:
        mine = points[k * 50 : (k + 1) * 50]
        for i in range(0, 50, 5):
            store.upsert(spec.name, mine[i : i + 5])
            assert len(store.search(spec.name, mine[i].vector or [], 3, Where(must={"remote": True}))) <= 3

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(8)))
    assert store.count(spec.name) == 400


def test_edge_optimize_builds_index_after_payload_indexes(tmp_path: Path) -> None:
    """HNSW built by optimize() must keep filtered search exact and survive a reopen."""
    rng = np.random.default_rng(14)
    points = [
        Point(str(uuid.uuid4()), {"team": f"t{i % 20}"}, rng.normal(size=32).tolist()) for i in range(3000)
    ]
    store = EdgeStore(tmp_path, indexing_threshold_kb=64)
    store.ensure_collection(CollectionSpec("jobs", 32, ("team",)))
    store.upsert("jobs", points)
    assert store.optimize("jobs")
    store.close()
    store = EdgeStore(tmp_path)
    where = Where(must={"team": ["t3", "t4"]})
    for q in rng.normal(size=(5, 32)):
        assert_ranked(store.search("jobs", q.tolist(), 10, where), brute(points, q.tolist(), 10, where))
    store.close()


def test_edge_reads_an_opened_collection_through_once_in_the_background(tmp_path: Path) -> None:
    rng = np.random.default_rng(15)
    store = EdgeStore(tmp_path / "edge")
    store.ensure_collection(CollectionSpec("jobs", 32, ("team",)))
    store.upsert(
        "jobs", [Point(str(uuid.uuid4()), {"team": "t"}, rng.normal(size=32).tolist()) for _ in range(500)]
    )
    store.close()

    cold = open_store(QdrantSettings(path=tmp_path, warm_page_cache=False))
    assert cold.count("jobs") == 500 and isinstance(cold, EdgeStore) and cold.warming == {}
    cold.close()
    warm = open_store(QdrantSettings(path=tmp_path))  # the default warms
    assert warm.count("jobs") == 500 and isinstance(warm, EdgeStore)
    reader = warm.warming["jobs"]
    reader.join(timeout=30)
    assert not reader.is_alive()
    files = [p for p in (tmp_path / "edge" / "jobs" / "segments").rglob("*") if p.is_file()]
    data = sum(len(p.read_bytes().rstrip(b"\0")) for p in files)  # trailing zeros and holes left out
    assert 0 < data <= warm.warm_up("jobs") < sum(p.stat().st_size for p in files) / 4
    warm.close()


# --- property ------------------------------------------------------------------------------------

_scalars = st.one_of(st.sampled_from(ARCHETYPES + SKILLS), st.integers(1, 4), st.booleans())
_clauses = st.dictionaries(
    st.sampled_from(FIELDS), st.one_of(_scalars, st.lists(_scalars, max_size=3)), max_size=2
)
_payloads = st.fixed_dictionaries(
    {
        "archetype": st.sampled_from(ARCHETYPES),
        "skills": st.lists(st.sampled_from(SKILLS), max_size=3, unique=True),
        "level": st.integers(1, 4),
        "remote": st.booleans(),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    payloads=st.lists(_payloads, min_size=1, max_size=25),
    where=st.none() | st.builds(Where, must=_clauses, must_not=_clauses),
    limit=st.integers(1, 30),
    seed=st.integers(0, 2**32 - 1),
)
def test_search_equals_brute_force_property(
    store: VectorStore,
    backend: Backend,
    payloads: list[dict[str, Any]],
    where: Where | None,
    limit: int,
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    points = [Point(str(uuid.uuid4()), p, rng.normal(size=6).tolist()) for p in payloads]
    name = loaded(store, backend, points, ("archetype", "skills"))
    q = rng.normal(size=6).tolist()
    assert_ranked(store.search(name, q, limit, where), brute(points, q, limit, where))
    assert store.count(name, where) == sum(matches(p.payload, where) for p in points)


# --- factory -------------------------------------------------------------------------------------


def test_open_store_picks_backend_from_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    servers: list[tuple[str, SecretStr | None]] = []

    def fake_server(cls: type[QdrantStore], url: str, api_key: SecretStr | None) -> QdrantStore:
        servers.append((url, api_key))
        return QdrantStore.memory()

    monkeypatch.setattr(QdrantStore, "server", classmethod(fake_server))
    key = SecretStr("k")
    server = open_store(QdrantSettings(url="http://qdrant:6333", api_key=key, path=tmp_path))
    edge = open_store(QdrantSettings(path=tmp_path))
    local = open_store(QdrantSettings(path=tmp_path, embedded_backend="local"))
    try:
        assert servers == [("http://qdrant:6333", key)]
        assert isinstance(edge, EdgeStore) and isinstance(local, QdrantStore)
        spec = CollectionSpec(collection_name(QdrantSettings(collection_prefix="t_"), "jobs"), 4)
        assert spec.name == "t_jobs"
        for store in (edge, local):  # side by side under one path
            store.ensure_collection(spec)
            store.upsert(spec.name, [Point(str(uuid.uuid4()), {}, [1.0, 0.0, 0.0, 0.0])])
            assert store.count(spec.name) == 1
        assert sorted(p.name for p in tmp_path.iterdir()) == ["edge", "local"]  # never each other's files
    finally:
        for opened in (server, edge, local):
            opened.close()
