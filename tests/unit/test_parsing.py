"""Résumés prepared in worker processes: the same result as in this process with the same taxonomy,
errors intact, every worker started up front, a dead worker replaced, no worker outliving a killed
service."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.queues import Queue
from pathlib import Path

import pytest

from services import samples
from services.core.documents import DocumentError, DocumentLimits
from services.core.taxonomy import Skill, Taxonomy
from services.ingest.parsing import ParsePool
from services.ingest.usecases import prepare_candidate
from tests.unit.test_batching import CORRUPT_PDF, resume

LIMITS = DocumentLimits()


def children() -> set[int]:
    return {p.pid for p in multiprocessing.active_children() if p.pid is not None}


def started(processes: int, taxonomy: Taxonomy | None = None) -> tuple[ParsePool, set[int]]:
    """A pool and the processes it started (the pool starts its workers when it is made)."""
    before = children()
    pool = ParsePool(processes, taxonomy or Taxonomy.load(), LIMITS, blind=True)
    return pool, children() - before


@pytest.fixture(scope="module")
def pool() -> Iterator[ParsePool]:
    pool, _ = started(2)
    yield pool
    pool.close()


def test_every_worker_starts_with_the_pool_not_with_the_first_resumes() -> None:
    pool, pids = started(2)
    try:
        assert len(pids) == 2
    finally:
        pool.close()


def test_a_worker_imports_the_document_readers_as_it_starts_not_on_its_first_document() -> None:
    probe = (
        "import sys\n"
        "from services.core.taxonomy import Taxonomy\n"
        "from services.ingest.parsing import READERS, _start_worker\n"
        "print(any(m in sys.modules for m in READERS))\n"
        "_start_worker(Taxonomy.load())\n"
        "print(all(m in sys.modules for m in READERS))\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_a_worker_prepares_each_sample_as_this_process_does(pool: ParsePool) -> None:
    candidates = samples.load_candidates()
    assert {c.resume_file.filename.rsplit(".", 1)[1] for c in candidates if c.resume_file} >= {"pdf", "docx"}
    taxonomy = Taxonomy.load()
    futures = [pool.submit(c) for c in candidates]
    for candidate, future in zip(candidates, futures, strict=True):
        assert future.result(timeout=60) == prepare_candidate(candidate, taxonomy, LIMITS, blind=True)


def test_workers_use_the_taxonomy_they_are_given_not_the_shipped_one() -> None:
    shipped = Taxonomy.load()
    own = Taxonomy("own-1", [shipped.skills["python"], Skill("snorkelling", "Snorkelling", "tool")])
    assert pickle.loads(pickle.dumps(own)).skills == own.skills
    candidate = resume("t").model_copy(update={"resume_text": "Python and snorkelling since 2015."})
    pool, _ = started(1, own)
    try:
        there = pool.submit(candidate).result(timeout=60)
    finally:
        pool.close()
    assert there == prepare_candidate(candidate, own, LIMITS, blind=True)
    assert there.profile.skill_ids() == {"python", "snorkelling"}
    assert there != prepare_candidate(candidate, shipped, LIMITS, blind=True)


def test_an_unreadable_document_fails_with_its_reason(pool: ParsePool) -> None:
    with pytest.raises(DocumentError) as here:
        prepare_candidate(CORRUPT_PDF, Taxonomy.load(), LIMITS, blind=True)
    with pytest.raises(DocumentError) as there:
        pool.submit(CORRUPT_PDF).result(timeout=60)
    assert (there.value.reason, str(there.value)) == (here.value.reason, str(here.value))


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has exited; nobody may have reaped it yet


def _serve_with_a_pool(pids: Queue[list[int]]) -> None:
    """A stand-in service: its pool's workers started, then it idles until killed."""
    pool, workers = started(2)
    pool.submit(resume("o")).result(timeout=60)
    pids.put(sorted(workers))
    time.sleep(600)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc")
def test_workers_exit_when_the_service_is_killed_outright() -> None:
    spawn = multiprocessing.get_context("spawn")
    pids: Queue[list[int]] = spawn.Queue()
    service = spawn.Process(target=_serve_with_a_pool, args=(pids,))
    service.start()
    try:
        workers = pids.get(timeout=60)
    finally:
        service.kill()  # SIGKILL: no shutdown runs
        service.join()
    assert len(workers) == 2
    deadline = time.monotonic() + 30
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(map(_alive, workers))


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_killed_worker_is_replaced_and_its_resume_retried_succeeds() -> None:
    pool, pids = started(1)
    try:
        expected = pool.submit(resume("k")).result(timeout=60)
        assert len(pids) == 1
        os.kill(pids.pop(), signal.SIGKILL)
        before = children()
        # Whether the pool notices the death before or after this submit, the résumé fails
        # transiently or succeeds; never poison, never a hang.
        with contextlib.suppress(BrokenProcessPool):
            pool.submit(resume("k")).result(timeout=60)
        assert pool.submit(resume("k")).result(timeout=60) == expected
        assert children() - before  # a fresh worker
    finally:
        pool.close()
