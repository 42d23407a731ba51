"""The store-write benchmark indexes every résumé each way it compares, and reports each way."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import store_write_contention
from benchmarks.perf import synthetic_resumes
from services.core.documents import DocumentLimits
from services.core.taxonomy import Taxonomy
from services.ingest.usecases import prepare_candidate
from services.platform.settings import Settings
from services.platform.store.edge import EdgeStore
from services.platform.store.layout import Collections


def test_both_ways_index_every_resume_and_are_reported(tmp_path: Path) -> None:
    out = tmp_path / "writes.json"
    store_write_contention.main(["--resumes", "6", "--threads", "3", "--repeats", "1", "--out", str(out)])
    rows = json.loads(out.read_text())["rows"]
    assert set(rows) == {
        f"{way}, {n} thread(s)" for way in ("points under the lock", "points outside it") for n in (1, 3)
    }
    assert all(row["cpu_ms"] > 0 for row in rows.values())
    assert rows["points outside it, 3 thread(s)"]["cpu_vs_one_thread"] > 0


def test_the_old_way_writes_what_the_store_writes(tmp_path: Path) -> None:
    resumes = synthetic_resumes(3, 11)
    prepared = [prepare_candidate(r, Taxonomy.load(), DocumentLimits(), blind=True) for r in resumes]
    candidates = Collections.with_prefix(Settings().qdrant.collection_prefix).candidates
    counts = []
    for store_class in (EdgeStore, store_write_contention.PointsOutsideTheLock):
        store = store_class(tmp_path / store_class.__name__)
        try:
            store_write_contention.index_all(store, resumes, prepared, threads=2)
            counts.append(store.count(candidates))
        finally:
            store.close()
    assert counts[0] == counts[1] > len(resumes)  # a profile and at least one chunk per résumé
