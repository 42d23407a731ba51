"""``kill`` (SIGTERM) on a rolefit program that started the local broker stops what it started.

SIGTERM's default action ends a process at once, without ``finally`` or ``atexit``: the Tansu
child would live on, holding its port, and a second ``rolefit broker`` on that port would fail.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from services.platform.local_broker import free_port

pytestmark = [pytest.mark.broker, pytest.mark.timeout(180)]


def _descendants(pid: int) -> set[int]:
    """Children, grandchildren, …, as Linux lists them in /proc."""
    found: set[int] = set()
    for tasks in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            children = {int(c) for c in tasks.read_text().split()}
        except OSError:  # the task ended meanwhile
            continue
        for child in children - found:
            found |= {child, *_descendants(child)}
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; only its parent's wait is missing


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return f"{pid} (gone)"


def _program(tmp_path: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ROLEFIT_QDRANT__PATH": str(tmp_path / "store")}
    env.pop("ROLEFIT_INGEST__PARSE_PROCESSES", None)  # as shipped, parse processes on (conftest: off)
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _started(program: subprocess.Popen[bytes], children: list[str], timeout_s: float) -> set[int]:
    """Waits until each of ``children`` is in a descendant's command line; returns the descendants."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert program.poll() is None, f"exited early with {program.returncode}"
        family = _descendants(program.pid)
        lines = [_command(pid) for pid in family]
        if all(any(child in line for line in lines) for child in children):
            return family
        time.sleep(0.1)
    raise TimeoutError(f"not all of {children} started")


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads the process tree from Linux /proc")
@pytest.mark.parametrize(
    ("args", "children"),
    [
        pytest.param(["broker", "--port", "FREE"], ["tansu"], id="broker"),
        # Stopped while its services run: the ingest's parse processes have started.
        pytest.param(["demo"], ["tansu", "multiprocessing.spawn"], id="demo", marks=pytest.mark.model),
    ],
)
def test_sigterm_stops_the_local_broker_and_every_child(
    tmp_path: Path, args: list[str], children: list[str]
) -> None:
    program = _program(tmp_path, *(str(free_port()) if arg == "FREE" else arg for arg in args))
    family: set[int] = set()
    try:
        family = _started(program, children, timeout_s=120)
        program.send_signal(signal.SIGTERM)
        program.wait(timeout=60)
        deadline = time.monotonic() + 15
        while (left := {pid for pid in family if _alive(pid)}) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not left, f"still running after the program ended: {[_command(pid) for pid in left]}"
    finally:
        for pid in [program.pid, *family]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        program.wait()
