"""Index a batch of résumés with one model call for all their chunks.

``Ingest.index_candidate`` stays the one definition of indexing a résumé: every event of a batch
runs it in a thread of its own, against an embedder handle (``_Party``) of a shared ``EmbedRound``.
The last party to reach ``embed`` runs the model once over everyone's chunks and hands each its
rows; a party that never embeds (stale event, unreadable document) leaves the round, so nobody
waits for it. Each event keeps its own outcome: one poison document fails alone.

With a ``ParsePool`` (the default), a batch's résumés are prepared in worker processes, side by
side, and each event's ``index_candidate`` takes its résumé from there.

Order per key: the events of one candidate go in successive waves, in offset order, so a later
version is written after an earlier one exactly as one at a time; once one of them fails
transiently, its later events are held back (``Blocked``) and retried with it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime

from schemas.events import CandidateIndexedV1, CandidateSubmittedV1
from services.ingest.parsing import ParsePool
from services.ingest.usecases import Ingest, PreparedResume
from services.platform.embedder import Embedder, Vectors


@dataclass(frozen=True)
class Outcome:
    """``error`` None: done, ``indexed`` None meaning stale. Otherwise the failure of this event."""

    indexed: CandidateIndexedV1 | None = None
    error: BaseException | None = None


class Blocked(RuntimeError):
    """An earlier event of the same key failed transiently in this batch; this one waits for it."""


class EmbedRound:
    """A barrier with a model call: ``parties`` handles either submit texts once or leave."""

    def __init__(self, inner: Embedder, parties: int) -> None:
        self._inner = inner
        self._open = parties  # handles that have neither submitted nor left
        self._requests: list[list[str]] = []
        self._result: Vectors | BaseException | None = None
        self._done = threading.Condition()

    def party(self) -> _Party:
        return _Party(self, self._inner)

    def submit(self, texts: Sequence[str]) -> Vectors:
        with self._done:
            index, self._open = len(self._requests), self._open - 1
            self._requests.append(list(texts))
            last = self._open == 0
        if last:
            self._run()
        with self._done:
            self._done.wait_for(lambda: self._result is not None)
            result = self._result
        if isinstance(result, BaseException):
            raise result
        assert result is not None
        start = sum(len(r) for r in self._requests[:index])
        return result[start : start + len(texts)]

    def leave(self) -> None:
        with self._done:
            self._open -= 1
            last = self._open == 0 and bool(self._requests)
        if last:
            self._run()

    def _run(self) -> None:
        """Only the thread that closed the round gets here, so the model runs once."""
        result: Vectors | BaseException
        try:
            result = self._inner.embed([t for r in self._requests for t in r])
        except Exception as exc:  # every waiting party raises it: a model failure is transient
            result = exc
        with self._done:
            self._result = result
            self._done.notify_all()


class _Party:
    """The ``Embedder`` one event sees: its first ``embed`` joins the round."""

    def __init__(self, round_: EmbedRound, inner: Embedder) -> None:
        self._round, self._inner = round_, inner
        self.name, self.dim = inner.name, inner.dim
        self.joined = False

    def chunk(self, text: str) -> list[str]:
        return self._inner.chunk(text)

    def embed(self, texts: Sequence[str]) -> Vectors:
        if self.joined:  # a second call (not how Ingest embeds today) is simply served alone
            return self._inner.embed(texts)
        self.joined = True
        return self._round.submit(texts)

    def leave(self) -> None:
        if not self.joined:
            self.joined = True
            self._round.leave()


def waves(keys: Sequence[str]) -> list[list[int]]:
    """Positions grouped so no wave holds a key twice; the n-th event of a key is in wave n."""
    seen: dict[str, int] = {}
    out: list[list[int]] = []
    for position, key in enumerate(keys):
        wave = seen[key] = seen.get(key, -1) + 1
        if wave == len(out):
            out.append([])
        out[wave].append(position)
    return out


class BatchIndexer:
    """``index`` blocks; call it from a worker thread. Threads are bounded by ``max_parallel``.
    ``parser``: where résumés are prepared; None, in the threads."""

    def __init__(
        self,
        ingest: Ingest,
        max_parallel: int,
        poison: tuple[type[BaseException], ...],
        parser: ParsePool | None = None,
    ) -> None:
        self.ingest = ingest
        self._poison = poison
        self._parallel = max(1, max_parallel)
        self._pool = ThreadPoolExecutor(self._parallel, thread_name_prefix="rolefit-batch")
        self._parser = parser

    def index(self, events: Sequence[CandidateSubmittedV1], times: Sequence[datetime]) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(events)
        failed: dict[str, BaseException] = {}
        prepared = [self._parser.submit(event) for event in events] if self._parser else []
        for wave in waves([e.candidate_id for e in events]):
            ready = []
            for i in wave:
                if events[i].candidate_id in failed:
                    outcomes[i] = Outcome(error=Blocked(str(failed[events[i].candidate_id])))
                else:
                    ready.append(i)
            # All parties of a round must run at once: a round never outgrows the pool.
            for start in range(0, len(ready), self._parallel):
                group = ready[start : start + self._parallel]
                for i, outcome in zip(group, self._round(events, times, prepared, group), strict=True):
                    outcomes[i] = outcome
                    if outcome.error is not None and not isinstance(outcome.error, self._poison):
                        failed[events[i].candidate_id] = outcome.error
        for future in prepared:
            future.cancel()  # blocked events' résumés, not yet prepared: not needed now
        return [o if o is not None else Outcome(error=Blocked("not run")) for o in outcomes]

    def _round(
        self,
        events: Sequence[CandidateSubmittedV1],
        times: Sequence[datetime],
        prepared: Sequence[Future[PreparedResume]],
        group: list[int],
    ) -> list[Outcome]:
        round_ = EmbedRound(self.ingest.embedder, len(group))
        jobs = [
            self._pool.submit(
                self._one, round_.party(), events[i], times[i], prepared[i].result if prepared else None
            )
            for i in group
        ]
        return [job.result() for job in jobs]

    def _one(
        self,
        party: _Party,
        event: CandidateSubmittedV1,
        at: datetime,
        prepared: Callable[[], PreparedResume] | None,
    ) -> Outcome:
        try:
            return Outcome(indexed=replace(self.ingest, embedder=party).index_candidate(event, at, prepared))
        except Exception as exc:
            return Outcome(error=exc)
        finally:
            party.leave()

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        if self._parser is not None:
            self._parser.close()
