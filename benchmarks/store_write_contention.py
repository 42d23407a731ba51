"""Indexing's writes to the embedded store, one résumé at a time and from many threads at once.

    python -m benchmarks.store_write_contention [--resumes 96] [--threads 32] [--repeats 3] [--out PATH]

Why: a batch's résumés are indexed in threads of their own (``services.ingest.batching``), and
all of them write to the store the moment the model's call returns. Each round indexes the same
prepared résumés (``Ingest.index_candidate``: the stored-version check, the points, the writes)
with a stand-in embedder (``RandomEmbedder``: no model, so only the writes and the work around
them count) into a fresh edge store, first in one thread, then in ``--threads`` threads; the
same again with points built outside the store's lock, as before the lock was taken for them.
Reported per way, medians over the rounds: wall and CPU milliseconds per résumé, and the CPU in
many threads over the CPU in one (1 = writing side by side costs nothing extra).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.perf import RESULTS, RandomEmbedder, command, machine, synthetic_resumes, write_report
from schemas.events import CandidateSubmittedV1
from services.core.documents import DocumentLimits
from services.core.taxonomy import Taxonomy
from services.ingest.app import build_ingest
from services.ingest.usecases import PreparedResume, prepare_candidate
from services.platform.settings import Settings
from services.platform.store.edge import EdgeStore, edge_points
from services.platform.store.port import Point, VectorStore

OUT = RESULTS / "store_write_contention.json"


class PointsOutsideTheLock(EdgeStore):
    """``EdgeStore.upsert`` as it was: the points built before the store's lock is taken."""

    def upsert(self, collection: str, points: Sequence[Point]) -> None:
        batch = edge_points(points)
        with self._lock:
            self._upsert_built(collection, batch)


def index_all(
    store: VectorStore,
    resumes: Sequence[CandidateSubmittedV1],
    prepared: Sequence[PreparedResume],
    threads: int,
) -> dict[str, float]:
    ingest = build_ingest(Settings(), store, RandomEmbedder())
    at = datetime.now(UTC)
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda _: None, range(threads)))  # the threads exist before the clock starts
        wall, cpu = time.perf_counter(), time.process_time()
        list(
            pool.map(
                lambda i: ingest.index_candidate(resumes[i], at, lambda: prepared[i]), range(len(resumes))
            )
        )
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"wall_ms": wall / len(resumes) * 1e3, "cpu_ms": cpu / len(resumes) * 1e3}


def run(args: argparse.Namespace) -> dict[str, Any]:
    resumes = synthetic_resumes(args.resumes, args.seed)
    taxonomy = Taxonomy.load()
    prepared = [prepare_candidate(r, taxonomy, DocumentLimits(), blind=True) for r in resumes]
    ways = {"points under the lock": EdgeStore, "points outside it": PointsOutsideTheLock}
    rounds: dict[str, list[dict[str, float]]] = {}
    for _ in range(args.repeats):
        for way, store_class in ways.items():
            for threads in (1, args.threads):
                with tempfile.TemporaryDirectory(prefix="bench-writes-") as folder:
                    store = store_class(Path(folder))
                    try:
                        measured = index_all(store, resumes, prepared, threads)
                    finally:
                        store.close()
                rounds.setdefault(f"{way}, {threads} thread(s)", []).append(measured)
    rows = {
        name: {key: round(statistics.median(r[key] for r in runs), 3) for key in runs[0]}
        for name, runs in rounds.items()
    }
    for way in ways:
        one, many = rows[f"{way}, 1 thread(s)"], rows[f"{way}, {args.threads} thread(s)"]
        many["cpu_vs_one_thread"] = round(many["cpu_ms"] / one["cpu_ms"], 2)
    return {"rows": rows}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--resumes", type=int, default=96)
    ap.add_argument("--threads", type=int, default=32, help="a batch's résumés (ingest's batch_max_records)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    load = os.getloadavg()[0]
    result = run(args)
    print(f"{'way':<42}{'wall ms':>10}{'CPU ms':>10}{'CPU vs 1 thread':>17}  (per résumé, medians)")
    for name, row in result["rows"].items():
        ratio = f"{row['cpu_vs_one_thread']:>17.2f}" if "cpu_vs_one_thread" in row else ""
        print(f"{name:<42}{row['wall_ms']:>10.2f}{row['cpu_ms']:>10.2f}{ratio}")
    write_report(args.out, {"command": command("store_write_contention", argv), "machine": machine(load),
                            "params": {k: str(v) for k, v in vars(args).items()}, **result,
                            "notes": ["stand-in embedder (no model): the writes and the work around "
                                      "them only", "a fresh edge store per run"]})  # fmt: skip


if __name__ == "__main__":
    main()
