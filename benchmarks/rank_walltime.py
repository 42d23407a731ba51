"""``rolefit rank`` wall time: 1 job x N candidates and N candidates x 50 jobs.

    python -m benchmarks.rank_walltime [--candidates 200] [--jobs 50] [--backend torch] [--precision fp32]

Runs the real command (``rolefit rank`` in a fresh Python process, through
``services.offline.rank_files``): imports, model load, indexing every candidate and job (real
MiniLM), ranking, writing the output. Candidates: ``benchmarks.perf.synthetic_resumes``; jobs: the
bundled ones, cycled under new ids. The model load alone is timed in a separate process, so the
table shows how much of the wall time is start-up.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.perf import RESULTS, command, machine, synthetic_resumes, write_report
from services import samples

OUT = RESULTS / "rank_walltime.json"
CLI = "from services.cli import app; app()"
LOAD = (
    "import time; t = time.perf_counter(); "
    "from services.platform.embedder import SentenceTransformerEmbedder; "
    "from services.platform.settings import Settings; SentenceTransformerEmbedder(Settings().model); "
    "print(time.perf_counter() - t)"
)


def write_inputs(folder: Path, candidates: int, jobs: int) -> tuple[Path, Path, Path]:
    bundled = samples.load_jobs()
    one, many, people = folder / "one_job.jsonl", folder / "jobs.jsonl", folder / "candidates.jsonl"
    one.write_text(bundled[0].model_dump_json() + "\n", encoding="utf-8")
    many.write_text(
        "".join(
            bundled[i % len(bundled)].model_copy(update={"job_id": f"job-{i:03d}"}).model_dump_json() + "\n"
            for i in range(jobs)
        ),
        encoding="utf-8",
    )
    people.write_text("".join(c.model_dump_json() + "\n" for c in synthetic_resumes(candidates)), "utf-8")
    return one, many, people


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{argv[3:]} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return time.perf_counter() - started, done.stdout


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--candidates", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=50)
    ap.add_argument("--top-k", type=int, default=10)
    ap.add_argument("--backend", default="torch", choices=["torch", "onnx", "openvino"])
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "int8"])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    load = os.getloadavg()[0]
    env = os.environ | {"ROLEFIT_MODEL__BACKEND": args.backend, "ROLEFIT_MODEL__PRECISION": args.precision,
                        "ROLEFIT_LOG_LEVEL": "WARNING"}  # fmt: skip
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-rank-") as work:
        one, many, people = write_inputs(Path(work), args.candidates, args.jobs)
        model_load = float(timed([sys.executable, "-c", LOAD], env)[1].strip().splitlines()[-1])
        for shape, jobs, n_jobs in (("1 job x N", one, 1), (f"N x {args.jobs} jobs", many, args.jobs)):
            out = Path(work) / "out.jsonl"
            argv_ = [sys.executable, "-c", CLI, "rank", "--jobs", str(jobs), "--candidates", str(people),
                     "--output", str(out), "--top-k", str(args.top_k)]  # fmt: skip
            seconds, _ = timed(argv_, env)
            per_candidate = round(1000 * seconds / args.candidates, 1)
            lines = len(out.read_text(encoding="utf-8").splitlines())
            row = {"shape": shape, "jobs": n_jobs, "candidates": args.candidates, "wall_s": round(seconds, 1)}
            rows.append(row | {"ms_per_candidate": per_candidate, "lines_out": lines})
    print(f"model load alone (fresh process): {model_load:.1f} s")
    print(f"{'shape':<16}{'candidates':>11}{'jobs':>6}{'wall s':>9}{'ms/candidate':>14}")
    for r in rows:
        print(
            f"{r['shape']:<16}{r['candidates']:>11}{r['jobs']:>6}{r['wall_s']:>9.1f}{r['ms_per_candidate']:>14.1f}"
        )
    report = {"command": command("rank_walltime", argv), "machine": machine(load), "results": rows}
    write_report(
        args.out, report | {"params": vars(args) | {"out": str(args.out)}, "model_load_s": model_load}
    )


if __name__ == "__main__":
    main()
