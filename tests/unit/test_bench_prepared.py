"""The ingest benchmark's batched-prepared mode: résumés prepared before the clock are not prepared again."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from benchmarks.ingest_throughput import prepared_ahead
from schemas.events import CandidateSubmittedV1
from services.ingest import usecases
from services.ingest.app import build_ingest
from services.ingest.batching import BatchIndexer
from services.platform.dead_letters import POISON
from services.platform.settings import QdrantSettings, Settings
from services.platform.store.factory import open_store
from tests.fakes import HashingEmbedder

AT = datetime(2024, 1, 1, tzinfo=UTC)


def resume(candidate_id: str) -> CandidateSubmittedV1:
    text = "Experience\nML Engineer. Python, PyTorch and SQL; models served with FastAPI on Kubernetes."
    return CandidateSubmittedV1(candidate_id=candidate_id, version=1, resume_text=text)


class PreparedAgain(RuntimeError):
    pass


def prepare_again(*_: object) -> usecases.PreparedResume:
    raise PreparedAgain


def test_only_a_resume_not_prepared_ahead_is_prepared_while_indexing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(QdrantSettings(path=tmp_path / "store"))
    try:
        ingest = prepared_ahead(build_ingest(Settings(), store, HashingEmbedder()), [resume("ready")])
        monkeypatch.setattr(usecases, "prepare_candidate", prepare_again)
        indexer = BatchIndexer(ingest, 4, POISON)  # as the benchmark runs it: a copy per event
        try:
            ready, other = indexer.index([resume("ready"), resume("other")], [AT, AT])
        finally:
            indexer.close()
        assert ready.error is None and ready.indexed is not None
        assert ready.indexed.skills == sorted(ingest.ready["ready"].profile.skill_ids())
        assert "pytorch" in ready.indexed.skills
        assert isinstance(other.error, PreparedAgain)
    finally:
        store.close()
