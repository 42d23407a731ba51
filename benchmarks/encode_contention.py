"""Raw encoding alone, and beside another process taking a small share of one core.

    python -m benchmarks.encode_contention [--texts 96] [--shares 0.05,0.1,0.2] [--repeats 5]
        [--precision auto] [--out PATH]

Why: ingest end to end is compared with raw encoding (``benchmarks.ingest_throughput``), and on a
box whose cores all run the model's threads (torch's default: one per core) any other work
competes with it. This measures what that competition costs the model: a thread that loses its
core for a moment holds up the others at the next point where they wait for each other, so the
model can lose more than the CPU the other work takes.
Each round encodes the same texts (model windows of the synthetic résumés) alone, then once beside
a separate process (no GIL shared) that, every 10 ms, busy-loops for ``share`` of them. Reported
per share, medians over the rounds: the slowdown against the same round's run alone, the share of
the box's CPU the other process actually took (its CPU time over the run, over all cores), and
their quotient, the amplification (1 = the model loses exactly the CPU taken from it).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import time
from collections.abc import Sequence
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from benchmarks.perf import RESULTS, command, machine, synthetic_resumes, write_report
from services.platform.embedder import SentenceTransformerEmbedder
from services.platform.settings import ModelSettings

OUT = RESULTS / "encode_contention.json"
PERIOD_S = 0.010


def busy(share: float, stop: Event) -> None:
    """Spin for ``share`` of every period, sleep the rest, until ``stop``."""
    while not stop.is_set():
        until = time.perf_counter() + share * PERIOD_S
        while time.perf_counter() < until:
            pass
        time.sleep((1 - share) * PERIOD_S)


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # children that have been waited for
    return usage.ru_utime + usage.ru_stime


def encode_rate(
    embedder: SentenceTransformerEmbedder, texts: Sequence[str], share: float
) -> dict[str, float]:
    """Texts per second of one embed call; with ``share``, beside the busy process."""
    if not share:
        started = time.perf_counter()
        embedder.embed(texts)
        return {"texts_per_s": len(texts) / (time.perf_counter() - started), "other_cpu_share": 0.0}
    # fork: the child only spins (no torch, no threads), and starts at once, without imports.
    context = multiprocessing.get_context("fork")
    stop = context.Event()
    before = children_cpu_s()
    other = context.Process(target=busy, args=(share, stop))
    born = time.perf_counter()
    other.start()
    started = time.perf_counter()
    embedder.embed(texts)
    seconds = time.perf_counter() - started
    stop.set()
    other.join()
    lived = time.perf_counter() - born
    cores = len(os.sched_getaffinity(0))
    return {
        "texts_per_s": len(texts) / seconds,
        "other_cpu_share": (children_cpu_s() - before) / lived / cores,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    embedder = SentenceTransformerEmbedder(ModelSettings(precision=args.precision))
    windows = [w for r in synthetic_resumes(args.texts) for w in embedder.chunk(r.resume_text or "")]
    texts = windows[: args.texts]
    embedder.embed(texts[:8])  # the first call pays one-off setup
    shares = [float(s) for s in args.shares.split(",")]
    alone: list[float] = []
    beside: dict[float, list[dict[str, float]]] = {share: [] for share in shares}
    for _ in range(args.repeats):  # rounds: alone, then beside each share
        alone.append(encode_rate(embedder, texts, 0.0)["texts_per_s"])
        for share in shares:
            beside[share].append(encode_rate(embedder, texts, share))
    rows = []
    for share, runs in beside.items():
        slowdown = [1 - b["texts_per_s"] / a for b, a in zip(runs, alone, strict=True)]
        taken = [b["other_cpu_share"] for b in runs]
        rows.append({
            "busy_share_of_one_core": share,
            "other_cpu_share_of_box": round(statistics.median(taken), 3),
            "slowdown": round(statistics.median(slowdown), 3),
            "amplification": round(statistics.median(s / t for s, t in zip(slowdown, taken, strict=True)), 2),
        })  # fmt: skip
    rounds = [{"alone": a, **{str(s): runs[i] for s, runs in beside.items()}} for i, a in enumerate(alone)]
    return {"model": embedder.name, "texts": len(texts), "rounds": rounds, "results": rows}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--texts", type=int, default=96)
    ap.add_argument("--shares", default="0.05,0.1,0.2", help="busy share of one core of the other process")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    load = os.getloadavg()[0]
    result = run(args)
    alone = statistics.median(r["alone"] for r in result["rounds"])
    print(f"model {result['model']}, {result['texts']} texts; alone: {alone:.1f} texts/s (median)")
    print(f"{'busy share of a core':>21}{'of the box taken':>18}{'slowdown':>10}{'amplification':>15}")
    for row in result["results"]:
        print(f"{row['busy_share_of_one_core']:>21.0%}{row['other_cpu_share_of_box']:>18.1%}"
              f"{row['slowdown']:>10.1%}{row['amplification']:>15.2f}")  # fmt: skip
    write_report(args.out, {"command": command("encode_contention", argv), "machine": machine(load),
                            "params": {k: str(v) for k, v in vars(args).items()}, **result})  # fmt: skip


if __name__ == "__main__":
    main()
