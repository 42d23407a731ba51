"""A second process on an embedded store's folder is refused at once, in one line that says why
and what to do, instead of starting and failing later on a write-ahead-log error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from services.platform.local_broker import free_port
from services.platform.store.edge import EdgeStore


def test_a_service_on_a_store_another_process_holds_exits_2_with_the_remedy(tmp_path: Path) -> None:
    held = EdgeStore(tmp_path / "edge")  # the default embedded backend's folder under the path
    try:
        env = {
            **os.environ,
            "ROLEFIT_QDRANT__PATH": str(tmp_path),
            "ROLEFIT_HTTP_PORT": str(free_port()),
            "ROLEFIT_KAFKA__BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}",  # never reached
        }
        run = subprocess.run(
            [sys.executable, "-m", "services.cli", "run", "matcher"],
            env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    finally:
        held.close()
    assert run.returncode == 2, run.stdout + run.stderr
    said = " ".join(run.stderr.split())  # rich wraps long lines
    assert "open in another process" in said and "ROLEFIT_QDRANT__URL" in said
    assert "Traceback" not in run.stderr
