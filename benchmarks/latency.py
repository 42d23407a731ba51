"""Event-to-shortlist latency at 10k, 100k (and 1M) indexed candidates, and memory per 100k.

    python -m benchmarks.latency [--sizes 10000,100000] [--jobs 50] [--queries 200]
                                 [--e2e-max 10000] [--e2e-requests 50] [--out PATH]
    # 1M: writing takes ~35 min on the 2-core box (100k took 200 s) and ~7 GB RAM; run it alone:
    python -m benchmarks.latency --sizes 1000000 --queries 100 --e2e-max 0

Store: SYNTHETIC profiles (copies of the bundled résumés' real profiles under new ids) with RANDOM
unit vectors, written straight into the embedded Qdrant Edge store (``benchmarks.store_fixture``);
no HNSW is built, as in the service. ``Matcher.shortlist``: ``--queries`` calls over ``--jobs``
jobs (hybrid retrieval of up to 2 x retrieve_limit candidates, scoring, ranking), one at a time.
End to end (sizes ≤ ``--e2e-max``): ``match.requested`` published on the real Tansu broker →
the matcher handler → ``shortlist.published`` received, one request at a time.
Memory: each size is built in a fresh process; (RSS after writing − RSS before) per 100k, and the
process's peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import itertools
import multiprocessing
import os
import pstats
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.perf import RESULTS, command, current_rss_mb, machine, peak_rss_mb, percentiles, write_report
from benchmarks.store_fixture import fill, prepare
from schemas.events import MatchRequestedV1, ShortlistPublishedV1
from schemas.topics import Topics
from services.matcher.app import attach_matcher, build_matcher
from services.matcher.usecases import Matcher
from services.platform.kafka import create_topics, make_broker
from services.platform.local_broker import LocalBroker
from services.platform.messaging import key
from services.platform.settings import Settings

OUT = RESULTS / "latency.json"
NOTE = (
    "SYNTHETIC profiles (copies of the bundled samples' profiles) with RANDOM unit vectors, written "
    "straight into the store; profile points only; no HNSW (exact scan), as in the service"
)


def shortlist_latency(matcher: Matcher, job_ids: list[str], queries: int) -> dict[str, Any]:
    for job_id in job_ids[:3]:  # warm: segments mapped, code paths hot
        matcher.shortlist(job_id, "match_requested", datetime.now(UTC))
    ms = []
    for i in range(queries):
        started = time.perf_counter()
        matcher.shortlist(job_ids[i % len(job_ids)], "match_requested", datetime.now(UTC))
        ms.append((time.perf_counter() - started) * 1000)
    return percentiles(ms)


async def end_to_end(
    settings: Settings, matcher: Matcher, job_ids: list[str], requests: int
) -> dict[str, Any]:
    with LocalBroker() as local:
        settings.kafka.bootstrap_servers, settings.kafka.enable_idempotence = local.bootstrap, False
        settings.kafka.session_timeout_ms, settings.kafka.heartbeat_interval_ms = 6_000, 1_000
        topics = Topics(settings.kafka.topic_prefix)
        await create_topics(settings.kafka, topics.all())
        broker = make_broker(settings.kafka, logger=None)  # no access log line per message
        attach_matcher(broker, settings, matcher)
        arrived: asyncio.Queue[ShortlistPublishedV1] = asyncio.Queue()

        @broker.subscriber(topics.shortlist_published, group_id="bench-observer", auto_offset_reset="latest")
        async def observe(shortlist: ShortlistPublishedV1) -> None:
            await arrived.put(shortlist)

        ms = []
        async with broker:
            await broker.start()
            for i in range(requests + 1):  # the first waits for both consumer groups to join
                job_id = job_ids[i % len(job_ids)]
                started = time.perf_counter()
                await broker.publish(MatchRequestedV1(job_id=job_id), topics.match_requested, key=key(job_id))
                while (await asyncio.wait_for(arrived.get(), 120)).job_id != job_id:
                    pass
                if i:
                    ms.append((time.perf_counter() - started) * 1000)
    return percentiles(ms)


def breakdown(matcher: Matcher, job_ids: list[str], queries: int) -> dict[str, float]:
    """Where a shortlist's time goes (cProfile, cumulative ms per shortlist; profiling inflates)."""
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(queries):
        matcher.shortlist(job_ids[i % len(job_ids)], "match_requested", datetime.now(UTC))
    profiler.disable()
    stats: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    wanted = {"shortlist": "total", "search": "store search (incl. payload to Python)",
              "model_validate": "profile validation (pydantic)", "score_match": "scoring",
              "to_decision": "decision record"}  # fmt: skip
    out: dict[str, float] = {}
    for (file, _, name), (_, _, _, cumulative, _) in stats.items():
        if name in wanted and ("services" in file or "pydantic" in file):
            label = wanted[name]
            out[label] = round(out.get(label, 0.0) + cumulative * 1000 / queries, 1)
    return out


def measure_size(n: int, args: argparse.Namespace) -> dict[str, Any]:
    """Runs in a fresh process, so the peak RSS belongs to this size alone."""
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as folder:
        settings, ingest, payloads = prepare(Path(folder))
        before = current_rss_mb()  # fixed costs (taxonomy, templates, open store) are not per candidate
        started = time.perf_counter()
        job_ids = fill(ingest, payloads, n, args.jobs)
        row: dict[str, Any] = {"candidates": n, "build_s": round(time.perf_counter() - started, 1)}
        built = current_rss_mb()
        matcher = build_matcher(settings, ingest.store)
        row["shortlist"] = shortlist_latency(matcher, job_ids, args.queries)
        row["shortlist_breakdown_ms"] = breakdown(matcher, job_ids, min(args.queries, 20))
        if n <= args.e2e_max:
            row["end_to_end_broker"] = asyncio.run(end_to_end(settings, matcher, job_ids, args.e2e_requests))
        ingest.store.close()
    peak = peak_rss_mb()
    row["rss_mb"] = {"before_build": round(before), "after_build": round(built), "peak": round(peak)}
    # The store's share: resident growth while the candidates were written (the peak adds query
    # and broker working memory, which does not grow with the pool).
    row["rss_mb_per_100k"] = round((built - before) * 100_000 / n, 1)
    return row


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000", help="comma-separated candidate counts")
    ap.add_argument("--jobs", type=int, default=50)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--e2e-max", type=int, default=10_000, help="largest size also measured over the broker")
    ap.add_argument("--e2e-requests", type=int, default=50)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    load = os.getloadavg()[0]
    rows = []
    spawn = multiprocessing.get_context("spawn")
    for n in (int(s) for s in args.sizes.split(",")):
        with spawn.Pool(1) as pool:
            rows.append(pool.apply(measure_size, (n, args)))
        print(describe(rows[-1]), flush=True)
    for smaller, larger in itertools.pairwise(rows):
        # Between two sizes the fixed allocations cancel out: the cost of one more 100k.
        grown = larger["rss_mb"]["after_build"] - smaller["rss_mb"]["after_build"]
        larger["rss_mb_per_100k_marginal"] = round(
            grown * 100_000 / (larger["candidates"] - smaller["candidates"]), 1
        )
    report = {"command": command("latency", argv), "machine": machine(load), "notes": [NOTE], "results": rows}
    write_report(args.out, report | {"params": vars(args) | {"out": str(args.out)}})


def describe(row: dict[str, Any]) -> str:
    def triple(p: dict[str, Any]) -> str:
        return f"{p['p50_ms']}/{p['p95_ms']}/{p['p99_ms']} ms"

    text = f"{row['candidates']:>9} candidates: build {row['build_s']} s; shortlist p50/p95/p99 "
    text += triple(row["shortlist"])
    if "end_to_end_broker" in row:
        text += f"; over the broker {triple(row['end_to_end_broker'])}"
    return text + f"; peak RSS {row['rss_mb']['peak']} MB, {row['rss_mb_per_100k']} MB per 100k"


if __name__ == "__main__":
    main()
