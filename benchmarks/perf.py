"""Helpers the performance benchmarks share: the machine, percentiles, memory, synthetic data, reports.

Synthetic résumés start from the bundled samples (text, PDF and DOCX) and vary: each gets its own
id, and text résumés get a seeded "Projects" section of sentences borrowed from other samples, so
lengths (and chunk counts) differ. Synthetic profiles for the store-scale benchmarks are real
profiles of the samples with new ids; their vectors are random unit vectors.
"""

from __future__ import annotations

import json
import os
import platform
import random
import resource
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from schemas.events import CandidateSubmittedV1
from services import samples
from services.core.documents import normalise_text

RESULTS = Path(__file__).resolve().parent / "results"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine(load_before: float) -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "system": platform.platform(),
        # The box is shared: a high load average means other work competed with the run.
        "loadavg_1m_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def percentiles(ms: Sequence[float]) -> dict[str, float]:
    values = np.asarray(ms, dtype=np.float64)
    return {
        "n": len(ms),
        "p50_ms": round(float(np.percentile(values, 50)), 2),
        "p95_ms": round(float(np.percentile(values, 95)), 2),
        "p99_ms": round(float(np.percentile(values, 99)), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


def peak_rss_mb() -> float:
    """This process's peak resident set (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()


def synthetic_resumes(n: int, seed: int = 11) -> list[CandidateSubmittedV1]:
    rng = random.Random(seed)
    base = samples.load_candidates()
    sentences = [
        s.strip()
        for c in base
        if c.resume_text
        for s in normalise_text(c.resume_text)[0].replace("\n", " ").split(". ")
        if len(s.split()) > 5
    ]
    out = []
    for i in range(n):
        source = base[i % len(base)]
        update: dict[str, Any] = {"candidate_id": f"syn-{i:07d}"}
        if source.resume_text:
            extra = ". ".join(rng.sample(sentences, rng.randint(0, 24)))
            tail = f"\n\nProjects\n{extra}\n" if extra else ""
            update["resume_text"] = source.resume_text + tail
        out.append(source.model_copy(update=update))
    return out


def unit_vectors(n: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    x = rng.standard_normal((n, dim)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def command(module: str, argv: Sequence[str] | None) -> str:
    return " ".join([f"python -m benchmarks.{module}", *(argv if argv is not None else sys.argv[1:])])


def write_report(out: Path, report: dict[str, Any]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"wrote {out}")


class Stopwatch:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def seconds(self) -> float:
        return time.perf_counter() - self.started


class RandomEmbedder:
    """The ``Embedder`` port without a model: windows of ~200 words, seeded random unit vectors.
    For benchmarks of the store and matcher, where what the vectors mean does not matter."""

    name = "random@bench"

    def __init__(self, dim: int = 384, seed: int = 5) -> None:
        self.dim = dim
        self._rng = np.random.default_rng(seed)

    def chunk(self, text: str) -> list[str]:
        words = text.split()
        return [" ".join(words[i : i + 200]) for i in range(0, len(words), 200)]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return unit_vectors(len(texts), self.dim, self._rng)
