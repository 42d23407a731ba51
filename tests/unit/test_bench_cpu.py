"""The benchmarks' CPU accounting: each process's CPU lands under its role, and only once."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.cpu import BROKER, PARSE_WORKERS, SERVICE, CpuClock, cores, spent

_BURN = (
    "import sys, time\n"
    "sys.stdin.readline()\n"  # started before the clock, it burns once told to
    "t = time.process_time()\n"
    "while time.process_time() - t < 0.3: pass\n"
    "print('burnt', flush=True)\n"
    "sys.stdin.read()\n"  # stays alive, so the clock can still read it
)


def _burn_here(seconds: float) -> None:
    started = time.process_time()
    while time.process_time() - started < seconds:
        pass


def _start(executable: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [executable, "-c", _BURN], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )


def _burn(child: subprocess.Popen[str]) -> None:
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write("go\n")
    child.stdin.flush()
    assert child.stdout.readline().strip() == "burnt"


@pytest.mark.parametrize(
    ("roles", "me", "others"),
    [({}, SERVICE, PARSE_WORKERS), ({"me": "driver", "others": "workers"}, "driver", "workers")],
)
def test_cpu_is_summed_by_role(tmp_path: Path, roles: dict[str, str], me: str, others: str) -> None:
    tansu = tmp_path / "tansu"  # a process named like the broker
    tansu.symlink_to(sys.executable)
    children = [_start(str(tansu)), _start(sys.executable), _start(sys.executable)]
    try:
        clock = CpuClock(**roles)
        before = clock.read()
        for child in children:
            _burn(child)
        _burn_here(0.3)
        used = spent(before, clock.read())
    finally:
        for child in children:
            child.communicate("")
    assert set(used) == {BROKER, me, others}
    # Linux counts CPU in 10 ms ticks, so a reading may lag what a process burnt by a tick or two.
    assert 0.25 <= used[BROKER] < 0.3 + 0.25  # one process
    assert 0.5 <= used[others] < 0.6 + 0.5  # two
    assert used[me] >= 0.25


def test_cores_is_cpu_per_wall_second() -> None:
    assert cores(3.0, 2.0) == 1.5
    assert cores(1.0, 0.0) > 1e6  # no division by zero on an empty window
