"""Event-to-shortlist latency at 10k, 100k (and 1M) indexed candidates, and memory per 100k.

    python -m benchmarks.latency [--sizes 10000,100000] [--jobs 50] [--queries 200]
                                 [--e2e-max 100000] [--e2e-requests 50] [--out PATH]
    # 1M: build the store once in its own process (kept in --store), then measure on it:
    python -m benchmarks.latency --sizes 1000000 --store /tmp/rolefit-1m --build-only
    python -m benchmarks.latency --sizes 1000000 --store /tmp/rolefit-1m --queries 200 \
        --e2e-max 1000000 --e2e-requests 100 --out benchmarks/results/latency_1m.json

Store: SYNTHETIC profiles (copies of the bundled résumés' real profiles under new ids) with RANDOM
unit vectors, written straight into the embedded Qdrant Edge store (``benchmarks.store_fixture``);
no HNSW is built, as in the service. Timing starts once the store's background read of its
files is done (``page_cache_warm_s``), as in a service past its first seconds.
``Matcher.shortlist``: ``--queries`` calls over ``--jobs`` jobs (hybrid retrieval of up to
2 x retrieve_limit candidates, scoring, ranking), one at a time.
End to end (sizes ≤ ``--e2e-max``): ``match.requested`` published on the real Tansu broker →
the matcher handler → ``shortlist.published``, one request at a time; timed to the shortlist
record's timestamp (published) and to an observer's receipt (received).
Memory: each size is built in a fresh process; (RSS after writing − RSS before) per 100k, and the
process's peak RSS; and, in the measuring process, the growth from opening the store and making
one shortlist, per 100k (what a matcher holds for the store, its profile cache aside).
With ``--store`` the store is kept in that folder (with ``built.json``: the build's time and
memory) and a later run of the same size measures on it instead of rebuilding.
Percentiles are given over all calls and, apart, for each job's first call (its pool not yet in
the matcher's profile cache) and for the repeat calls; then again on a fresh matcher after
``Matcher.warm_up`` (what the service runs as it starts: the open jobs' pools read into the
cache), where a job's first call finds its pool cached. The broker run and the breakdown use
the warmed matcher.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import itertools
import json
import multiprocessing
import os
import pstats
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from faststream.kafka.annotations import KafkaMessage

from benchmarks.perf import RESULTS, command, current_rss_mb, machine, peak_rss_mb, percentiles, write_report
from benchmarks.store_fixture import bench_settings, fill, prepare
from schemas.events import MatchRequestedV1, ShortlistPublishedV1
from schemas.topics import Topics
from services.matcher.app import attach_matcher, build_matcher
from services.matcher.usecases import Matcher
from services.platform.kafka import create_topics, make_broker
from services.platform.local_broker import LocalBroker, stop_on_sigterm, tansu_client
from services.platform.messaging import key, record_time
from services.platform.settings import Settings
from services.platform.store.factory import open_store

OUT = RESULTS / "latency.json"
NOTE = (
    "SYNTHETIC profiles (copies of the bundled samples' profiles) with RANDOM unit vectors, written "
    "straight into the store; profile points only; no HNSW (exact scan), as in the service"
)


def shortlist_latency(matcher: Matcher, job_ids: list[str], queries: int) -> dict[str, Any]:
    for job_id in job_ids[:3]:  # warm: segments mapped, code paths hot
        matcher.shortlist(job_id, "match_requested", datetime.now(UTC))
    ms: list[float] = []
    first: list[float] = []
    repeat: list[float] = []
    seen = set(job_ids[:3])
    for i in range(queries):
        job_id = job_ids[i % len(job_ids)]
        started = time.perf_counter()
        matcher.shortlist(job_id, "match_requested", datetime.now(UTC))
        ms.append((time.perf_counter() - started) * 1000)
        (repeat if job_id in seen else first).append(ms[-1])
        seen.add(job_id)
    split = {"first_call_per_job": percentiles(first) if first else None, "repeat_calls": percentiles(repeat)}
    return percentiles(ms) | split


async def end_to_end(
    settings: Settings, matcher: Matcher, job_ids: list[str], requests: int
) -> dict[str, Any]:
    """Per request, two clocks: to the shortlist record's timestamp (set by the matcher's producer
    as it publishes) and to an observer's receipt. Tansu answers a fetch only when its wait is
    over, so the receipt adds up to one fetch wait of the observer's own; the first clock does not.
    Both include the matcher's fetch wait for the request (Kafka would answer on arrival), so the
    first is split where the handler calls ``Matcher.shortlist``: ``delivery`` (publish → the
    handler, the broker's part) and ``handling`` (→ the shortlist published: the use-case, the
    decision record's publish and the shortlist's)."""
    with LocalBroker() as local:
        tansu_client(settings.kafka, local.bootstrap)  # as the demo: a 50 ms fetch wait
        topics = Topics(settings.kafka.topic_prefix)
        await create_topics(settings.kafka, topics.all())
        broker = make_broker(settings.kafka, logger=None)  # no access log line per message
        attach_matcher(broker, settings, matcher)
        arrived: asyncio.Queue[tuple[ShortlistPublishedV1, float]] = asyncio.Queue()

        @broker.subscriber(
            topics.shortlist_published, group_id="bench-observer", auto_offset_reset="latest",
            fetch_max_wait_ms=settings.kafka.fetch_max_wait_ms,
        )  # fmt: skip
        async def observe(shortlist: ShortlistPublishedV1, msg: KafkaMessage) -> None:
            await arrived.put((shortlist, record_time(msg).timestamp()))

        called: dict[str, float] = {}  # job id -> when the handler last called the use-case
        use_case = matcher.shortlist

        def timed(job_id: str, *args: Any) -> ShortlistPublishedV1 | None:
            called[job_id] = time.time()
            return use_case(job_id, *args)

        matcher.shortlist = timed  # type: ignore[method-assign,assignment]  # looked up per call
        published, received, delivery, handling = [], [], [], []
        async with broker:
            await broker.start()
            for i in range(requests + 1):  # the first waits for both consumer groups to join
                job_id = job_ids[i % len(job_ids)]
                started = time.time()
                await broker.publish(MatchRequestedV1(job_id=job_id), topics.match_requested, key=key(job_id))
                while True:
                    shortlist, stamped = await asyncio.wait_for(arrived.get(), 120)
                    if shortlist.job_id == job_id:
                        break
                if i:
                    received.append((time.time() - started) * 1000)
                    published.append((stamped - started) * 1000)
                    delivery.append((called[job_id] - started) * 1000)
                    handling.append((stamped - called[job_id]) * 1000)
        del matcher.shortlist  # the method again
    return {"to_published": percentiles(published), "to_received": percentiles(received),
            "delivery": percentiles(delivery), "handling": percentiles(handling)}  # fmt: skip


def warmed(store: object) -> float:
    """Waits for the store's background read of its files (a service's first minute); seconds."""
    started = time.perf_counter()
    for reader in getattr(store, "warming", {}).values():
        reader.join()
    return round(time.perf_counter() - started, 2)


def breakdown(matcher: Matcher, job_ids: list[str], queries: int) -> dict[str, float]:
    """Where a shortlist's time goes (cProfile, cumulative ms per shortlist; profiling inflates)."""
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(queries):
        matcher.shortlist(job_ids[i % len(job_ids)], "match_requested", datetime.now(UTC))
    profiler.disable()
    stats: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    wanted = {"shortlist": "total", "_hits": "store searches (ids, scores, stamps; holders)",
              "_parse": "cache misses (store read and parse)",
              "rate": "rating the pool (JobScorer.rate)",
              "score": "scoring the shortlisted in full (JobScorer.score)",
              "to_decision": "decision record", "settle": "gc settle"}  # fmt: skip
    out: dict[str, float] = {}
    for (file, _, name), (_, _, _, cumulative, _) in stats.items():
        if name in wanted and ("services" in file or "pydantic" in file):
            label = wanted[name]
            out[label] = round(out.get(label, 0.0) + cumulative * 1000 / queries, 1)
    return out


def build_size(n: int, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """Writes the store into ``folder``; the build's figures, also kept in ``built.json``."""
    _, ingest, payloads = prepare(folder)
    before = current_rss_mb()  # fixed costs (taxonomy, templates, open store) are not per candidate
    started = time.perf_counter()
    job_ids = fill(ingest, payloads, n, args.jobs)
    built = {"candidates": n, "jobs": job_ids, "build_s": round(time.perf_counter() - started, 1),
             "rss_before_build": before, "rss_after_build": current_rss_mb()}  # fmt: skip
    ingest.store.close()
    (folder / "built.json").write_text(json.dumps(built | {"build_peak_rss": peak_rss_mb()}))
    return built


def measure_size(n: int, args: argparse.Namespace) -> dict[str, Any]:
    """Runs in a fresh process, so the peak RSS belongs to this size alone."""
    with contextlib.ExitStack() as stack:
        folder = args.store or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-latency-")))
        marker = folder / "built.json"
        reused = marker.exists() and json.loads(marker.read_text())["candidates"] == n
        built = json.loads(marker.read_text()) if reused else build_size(n, args, folder)
        if args.build_only:
            return {"candidates": n, "build_s": built["build_s"], "store": str(folder)}
        row: dict[str, Any] = {"candidates": n, "build_s": built["build_s"], "reused_store": reused}
        settings = bench_settings(folder)
        closed = current_rss_mb()
        store = open_store(settings.qdrant)
        stack.callback(store.close)
        matcher = build_matcher(settings, store)
        matcher.shortlist(built["jobs"][0], "match_requested", datetime.now(UTC))  # maps what a search reads
        row["page_cache_warm_s"] = warmed(store)
        # What a matcher process holds for the store (and its fixed costs), before its profile cache grows.
        row["rss_mb_store_open_per_100k"] = round((current_rss_mb() - closed) * 100_000 / n, 1)
        row["shortlist"] = shortlist_latency(matcher, built["jobs"], args.queries)
        # The service warms its cache with the open jobs' pools as it starts: the same calls on a
        # fresh matcher after that (the first one's cache is dropped first: memory).
        matcher = build_matcher(settings, store)
        started = time.perf_counter()
        row["warm_up"] = {"profiles": matcher.warm_up(), "s": round(time.perf_counter() - started, 1)}
        row["shortlist_after_warm_up"] = shortlist_latency(matcher, built["jobs"], args.queries)
        row["shortlist_breakdown_ms"] = breakdown(matcher, built["jobs"], min(args.queries, 20))
        if n <= args.e2e_max:
            row["end_to_end_broker"] = asyncio.run(
                end_to_end(settings, matcher, built["jobs"], args.e2e_requests)
            )
        row["profile_cache_entries"] = len(matcher.profiles)
        row["rss_mb_measuring"] = round(current_rss_mb())
    before, after = built["rss_before_build"], built["rss_after_build"]
    row["rss_mb"] = {"before_build": round(before), "after_build": round(after),
                     "peak": round(max(peak_rss_mb(), built["build_peak_rss"] if reused else 0))}  # fmt: skip
    # The store's share: resident growth while the candidates were written (the peak adds query
    # and broker working memory, and the profile cache, which do not grow with the pool).
    row["rss_mb_per_100k"] = round((after - before) * 100_000 / n, 1)
    return row


def main(argv: list[str] | None = None) -> None:
    stop_on_sigterm()
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000", help="comma-separated candidate counts")
    ap.add_argument("--jobs", type=int, default=50)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--e2e-max", type=int, default=100_000, help="largest size also measured over the broker")
    ap.add_argument("--e2e-requests", type=int, default=50)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--store", type=Path, help="keep the store here; reuse it if built for the same size")
    ap.add_argument("--build-only", action="store_true", help="with --store: build it, measure nothing")
    args = ap.parse_args(argv)
    load = os.getloadavg()[0]
    rows = []
    spawn = multiprocessing.get_context("spawn")
    for n in (int(s) for s in args.sizes.split(",")):
        with spawn.Pool(1) as pool:
            rows.append(pool.apply(measure_size, (n, args)))
        print(describe(rows[-1]), flush=True)
    if args.build_only:
        return
    for smaller, larger in itertools.pairwise(rows):
        # Between two sizes the fixed allocations cancel out: the cost of one more 100k.
        grown = larger["rss_mb"]["after_build"] - smaller["rss_mb"]["after_build"]
        larger["rss_mb_per_100k_marginal"] = round(
            grown * 100_000 / (larger["candidates"] - smaller["candidates"]), 1
        )
    report = {"command": command("latency", argv), "machine": machine(load), "notes": [NOTE], "results": rows}
    write_report(args.out, report | {"params": vars(args) | {"out": str(args.out)}})


def describe(row: dict[str, Any]) -> str:
    if "shortlist" not in row:
        return f"{row['candidates']:>9} candidates: built in {row['build_s']} s into {row['store']}"

    def triple(p: dict[str, Any]) -> str:
        return f"{p['p50_ms']}/{p['p95_ms']}/{p['p99_ms']} ms"

    text = f"{row['candidates']:>9} candidates: build {row['build_s']} s; shortlist p50/p95/p99 "
    text += triple(row["shortlist"])
    text += f", after a {row['warm_up']['s']} s warm-up {triple(row['shortlist_after_warm_up'])}"
    if "end_to_end_broker" in row:
        e2e = row["end_to_end_broker"]
        text += f"; over the broker, to published {triple(e2e['to_published'])}"
        text += f", to received {triple(e2e['to_received'])}"
        text += f" (delivery {triple(e2e['delivery'])}, handling {triple(e2e['handling'])})"
    text += f"; peak RSS {row['rss_mb']['peak']} MB, {row['rss_mb_per_100k']} MB per 100k written"
    return text + f", {row['rss_mb_store_open_per_100k']} MB per 100k opened"


if __name__ == "__main__":
    main()
