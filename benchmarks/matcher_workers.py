"""Matcher throughput with 1 and with 2 worker processes, same workload, over the real broker.

    python -m benchmarks.matcher_workers [--candidates 10000] [--jobs 50] [--requests 300] [--partitions 6]
                                         [--repeats 3]

Workload: ``--requests`` ``match.requested`` events, spread evenly over the partitions, against a
store of synthetic candidates (``benchmarks.store_fixture``: real sample profiles, random vectors).
Each worker is a separate process running the matcher's real handlers in one consumer group.
The embedded store is single-process, so each worker gets its OWN COPY of the Edge folder: valid
because the matcher only reads the store (in production, point them at a Qdrant server instead).
After a warm-up in which every worker has handled requests (group joined, partitions split), two
clocks: end to end, first request published → last shortlist received; and throughput, first →
last shortlist received, (n - 1) shortlists over that span. Target: 2 workers ≥ 1.7x one, in
throughput. Tansu answers a fetch only when its wait (Kafka's 500 ms here) is over, so the end-to-end
clock also counts two waits Kafka does not have, one before the workers see the first request and
one before the observer sees the last shortlist: the same ~0.5 s in both runs, it pulls the shorter
run's rate (two workers') down more. The matcher answers requests in batches (up to
``ROLEFIT_MATCHER__BATCH_MAX_RECORDS``): the throughput clock then leaves out the first batch's
computation, up to a batch per worker, which lifts the shorter run's rate; more ``--requests``
shrink both clocks' biases. The observer (the benchmark's own consumer) fetches with a
50 ms wait, so arrival times are exact to ~50 ms; the workers keep the service's settings.
On a shared 2-core box one pair of runs moves by ±15%, so ``--repeats`` pairs run back to back
(1 worker, then 2), each pair gives its own ratio, and the median ratio is the result.
Each run also gives the CPU seconds of the workers, the broker and this process (publisher and
observer) over the timed requests, per shortlist and as cores in use: one worker's share of the
box bounds what a second can add.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.cpu import CpuClock, cores, spent
from benchmarks.perf import RESULTS, command, machine, write_report
from benchmarks.store_fixture import bench_settings, build
from schemas.events import MatchRequestedV1, ShortlistPublishedV1
from schemas.topics import Topics
from services.matcher.app import attach_matcher, build_matcher
from services.platform.kafka import create_topics, make_broker
from services.platform.local_broker import LocalBroker, stop_on_sigterm, tansu_client
from services.platform.settings import Settings
from services.platform.store.factory import open_store

OUT = RESULTS / "matcher_workers.json"
DRIVER, WORKERS = "driver", "workers"  # CPU roles: this process (publisher, observer), the matchers


def kafka(settings: Settings, bootstrap: str, prefix: str) -> Settings:
    tansu_client(settings.kafka, bootstrap, fetch_max_wait_ms=None)  # Kafka's: see benchmarks/README.md
    settings.kafka.topic_prefix = prefix
    # Groups of their own too: reusing one group for new topics run after run left Tansu's
    # coordinator with a member that never got partitions (the third run hung).
    settings.matcher.group_id = f"{prefix}matcher"
    return settings


def worker(folder: str, bootstrap: str, prefix: str, handled: Any, stop: Any) -> None:
    """One matcher process: its own store copy, the real handlers, a shared counter."""
    settings = kafka(bench_settings(Path(folder)), bootstrap, prefix)
    store = open_store(settings.qdrant)
    matcher = build_matcher(settings, store)
    shortlist = matcher.shortlist

    def counted(*args: Any, **kwargs: Any) -> Any:
        with handled.get_lock():
            handled.value += 1
        return shortlist(*args, **kwargs)

    object.__setattr__(matcher, "shortlist", counted)

    async def serve() -> None:
        broker = make_broker(settings.kafka, logger=None)  # no access log line per message
        attach_matcher(broker, settings, matcher)
        async with broker:
            await broker.start()
            while not stop.is_set():
                await asyncio.sleep(0.1)

    asyncio.run(serve())
    store.close()


async def drive(
    settings: Settings, job_ids: list[str], counters: list[Any], clock: CpuClock, args: argparse.Namespace
) -> tuple[float, float, dict[str, float]]:
    """Warm up until every worker has work, then time ``--requests`` requests: seconds end to end,
    seconds from the first shortlist to the last, and CPU seconds per role end to end."""
    topics = Topics(settings.kafka.topic_prefix)
    broker = make_broker(settings.kafka.model_copy(update={"fetch_max_wait_ms": 50}), logger=None)
    arrived = asyncio.Event()
    arrivals: list[float] = []  # perf_counter of each shortlist seen

    observer = f"{topics.prefix}observer"

    @broker.subscriber(topics.shortlist_published, group_id=observer, auto_offset_reset="latest")
    async def observe(shortlist: ShortlistPublishedV1) -> None:
        arrivals.append(time.perf_counter())
        if len(arrivals) >= want[0]:
            arrived.set()

    async def burst(n: int) -> None:
        arrived.clear()
        want[0] = len(arrivals) + n
        for i in range(n):
            request = MatchRequestedV1(job_id=job_ids[i % len(job_ids)])
            await broker.publish(request, topics.match_requested, partition=i % args.partitions)
        await asyncio.wait_for(arrived.wait(), args.timeout)

    want = [1]
    async with broker:
        await broker.start()
        deadline = time.monotonic() + args.timeout
        while True:  # every worker must handle requests twice in a row: the group is stable
            before = [c.value for c in counters]
            await burst(2 * args.partitions)
            if all(c.value > b for c, b in zip(counters, before, strict=True)) and min(before) > 0:
                break
            if time.monotonic() > deadline:
                raise TimeoutError("workers did not all get partitions")
        cpu, started, first = clock.read(), time.perf_counter(), len(arrivals)
        await burst(args.requests)
        seconds, used = time.perf_counter() - started, spent(cpu, clock.read())
        return seconds, arrivals[-1] - arrivals[first], used


def run(
    workers: int, store: Path, local: LocalBroker, job_ids: list[str], args: argparse.Namespace, repeat: int
) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    prefix = f"bench-r{repeat}-w{workers}."  # fresh topics and groups for each run
    settings = kafka(bench_settings(store), local.bootstrap, prefix)
    asyncio.run(create_topics(settings.kafka, Topics(prefix).all(), args.partitions))
    stop = ctx.Event()
    counters = [ctx.Value("i", 0) for _ in range(workers)]
    copies = [store] + [store.with_name(f"{store.name}-copy{i}") for i in range(1, workers)]
    for copy in copies[1:]:
        shutil.copytree(store, copy, dirs_exist_ok=True)
    procs = [
        ctx.Process(target=worker, args=(str(f), local.bootstrap, prefix, c, stop))
        for f, c in zip(copies, counters, strict=True)
    ]
    for p in procs:
        p.start()
    try:
        start_counts = None
        clock = CpuClock(me=DRIVER, others=WORKERS)  # the workers and the broker are children
        seconds, steady, cpu = asyncio.run(drive(settings, job_ids, counters, clock, args))
        start_counts = [c.value for c in counters]
    finally:
        stop.set()
        for p in procs:
            p.join(30)
    return {
        "workers": workers,
        "requests": args.requests,
        "seconds_end_to_end": round(seconds, 2),
        "end_to_end_per_s": round(args.requests / seconds, 2),
        "seconds_first_to_last_shortlist": round(steady, 2),
        "shortlists_per_s": round((args.requests - 1) / steady, 2),
        "handled_per_worker_total": start_counts,
        "cpu_seconds": cpu,
        "cpu_ms_per_shortlist": {role: round(1000 * c / args.requests, 1) for role, c in cpu.items()},
        "cores": cores(sum(cpu.values()), seconds),
    }


def main(argv: list[str] | None = None) -> None:
    stop_on_sigterm()
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--candidates", type=int, default=10_000)
    ap.add_argument("--jobs", type=int, default=50)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--partitions", type=int, default=6)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--repeats", type=int, default=3, help="rounds of the whole --workers list")
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    load = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as work, LocalBroker() as local:
        folder = Path(work) / "store"
        _, store, job_ids = build(folder, args.candidates, args.jobs)
        store.close()
        counts = [int(n) for n in args.workers.split(",")]
        for repeat in range(args.repeats):
            round_ = [run(n, folder, local, job_ids, args, repeat) | {"repeat": repeat} for n in counts]
            base, base_e2e = round_[0]["shortlists_per_s"], round_[0]["end_to_end_per_s"]
            for row in round_:
                row["speedup"] = round(row["shortlists_per_s"] / base, 2)
                row["speedup_end_to_end"] = round(row["end_to_end_per_s"] / base_e2e, 2)
                rate, e2e = row["shortlists_per_s"], row["end_to_end_per_s"]
                print(f"round {repeat + 1}, {row['workers']} worker(s): {rate:.1f} shortlists/s, "
                      f"x{row['speedup']:.2f} (end to end {e2e:.1f}/s, "
                      f"x{row['speedup_end_to_end']:.2f}); {row['cores']} cores, CPU ms per "
                      f"shortlist {row['cpu_ms_per_shortlist']}")  # fmt: skip
            rows += round_
    most = max(counts)
    median = statistics.median(r["speedup"] for r in rows if r["workers"] == most)
    median_e2e = statistics.median(r["speedup_end_to_end"] for r in rows if r["workers"] == most)
    print(f"median speedup of {most} workers over the rounds: x{median:.2f} (end to end x{median_e2e:.2f})")
    report = {"command": command("matcher_workers", argv), "machine": machine(load), "results": rows}
    summary = {"median_speedup": median, "median_speedup_end_to_end": median_e2e, "workers": most}
    write_report(args.out, report | {"summary": summary, "params": vars(args) | {"out": str(args.out)}})


if __name__ == "__main__":
    main()
