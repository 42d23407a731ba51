"""Embedded vector stores head to head, through the ``VectorStore`` port: which one is the default?

    python -m benchmarks.store_backends [--points 10000,50000] [--dim 384] [--queries 50] [--out PATH]

Backends: ``edge`` (qdrant-edge, exact scan over unindexed segments), ``edge+hnsw`` (the same
store after ``optimize()`` built HNSW) and ``local`` (qdrant-client local mode on disk, capped at
``--local-max-points`` and ``--local-queries``: it commits every point to SQLite and filters in Python).
Data: random unit vectors; payload ``archetype`` (1 of 20), ``skills`` (3 of 30), ``status`` (80% open).
Queries, top-``--limit``: unfiltered; ``narrow`` (one archetype, open: ~4%); ``broad`` (any of two
skills, open: ~16%). Recall is against numpy brute force on the same filter.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from services.platform.store.edge import EdgeStore
from services.platform.store.port import CollectionSpec, Point, VectorStore, Where
from services.platform.store.qdrant import QdrantStore

OUT = Path(__file__).resolve().parent / "results" / "store_backends.json"
SKILLS = [f"skill{i}" for i in range(30)]
NAME = "bench"
S = TypeVar("S", bound=VectorStore)


def make_data(
    n: int, dim: int, rng: np.random.Generator, clusters: int = 0
) -> tuple[np.ndarray, list[Point]]:
    x = rng.normal(size=(n, dim)).astype(np.float32)
    if clusters:  # embeddings bunch by topic; uniform noise is HNSW's worst case
        x = 0.5 * x + rng.normal(size=(clusters, dim)).astype(np.float32)[rng.integers(clusters, size=n)]
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    points = [
        Point(
            str(uuid.UUID(int=int(rng.integers(2**62)) << 64 | i)),
            {
                "archetype": f"a{rng.integers(20)}",
                "skills": sorted(rng.choice(SKILLS, size=3, replace=False).tolist()),
                "status": "open" if rng.random() < 0.8 else "closed",
            },
            row.tolist(),
        )
        for i, row in enumerate(x)
    ]
    return x, points


def query_set(q: int, dim: int, rng: np.random.Generator) -> list[tuple[str, np.ndarray, Where | None]]:
    out: list[tuple[str, np.ndarray, Where | None]] = []
    for i in range(q):
        v = rng.normal(size=dim).astype(np.float32)
        v /= np.linalg.norm(v)
        a, b = rng.choice(SKILLS, size=2, replace=False).tolist()
        out += [
            ("unfiltered", v, None),
            ("narrow", v, Where(must={"archetype": f"a{i % 20}", "status": "open"})),
            ("broad", v, Where(must={"skills": [a, b], "status": "open"})),
        ]
    return out


Index = dict[str, dict[Any, list[int]]]


def inverted(points: list[Point]) -> Index:
    """payload key -> value -> rows holding it (in a list field, any element counts)."""
    index: Index = {}
    for row, p in enumerate(points):
        for key, value in p.payload.items():
            for item in value if isinstance(value, list) else [value]:
                index.setdefault(key, {}).setdefault(item, []).append(row)
    return index


def truth(x: np.ndarray, index: Index, v: np.ndarray, where: Where | None, k: int) -> list[int]:
    scores = x @ v
    if where is not None:
        keep = np.ones(len(x), dtype=bool)
        for key, want in where.must.items():
            rows = [
                r for w in (want if isinstance(want, list | tuple) else [want]) for r in index[key].get(w, [])
            ]
            hit = np.zeros(len(x), dtype=bool)
            hit[rows] = True
            keep &= hit
        scores = np.where(keep, scores, -np.inf)
    return [int(i) for i in np.argsort(-scores)[:k] if np.isfinite(scores[i])]


def measure(
    store: VectorStore, queries: list[Any], x: np.ndarray, points: list[Point], k: int
) -> dict[str, Any]:
    index = inverted(points)
    for _, v, where in queries[:6]:  # warm caches and lazily loaded segments
        store.search(NAME, v.tolist(), k, where)
    lat: dict[str, list[float]] = {}
    rec: dict[str, list[float]] = {}
    for kind, v, where in queries:
        t0 = time.perf_counter()
        hits = store.search(NAME, v.tolist(), k, where)
        lat.setdefault(kind, []).append((time.perf_counter() - t0) * 1000)
        want = {points[i].id for i in truth(x, index, v, where, k)}
        rec.setdefault(kind, []).append(len(want & {h.id for h in hits}) / max(len(want), 1))
    return {
        kind: {
            "p50_ms": round(statistics.median(ms), 3),
            "p95_ms": round(float(np.percentile(ms, 95)), 3),
            "recall": round(statistics.fmean(rec[kind]), 4),
        }
        for kind, ms in lat.items()
    }


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, round(time.perf_counter() - t0, 3)


def reopen(opener: Callable[[], S], v: np.ndarray, k: int) -> tuple[S, float]:
    def go() -> S:
        store = opener()
        store.count(NAME)
        store.search(NAME, v.tolist(), k)
        return store

    return timed(go)


def build(store: VectorStore, points: list[Point], dim: int) -> float:
    def go() -> None:
        store.ensure_collection(CollectionSpec(NAME, dim, ("archetype", "skills", "status")))
        for i in range(0, len(points), 500):
            store.upsert(NAME, points[i : i + 500])

    return timed(go)[1]


def disk_mb(path: Path) -> float:
    """Allocated blocks: edge preallocates sparse log and mmap files, so st_size overstates."""
    return round(sum(f.stat().st_blocks * 512 for f in path.rglob("*") if f.is_file()) / 2**20, 1)


def run_edge(
    root: Path, x: np.ndarray, points: list[Point], queries: list[Any], k: int
) -> list[dict[str, Any]]:
    store = EdgeStore(root)
    base = {"points": len(points), "build_s": build(store, points, x.shape[1])}
    exact = {"backend": "edge", **base, "queries": measure(store, queries, x, points, k)}
    store.close()
    edge, exact["reopen_s"] = reopen(lambda: EdgeStore(root), queries[0][1], k)
    exact["disk_mb"] = disk_mb(root)
    _, opt_s = timed(lambda: edge.optimize(NAME))
    hnsw = {
        "backend": "edge+hnsw",
        **base,
        "optimize_s": opt_s,
        "queries": measure(edge, queries, x, points, k),
    }
    edge.close()
    again, hnsw["reopen_s"] = reopen(lambda: EdgeStore(root), queries[0][1], k)
    again.close()
    hnsw["disk_mb"] = disk_mb(root)
    return [exact, hnsw]


def run_local(root: Path, x: np.ndarray, points: list[Point], queries: list[Any], k: int) -> dict[str, Any]:
    store = QdrantStore.local(root)
    row = {"backend": "local", "points": len(points), "build_s": build(store, points, x.shape[1])}
    row["queries"] = measure(store, queries, x, points, k)
    store.close()
    again, row["reopen_s"] = reopen(lambda: QdrantStore.local(root), queries[0][1], k)
    again.close()
    row["disk_mb"] = disk_mb(root)
    return row


def ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """edge / local for every size both ran at: below 1 means edge is faster."""
    out = []
    for local in (r for r in rows if r["backend"] == "local"):
        edge = next(r for r in rows if r["backend"] == "edge" and r["points"] == local["points"])
        entry: dict[str, Any] = {"points": local["points"]}
        for key in ("build_s", "reopen_s"):
            entry[key] = round(edge[key] / local[key], 4)
        for kind, stats in local["queries"].items():
            entry[f"{kind}_p50"] = round(edge["queries"][kind]["p50_ms"] / stats["p50_ms"], 4)
        out.append(entry)
    return out


def show(rows: list[dict[str, Any]], edge_over_local: list[dict[str, Any]]) -> None:
    head = f"{'backend':<10}{'points':>8}{'build s':>9}{'opt s':>7}{'reopen s':>9}{'MB':>7}"
    head += "".join(f"{k + ' p50/p95 ms (recall)':>34}" for k in ("unfiltered", "narrow", "broad"))
    print(head)
    for r in rows:
        line = f"{r['backend']:<10}{r['points']:>8}{r['build_s']:>9.2f}{r.get('optimize_s', 0):>7.1f}"
        line += f"{r['reopen_s']:>9.3f}{r['disk_mb']:>7.0f}"
        for kind in ("unfiltered", "narrow", "broad"):
            q = r["queries"][kind]
            line += f"{q['p50_ms']:>15.2f} /{q['p95_ms']:>8.2f} ({q['recall']:.3f})"
        print(line)
    for e in edge_over_local:
        print("edge/local at", e["points"], ":", {k: v for k, v in e.items() if k != "points"})


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--points", default="10000,50000", help="comma-separated collection sizes")
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--queries", type=int, default=50, help="per query kind")
    ap.add_argument("--limit", type=int, default=50)
    ap.add_argument("--local-max-points", type=int, default=10_000)
    ap.add_argument("--local-queries", type=int, default=20)
    ap.add_argument("--clusters", type=int, default=0, help="0: uniform random vectors; else Gaussian blobs")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    rows: list[dict[str, Any]] = []
    load_before = os.getloadavg()
    for n in (int(s) for s in args.points.split(",")):
        rng = np.random.default_rng(args.seed)
        x, points = make_data(n, args.dim, rng, args.clusters)
        queries = query_set(args.queries, args.dim, rng)
        work = Path(tempfile.mkdtemp(prefix="store_bench_"))
        try:
            rows += run_edge(work / "edge", x, points, queries, args.limit)
            if n <= args.local_max_points:
                rows.append(
                    run_local(work / "local", x, points, queries[: 3 * args.local_queries], args.limit)
                )
        finally:
            shutil.rmtree(work, ignore_errors=True)
    edge_over_local = ratios(rows)
    show(rows, edge_over_local)
    report = {
        "command": " ".join(
            ["python -m benchmarks.store_backends", *(argv if argv is not None else sys.argv[1:])]
        ),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
            "loadavg_1m_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        },
        "versions": {p: version(p) for p in ("qdrant-edge-py", "qdrant-client", "numpy")},
        "params": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "notes": [
            f"local (qdrant-client local mode) runs only up to {args.local_max_points} points and "
            f"{args.local_queries} queries per kind: it commits each point to SQLite and filters in Python",
            "edge: exact scan (no HNSW until optimize()); edge+hnsw: same store after optimize(), which "
            "blocks and holds the GIL for its whole run",
            "reopen_s: open the store, count, one search (edge loads shards lazily)",
            "random unit vectors are a worst case for HNSW recall; real embeddings cluster",
        ],
        "results": rows,
        "edge_over_local": edge_over_local,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
