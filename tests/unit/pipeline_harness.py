"""The real ingest and matcher use-cases on an embedded Edge store, without Kafka.

For tests that compare scores end to end: documents go through the readers, the defences,
redaction, profiling and the embedder; scores come from the decision the matcher records,
at full precision, for the whole pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from schemas.events import (
    CandidateIndexedV1,
    CandidateSubmittedV1,
    ConsideredCandidateV1,
    DecisionRecordedV1,
    JobPostedV1,
)
from services.ingest.app import build_ingest
from services.ingest.usecases import Ingest
from services.matcher.app import build_matcher
from services.matcher.usecases import Matcher
from services.platform.embedder import Embedder
from services.platform.settings import QdrantSettings, Settings
from services.platform.store import layout
from services.platform.store.factory import open_store
from services.platform.store.port import VectorStore
from tests.fakes import HashingEmbedder

AT = datetime(2024, 6, 1, tzinfo=UTC)


@dataclass
class Pipeline:
    settings: Settings
    store: VectorStore
    ingest: Ingest
    matcher: Matcher

    def submit(self, event: CandidateSubmittedV1) -> CandidateIndexedV1:
        indexed = self.ingest.index_candidate(event, AT)
        assert indexed is not None, f"{event.candidate_id} was not indexed"
        return indexed

    def post(self, job: JobPostedV1) -> None:
        assert self.ingest.index_job(job, AT) is not None

    def decide(self, job_id: str, top_k: int | None = 1000) -> DecisionRecordedV1:
        """A fresh shortlist for the job (of everyone by default), and its recorded decision."""
        shortlist = self.matcher.shortlist(job_id, "match_requested", AT, top_k)
        assert shortlist is not None
        book = self.matcher.decisions
        return book.write(book.take(shortlist))[0][0]

    def considered(self, job_id: str) -> dict[str, ConsideredCandidateV1]:
        return {c.candidate_id: c for c in self.decide(job_id).considered}

    def vector(self, candidate_id: str) -> list[float]:
        found = self.store.retrieve(
            self.ingest.collections.candidates, [layout.point_id("candidate", candidate_id)], True
        )
        return list(found[0].vector or [])


@contextmanager
def pipeline(folder: Path, embedder: Embedder | None = None) -> Iterator[Pipeline]:
    settings = Settings(qdrant=QdrantSettings(path=folder / "store"))
    store = open_store(settings.qdrant)
    try:
        ingest = build_ingest(settings, store, embedder or HashingEmbedder())
        yield Pipeline(settings, store, ingest, build_matcher(settings, store))
    finally:
        store.close()
