"""Ingest end to end over the real (Tansu) broker against raw encoding of the very same chunks.

    python -m benchmarks.ingest_throughput [--resumes 200] [--modes batched,per-record,batched-prepared]
        [--batch-max-records 32] [--partitions 6] [--backend torch] [--precision auto] [--streams 0]
        [--stand-in-model] [--repeats 1] [--out PATH]

End to end: N synthetic résumés (``benchmarks.perf.synthetic_resumes``: the bundled samples, varied)
are published to ``candidate.submitted``; the clock stops when the last one is durable in the
store (its profile point written: ``Watching``). Only the ingest service runs. A warm-up résumé
goes first so the consumer group has joined and the model has run once before timing starts.
Raw: one ``embedder.embed`` call over every chunk ingest embedded (recorded on an untimed first
run), same embedder, before and after each timed end-to-end run; each run's ratio is against the
mean of the raw passes either side of it (the box is shared). Target: e2e ≥ 0.9× raw.
Each end-to-end row also gives the share of its wall time the model was busy and the model's rate
inside its calls: work outside the model lowers the first, CPU taken from the model the second.
CPU seconds per process (the service, its parse workers, the broker) over the timed window, and
the cores in use inside model calls and over the whole run, show where the ratio went: the share
of the run's CPU beyond what the raw passes spent on the same chunks, and the cores left idle.
``--stand-in-model`` replaces the model (and its tokenizer's windows) with ``RandomEmbedder``:
the CPU seconds are then what ingest spends beside the model. Mode ``batched-prepared`` is
``batched`` with every résumé prepared (read, defused, redacted, profiled) before the clock
starts: the ratio without that work, a bound on what making it cheaper can gain. Run it beside
``batched`` so both are measured against the same raw passes.
CPU time counts OpenMP's workers spinning between the model's operations as busy: fewer cores in
use inside model calls than in the raw passes means the workers slept there, not that work was
lost (with every model call moved onto one thread, they spun again, 1.98 cores against 1.80, and
the rate inside calls did not change: 0.94x raw either way over three runs each). That was one
team of threads per call, now ``--streams 1``; by default a call's batches run in single-threaded
streams, which have no team to stall.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.cpu import CpuClock, cores, spent
from benchmarks.perf import RESULTS, RandomEmbedder, command, machine, synthetic_resumes, write_report
from schemas.events import CandidateIndexedV1, CandidateSubmittedV1
from schemas.topics import Topics
from services.ingest.app import attach_ingest, build_ingest
from services.ingest.usecases import Ingest, PreparedResume, prepare_candidate
from services.platform.embedder import Embedder, SentenceTransformerEmbedder, Vectors
from services.platform.kafka import create_topics, make_broker
from services.platform.local_broker import LocalBroker, stop_on_sigterm, tansu_client
from services.platform.messaging import key
from services.platform.settings import ModelSettings, Settings
from services.platform.store.factory import open_store
from services.platform.store.port import Point

OUT = RESULTS / "ingest_throughput.json"


class Recording:
    """The ``Embedder`` port, remembering what it was asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.texts: list[str] = []
        self.calls: list[int] = []
        self.busy_s = 0.0  # wall time inside model calls: the rest of a run is the model idle
        self.cpu_in_calls_s = 0.0  # every process's CPU during model calls, the model's included
        self._clock = CpuClock()

    def reset(self) -> None:
        self.texts.clear()
        self.calls.clear()
        self.busy_s = self.cpu_in_calls_s = 0.0
        self._clock = CpuClock()  # the service's processes as they are now, at the window's start

    def chunk(self, text: str) -> list[str]:
        return self.inner.chunk(text)

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.texts.extend(texts)
        self.calls.append(len(texts))
        cpu, started = self._clock.read(), time.perf_counter()
        try:
            return self.inner.embed(texts)
        finally:
            self.busy_s += time.perf_counter() - started
            self.cpu_in_calls_s += sum(self._clock.read().values()) - sum(cpu.values())


def local_settings(bootstrap: str, folder: Path, mode: str, args: argparse.Namespace) -> Settings:
    settings = Settings()
    tansu_client(settings.kafka, bootstrap, fetch_max_wait_ms=args.fetch_max_wait_ms)
    settings.kafka.topic_prefix = f"bench-{mode}."
    settings.qdrant.url, settings.qdrant.path = None, folder / mode
    settings.ingest.batch_max_records = args.batch_max_records if mode.startswith("batched") else 1
    if args.parse_processes >= 0:
        settings.ingest.parse_processes = args.parse_processes
    if "prepared" in mode:
        settings.ingest.parse_processes = 0  # nothing is left to prepare in them
    return settings


@dataclass
class PreparedAhead(Ingest):
    """``Ingest`` that takes a résumé from ``ready`` (keyed by candidate id) where it is there."""

    ready: dict[str, PreparedResume] = field(default_factory=dict)

    def index_candidate(
        self, event: CandidateSubmittedV1, at: datetime, prepared: Callable[[], PreparedResume] | None = None
    ) -> CandidateIndexedV1 | None:
        if prepared is None and event.candidate_id in self.ready:
            prepared = functools.partial(self.ready.__getitem__, event.candidate_id)
        return super().index_candidate(event, at, prepared)


def prepared_ahead(ingest: Ingest, resumes: Sequence[CandidateSubmittedV1]) -> PreparedAhead:
    ready = {r.candidate_id: prepare_candidate(r, ingest.taxonomy, ingest.limits, ingest.blind)
             for r in resumes}  # fmt: skip
    return PreparedAhead(**{f.name: getattr(ingest, f.name) for f in fields(ingest) if f.init}, ready=ready)


class Watching:
    """The ``VectorStore`` port, telling the event loop when ``want`` profiles have been written.

    The clock stops on the write itself: polling ``count`` every 50 ms cost ~0.8 ms a call, under
    the store's lock, during model calls (~1.5% of a core that the service does not spend)."""

    def __init__(self, inner: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.inner, self._loop = inner, loop
        self._lock = threading.Lock()
        self._profiles: dict[str, set[str]] = {}  # per collection; one written twice counts once
        self._want, self._reached = ("", 0), asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def upsert(self, collection: str, points: Sequence[Point]) -> None:
        self.inner.upsert(collection, points)
        with self._lock:
            written = self._profiles.setdefault(collection, set())
            written.update(p.id for p in points if p.payload.get("doc") == "profile")
            if self._want[0] == collection and len(written) >= self._want[1]:
                self._want = ("", 0)
                self._loop.call_soon_threadsafe(self._reached.set)

    async def until(self, collection: str, want: int, timeout_s: float) -> None:
        """Until ``want`` distinct profiles were written to ``collection`` since the store opened."""
        with self._lock:
            if len(self._profiles.get(collection, ())) >= want:
                return
            self._want = (collection, want)
            self._reached.clear()
        try:
            await asyncio.wait_for(self._reached.wait(), timeout_s)
        except TimeoutError:
            done = len(self._profiles.get(collection, ()))
            raise TimeoutError(f"{done}/{want} indexed in {timeout_s} s") from None


async def end_to_end(
    local: LocalBroker, folder: Path, mode: str, embedder: Embedder, resumes: list[CandidateSubmittedV1],
    args: argparse.Namespace,
) -> tuple[dict[str, Any], list[str]]:  # fmt: skip
    settings = local_settings(local.bootstrap, folder, mode, args)
    topics = Topics(settings.kafka.topic_prefix)
    await create_topics(settings.kafka, topics.all(), args.partitions)
    store = Watching(open_store(settings.qdrant), asyncio.get_running_loop())
    recording = Recording(embedder)
    ingest = build_ingest(settings, store, recording)
    if "prepared" in mode:
        ingest = prepared_ahead(ingest, resumes)
    broker = make_broker(settings.kafka, logger=None)  # no access log line per message
    detach = attach_ingest(broker, settings, ingest)
    collection = ingest.collections.candidates
    try:
        async with broker:
            await broker.start()
            warm = resumes[0].model_copy(update={"candidate_id": "warm-up"})
            await broker.publish(warm, topics.candidate_submitted, key=key("warm-up"))
            await store.until(collection, 1, 120)
            recording.reset()
            clock = CpuClock()
            cpu, started = clock.read(), time.perf_counter()
            for resume in resumes:
                await broker.publish(resume, topics.candidate_submitted, key=key(resume.candidate_id))
            await store.until(collection, len(resumes) + 1, args.timeout)
            seconds = time.perf_counter() - started
            cpu_s = spent(cpu, clock.read())
    finally:
        detach()
        store.close()
    row = {
        "mode": mode,
        "seconds": round(seconds, 2),
        "texts_per_s": round(len(resumes) / seconds, 2),
        "chunks_per_s": round(len(recording.texts) / seconds, 2),
        "chunks": len(recording.texts),
        "embed_calls": len(recording.calls),
        "mean_chunks_per_embed_call": round(len(recording.texts) / max(1, len(recording.calls)), 1),
        # Where the ratio goes: the model idle (work outside it) or slower inside its calls.
        "model_busy_share": round(recording.busy_s / seconds, 3),
        "chunks_per_s_in_model_calls": round(len(recording.texts) / max(recording.busy_s, 1e-9), 2),
        "cpu_s": cpu_s,  # by process over the timed window (the benchmark's producer is in "service")
        "cores_used": cores(sum(cpu_s.values()), seconds),
        "cores_in_model_calls": cores(recording.cpu_in_calls_s, recording.busy_s),
    }
    return row, list(recording.texts)


def raw(embedder: Embedder, chunks: list[str], resumes: int) -> dict[str, Any]:
    clock = CpuClock()
    cpu, started = clock.read(), time.perf_counter()
    embedder.embed(chunks)
    seconds = time.perf_counter() - started
    cpu_s = sum(spent(cpu, clock.read()).values())
    return {"seconds": round(seconds, 2), "chunks_per_s": round(len(chunks) / seconds, 2),
            "texts_per_s": round(resumes / seconds, 2), "cpu_s": round(cpu_s, 2),
            "cores_used": cores(cpu_s, seconds)}  # fmt: skip


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """raw, e2e, raw, e2e, raw: each end-to-end run is compared with the raw passes either side of
    it, so a change in the box's load between runs does not become a ratio. ``--repeats`` times
    per mode; a mode's ratio is the median of its runs'."""
    model = ModelSettings(backend=args.backend, precision=args.precision)
    if args.model_batch_size:
        model.batch_size = args.model_batch_size
    if args.streams:
        model.streams = args.streams
    embedder: Embedder = RandomEmbedder() if args.stand_in_model else SentenceTransformerEmbedder(model)
    resumes = synthetic_resumes(args.resumes, args.seed)
    rows: list[dict[str, Any]] = []
    raws: list[dict[str, Any]] = []
    chunks: list[str] | None = None
    with LocalBroker() as local, tempfile.TemporaryDirectory(prefix="bench-ingest-") as folder:
        for mode in args.modes.split(","):
            for repeat in range(args.repeats):
                row, recorded = await end_to_end(
                    local, Path(folder), f"{mode}-{repeat}", embedder, resumes, args
                )
                if chunks is None:  # the raw passes need the chunks: learn them from the first run
                    chunks = recorded
                    raws.append(raw(embedder, chunks, len(resumes)))
                    row, _ = await end_to_end(local, Path(folder), f"{mode}-timed", embedder, resumes, args)
                row["mode"] = mode
                rows.append(row)
                raws.append(raw(embedder, chunks, len(resumes)))
    for i, row in enumerate(rows):
        around = (raws[i]["chunks_per_s"] + raws[i + 1]["chunks_per_s"]) / 2
        row["raw_chunks_per_s_around"] = round(around, 2)
        row["ratio_vs_raw"] = round(row["chunks_per_s"] / around, 3)
        # The model's own CPU for these chunks, as the raw passes either side spent it.
        model_cpu = (raws[i]["cpu_s"] + raws[i + 1]["cpu_s"]) / 2
        row["cpu_beyond_model_share"] = round(1 - model_cpu / sum(row["cpu_s"].values()), 3)
        row["cores_idle_share"] = round(1 - row["cores_used"] / (os.cpu_count() or 1), 3)
    medians = {
        mode: round(statistics.median(r["ratio_vs_raw"] for r in rows if r["mode"] == mode), 3)
        for mode in args.modes.split(",")
    }
    return {"raw": raws, "end_to_end": rows, "median_ratio_vs_raw": medians, "model": embedder.name}


def main(argv: list[str] | None = None) -> None:
    stop_on_sigterm()
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--resumes", type=int, default=200)
    ap.add_argument(
        "--modes", default="batched,per-record", help="batched, per-record and/or batched-prepared"
    )
    ap.add_argument("--batch-max-records", type=int, default=32)
    ap.add_argument("--partitions", type=int, default=6)
    ap.add_argument(
        "--fetch-max-wait-ms", type=int, default=500,
        help="the service consumer's fetch wait, Kafka's 500 by default: Tansu holds a fetch this long "
        "where Kafka answers on arrival, yet 50 gave lower ratios (benchmarks/README.md)",
    )  # fmt: skip
    ap.add_argument("--backend", default="torch", choices=["torch", "onnx", "openvino"])
    ap.add_argument(
        "--precision",
        default="auto",
        choices=["auto", "fp32", "bf16", "int8"],
        help="auto: the service default (bf16 where the CPU has native bf16, else fp32)",
    )
    ap.add_argument(
        "--model-batch-size", type=int, default=0, help="texts per forward pass; 0: the service default"
    )
    ap.add_argument(
        "--streams",
        type=int,
        default=0,
        help="model batches at once (1: one encode call); 0: the service default",
    )
    ap.add_argument(
        "--parse-processes",
        type=int,
        default=-1,
        help="résumé parse processes (0: none); -1: the service default",
    )
    ap.add_argument(
        "--stand-in-model",
        action="store_true",
        help="random vectors and ~200-word windows instead of the model: what ingest costs beside it",
    )
    ap.add_argument("--repeats", type=int, default=1, help="timed end-to-end runs per mode")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for one run")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    load = os.getloadavg()[0]
    result = asyncio.run(run(args))
    print(f"model {result['model']}, {args.resumes} résumés, {result['end_to_end'][0]['chunks']} chunks")
    print(f"{'run':<14}{'seconds':>9}{'résumés/s':>11}{'chunks/s':>10}{'×raw':>7}{'chunks/call':>13}"
          f"{'model busy':>12}{'in calls/s':>12}{'cores':>7}{'in calls':>9}{'CPU not model':>15}"
          f"{'cores idle':>12}")  # fmt: skip
    for r in result["raw"]:
        rates = f"{r['seconds']:>9.1f}{r['texts_per_s']:>11.2f}{r['chunks_per_s']:>10.2f}"
        print(f"{'raw encode':<14}{rates}{'':>44}{r['cores_used']:>7.2f}")
    for r in result["end_to_end"]:
        rates = f"{r['seconds']:>9.1f}{r['texts_per_s']:>11.2f}{r['chunks_per_s']:>10.2f}"
        per_call = r["mean_chunks_per_embed_call"]
        model = f"{r['model_busy_share']:>12.0%}{r['chunks_per_s_in_model_calls']:>12.2f}"
        cpu = (
            f"{r['cores_used']:>7.2f}{r['cores_in_model_calls']:>9.2f}"
            f"{r['cpu_beyond_model_share']:>15.0%}{r['cores_idle_share']:>12.0%}"
        )
        print(f"{'e2e ' + r['mode']:<14}{rates}{r['ratio_vs_raw']:>7.3f}{per_call:>13.1f}{model}{cpu}")
    for r in result["end_to_end"]:
        print(f"CPU seconds, e2e {r['mode']}: {r['cpu_s']}")
    print("median ×raw per mode:", result["median_ratio_vs_raw"])
    if args.stand_in_model:
        print("stand-in model: the ratios mean nothing; the CPU seconds are the service's own work")
    write_report(args.out, {"command": command("ingest_throughput", argv), "machine": machine(load),
                            "params": {k: str(v) for k, v in vars(args).items()}, **result,
                            "notes": ["ingest only (no matcher)", "raw = one embed call over the same "
                                      "chunks; each e2e run is compared with the raw passes either side "
                                      "of it"]})  # fmt: skip


if __name__ == "__main__":
    main()
