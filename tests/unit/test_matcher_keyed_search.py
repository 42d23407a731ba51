"""``KeyedSearch`` on both adapters: the same hits as ``search``, with only the keys asked for."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from services.platform.store import layout
from services.platform.store.edge import EdgeStore
from services.platform.store.port import CollectionSpec, KeyedSearch, Point, VectorStore
from services.platform.store.qdrant import QdrantStore

SPEC = CollectionSpec("keyed", 8, layout.KEYWORD_FIELDS)


@pytest.fixture(params=["edge", "qdrant-local"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorStore]:
    opened = EdgeStore(tmp_path) if request.param == "edge" else QdrantStore.local(tmp_path)
    opened.ensure_collection(SPEC)
    rng = np.random.default_rng(7)
    points = [
        Point(
            layout.point_id("candidate", f"c{i}"),
            {
                "entity_id": f"c{i}",
                "doc": "profile",
                "version": i,
                "skills": ["python"] if i % 2 else ["sql"],
                "profile": {"candidate_id": f"c{i}", "big": "x" * 100},
            },
            [float(x) for x in rng.standard_normal(8)],
        )
        for i in range(30)
    ]
    opened.upsert(SPEC.name, points)
    yield opened
    opened.close()


def test_keyed_search_finds_what_search_finds_with_only_the_keys_asked(store: VectorStore) -> None:
    assert isinstance(store, KeyedSearch)
    query = [0.3, -0.1, 0.5, 0.2, 0.0, -0.4, 0.1, 0.9]
    for where in (layout.PROFILES, layout.holding_any(["python"])):
        full = store.search(SPEC.name, query, 10, where)
        keyed = store.search_keys(SPEC.name, query, 10, where, ("entity_id", "version", "absent"))
        assert [h.id for h in keyed] == [h.id for h in full]
        # qdrant-client's local mode varies in the 8th digit from one identical call to the next
        assert [h.score for h in keyed] == pytest.approx([h.score for h in full], rel=1e-6)
        assert [h.payload for h in keyed] == [
            {"entity_id": h.payload["entity_id"], "version": h.payload["version"]} for h in full
        ]
        assert all(h.payload == {} for h in store.search_keys(SPEC.name, query, 10, where, ()))


def test_keyed_retrieve_reads_only_the_keys_asked(store: VectorStore) -> None:
    assert isinstance(store, KeyedSearch)
    ids = [layout.point_id("candidate", c) for c in ("c3", "gone", "c1")]
    points = store.retrieve_keys(SPEC.name, ids, ["version"])
    assert [(p.id, p.payload, p.vector) for p in points] == [
        (ids[0], {"version": 3}, None),
        (ids[2], {"version": 1}, None),
    ]


def test_holding_any_finds_profiles_only_as_the_doc_term_did(store: VectorStore) -> None:
    chunk = layout.chunk_points("candidate", "c1", 1, ["text"], [[1.0] * 8])
    store.upsert(SPEC.name, chunk)
    query = [1.0] * 8
    with_doc = store.search(
        SPEC.name, query, 50, layout.Where(must={"doc": "profile", "skills": ["python", "sql"]})
    )
    assert [h.id for h in store.search(SPEC.name, query, 50, layout.holding_any(["python", "sql"]))] == [
        h.id for h in with_doc
    ]
