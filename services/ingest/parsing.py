"""Résumés prepared in worker processes: a batch's résumés on every core at once.

Preparing a résumé (reading the document, defusing, redaction, the profile) is pure Python. In
the service's threads it holds the GIL, so a batch's résumés are prepared one at a time, one core
busy, while the model waits for all of them; here they are prepared side by side in processes.

Measured on 2 cores (benchmarks/ingest_throughput.py, medians of 18 runs against 24 without): the
model's busy share of a run went from 81% to 85%, ingest from 0.752x to 0.787x raw encoding.
Preparing the next résumés during a model call as well (rounds of 8, workers at ``SCHED_IDLE``)
kept the model busier still (91%) but slower inside its calls, 0.786x over 14 runs: no better, so
not kept. On more cores the gain should grow, as preparing in threads stays on one core.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from schemas.events import CandidateSubmittedV1
from services.core.documents import DocumentLimits
from services.core.taxonomy import Taxonomy
from services.ingest.usecases import PreparedResume, prepare_candidate

log = logging.getLogger("rolefit.ingest.parsing")

_taxonomy: Taxonomy | None = None  # one per worker process, sent when it starts
# Imported as a worker starts, not on its first PDF or DOCX: pypdf and python-docx take ~0.3 s
# to import, and a batch's model call waits for its slowest résumé (the first batch after a
# start ran its parsing at twice the later batches' time).
READERS = ("services.core.pdf_text", "services.core.docx_text")


def _start_worker(taxonomy: Taxonomy) -> None:
    global _taxonomy
    _taxonomy = taxonomy
    for module in READERS:
        importlib.import_module(module)
    # A worker waiting on its queue does not notice its parent's death: without this, a service
    # killed outright (OOM, SIGKILL) leaves its workers running, orphaned (seen in a test run).
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), name="parent-watch", daemon=True).start()


def _exit_with(parent_sentinel: int) -> None:
    multiprocessing.connection.wait([parent_sentinel])
    os._exit(1)


def _prepare(event: CandidateSubmittedV1, limits: DocumentLimits, blind: bool) -> PreparedResume:
    assert _taxonomy is not None, "runs in a worker started by _start_worker"
    return prepare_candidate(event, _taxonomy, limits, blind)


class ParsePool:
    """``prepare_candidate`` in ``processes`` worker processes, each with a copy of ``taxonomy``.

    Errors come back as raised in the worker (``DocumentError`` stays poison). A worker that dies
    (killed for memory, a crash in a parser's C code) breaks the pool: its pending résumés fail
    with ``BrokenProcessPool``, which is transient, so they are retried, and the next ``submit``
    starts a fresh pool. Workers exit with the process that started them, however it ends.
    """

    def __init__(self, processes: int, taxonomy: Taxonomy, limits: DocumentLimits, blind: bool) -> None:
        self._processes, self._taxonomy, self._limits, self._blind = processes, taxonomy, limits, blind
        self._lock = threading.Lock()
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        # spawn, not fork: the parent runs threads and torch, which a forked child must not inherit.
        pool = ProcessPoolExecutor(
            self._processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(self._taxonomy,),
        )
        for _ in range(self._processes):  # one worker starts per submit that finds none idle
            pool.submit(int)  # so they start (and load their taxonomies) before the first résumé
        return pool

    def submit(self, event: CandidateSubmittedV1) -> Future[PreparedResume]:
        with self._lock:
            try:
                return self._pool.submit(_prepare, event, self._limits, self._blind)
            except BrokenProcessPool:
                log.warning("a parse worker died; starting a fresh pool of %d", self._processes)
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._start()
                return self._pool.submit(_prepare, event, self._limits, self._blind)

    def close(self) -> None:
        with self._lock:
            self._pool.shutdown(wait=True, cancel_futures=True)
