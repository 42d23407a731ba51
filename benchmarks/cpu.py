"""CPU seconds of this process and of each kind of process it started, to say where a run went.

A ratio against raw encoding below 1 has two causes: the model idle (work outside it, in turn) or
the model slower inside its calls (the cores shared). CPU seconds per process tell them apart, and
say how much of the box was left unused.
"""

from __future__ import annotations

from collections import Counter

import psutil

SERVICE, PARSE_WORKERS, BROKER = "service", "parse_workers", "broker"


class CpuClock:
    """``read`` gives CPU seconds so far of this process and of its descendants as they were when
    the clock was made, summed by role: ``me`` for this process, ``BROKER`` for Tansu, ``others``
    for the rest. Descendants are found once: finding them scans every process of the box (~3 ms),
    too slow to repeat around each model call of a per-record run. One that ended between two
    reads loses what it spent since the first: the benchmarks keep their processes for the whole run."""

    def __init__(self, me: str = SERVICE, others: str = PARSE_WORKERS) -> None:
        this = psutil.Process()
        self._processes = [(me, this)] + [
            (BROKER if "tansu" in c.name() else others, c) for c in this.children(recursive=True)
        ]

    def read(self) -> Counter[str]:
        seconds: Counter[str] = Counter()
        for role, process in self._processes:
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            seconds[role] += times.user + times.system
        return seconds


def spent(before: Counter[str], after: Counter[str]) -> dict[str, float]:
    """What each role spent between two reads, in CPU seconds."""
    return {role: round(after[role] - before[role], 2) for role in sorted(after)}


def cores(cpu_seconds: float, wall_seconds: float) -> float:
    """CPU seconds per wall second: 2.0 is both cores of a 2-core box busy throughout."""
    return round(cpu_seconds / max(wall_seconds, 1e-9), 2)
