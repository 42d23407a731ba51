"""Ingest workers as child processes (``tests.reliability.worker``), configured the way an
operator would: ``ROLEFIT_*`` environment variables only."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from services.platform.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def environment(settings: Settings, **extra: str) -> dict[str, str]:
    kafka, ingest, retry = settings.kafka, settings.ingest, settings.retry
    values = {
        "ROLEFIT_KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "ROLEFIT_KAFKA__TOPIC_PREFIX": kafka.topic_prefix,
        "ROLEFIT_KAFKA__ENABLE_IDEMPOTENCE": str(kafka.enable_idempotence).lower(),
        "ROLEFIT_KAFKA__SESSION_TIMEOUT_MS": str(kafka.session_timeout_ms),
        "ROLEFIT_KAFKA__HEARTBEAT_INTERVAL_MS": str(kafka.heartbeat_interval_ms),
        "ROLEFIT_KAFKA__GRACEFUL_TIMEOUT_S": str(kafka.graceful_timeout_s),
        "ROLEFIT_QDRANT__PATH": str(settings.qdrant.path),
        "ROLEFIT_INGEST__GROUP_ID": ingest.group_id,
        "ROLEFIT_INGEST__BATCH_MAX_RECORDS": str(ingest.batch_max_records),
        "ROLEFIT_RETRY__ATTEMPTS": str(retry.attempts),
        "ROLEFIT_RETRY__INITIAL_WAIT_S": str(retry.initial_wait_s),
        "ROLEFIT_RETRY__MAX_WAIT_S": str(retry.max_wait_s),
        "ROLEFIT_LOG_LEVEL": "INFO",
    }
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("ROLEFIT_")}
    return {**inherited, **values, **extra, "PYTHONPATH": str(ROOT)}


class Worker:
    def __init__(self, settings: Settings, log: Path, **extra: str) -> None:
        self.log = log
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.reliability.worker"],
                cwd=ROOT,
                env=environment(settings, **extra),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def send(self, sig: signal.Signals) -> None:
        self.proc.send_signal(sig)

    async def exit_code(self, within_s: float) -> int:
        """Waits for the process; an overrun fails the test with the worker's log tail."""
        try:
            return await asyncio.to_thread(self.proc.wait, within_s)
        except subprocess.TimeoutExpired as exc:
            tail = self.log.read_text(errors="replace")[-3000:]
            raise AssertionError(f"worker still running after {within_s} s; log tail:\n{tail}") from exc

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


@contextmanager
def worker(settings: Settings, log: Path, **extra: str) -> Iterator[Worker]:
    """A worker that is gone when the block ends, whatever the test did to it."""
    started = Worker(settings, log, **extra)
    try:
        yield started
    finally:
        started.kill()
