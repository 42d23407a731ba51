"""Batched candidate indexing: one model call per batch, per-record outcomes, order per key."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from schemas.events import CandidateSubmittedV1, ResumeFile
from services.core.documents import DocumentError, DocumentLimits
from services.core.taxonomy import Taxonomy
from services.ingest import usecases
from services.ingest.app import build_ingest
from services.ingest.batching import BatchIndexer, Blocked, EmbedRound, waves
from services.ingest.parsing import ParsePool
from services.ingest.usecases import Ingest
from services.platform.dead_letters import POISON
from services.platform.embedder import Vectors
from services.platform.settings import QdrantSettings, Settings
from services.platform.store import layout
from services.platform.store.factory import open_store
from services.platform.store.port import Point, VectorStore
from tests.fakes import HashingEmbedder

AT = datetime(2024, 1, 1, tzinfo=UTC)


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[int] = []
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> Vectors:
        with self._lock:
            self.calls.append(len(texts))
        return super().embed(texts)


def resume(candidate_id: str, version: int = 1, words: int = 300) -> CandidateSubmittedV1:
    text = "Experience\nML Engineer. Python PyTorch SQL. " + " ".join(f"w{i}" for i in range(words))
    return CandidateSubmittedV1(candidate_id=candidate_id, version=version, resume_text=text)


CORRUPT_PDF = CandidateSubmittedV1(
    candidate_id="cand-corrupt",
    resume_file=ResumeFile(filename="cv.pdf", content_base64=base64.b64encode(b"not a pdf").decode()),
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[VectorStore]:
    store = open_store(QdrantSettings(path=tmp_path / "store"))
    yield store
    store.close()


@pytest.fixture(scope="module", params=["threads", "processes"])
def parser(request: pytest.FixtureRequest) -> Iterator[ParsePool | None]:
    """Where résumés are prepared: in the batch's threads, or in worker processes."""
    if request.param == "threads":
        yield None
        return
    pool = ParsePool(2, Taxonomy.load(), DocumentLimits(), blind=True)
    yield pool
    pool.close()


def indexer_for(
    store: VectorStore, embedder: HashingEmbedder, parser: ParsePool | None = None, parallel: int = 8
) -> BatchIndexer:
    return BatchIndexer(build_ingest(Settings(), store, embedder), parallel, POISON, parser)


def stored_version(ingest: Ingest, candidate_id: str) -> int:
    found = ingest.store.retrieve(ingest.collections.candidates, [layout.point_id("candidate", candidate_id)])
    return int(found[0].payload["version"])


def test_waves_keep_each_keys_order_and_never_hold_a_key_twice() -> None:
    assert waves(["a", "b", "a", "c", "a", "b"]) == [[0, 1, 3], [2, 5], [4]]
    assert waves([]) == []


def test_a_round_runs_the_model_once_and_hands_each_party_its_rows() -> None:
    inner = CountingEmbedder()
    round_ = EmbedRound(inner, parties=3)
    parties = [round_.party() for _ in range(3)]
    texts = [["a b", "c"], [], ["d e f"]]
    results: dict[int, Vectors] = {}

    def run(i: int) -> None:
        if i == 1:
            parties[i].leave()  # a stale or poison event never embeds
        else:
            results[i] = parties[i].embed(texts[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert inner.calls == [3]
    for i in (0, 2):
        assert results[i].tolist() == inner.embed(texts[i]).tolist()


def test_a_batch_embeds_once_and_a_poison_document_fails_alone(
    store: VectorStore, parser: ParsePool | None
) -> None:
    embedder = CountingEmbedder()
    indexer = indexer_for(store, embedder, parser)
    events = [resume("c1"), CORRUPT_PDF, resume("c2"), resume("c3", words=900)]
    outcomes = indexer.index(events, [AT] * len(events))
    assert [o.indexed.candidate_id if o.indexed else None for o in outcomes] == ["c1", None, "c2", "c3"]
    assert isinstance(outcomes[1].error, DocumentError)
    assert len(embedder.calls) == 1 and embedder.calls[0] == sum(
        o.indexed.chunks for o in outcomes if o.indexed
    )


def test_versions_of_one_candidate_apply_in_offset_order(
    store: VectorStore, parser: ParsePool | None
) -> None:
    indexer = indexer_for(store, CountingEmbedder(), parser)
    forward = indexer.index([resume("x", 1), resume("y"), resume("x", 2)], [AT] * 3)
    assert [o.indexed.version if o.indexed else None for o in forward] == [1, 1, 2]
    late = indexer.index([resume("x", 3), resume("x", 2)], [AT] * 2)
    assert late[0].indexed is not None and late[1] == late[1].__class__(indexed=None)  # stale
    assert stored_version(indexer.ingest, "x") == 3


class FailingFor:
    """A store whose upserts fail (transiently) for one entity."""

    def __init__(self, inner: VectorStore, entity_id: str) -> None:
        self._inner, self._entity = inner, entity_id

    def upsert(self, collection: str, points: Sequence[Point]) -> None:
        if any(p.payload.get("entity_id") == self._entity for p in points):
            raise ConnectionError("store unreachable")
        self._inner.upsert(collection, points)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def test_a_transient_failure_holds_back_later_events_of_its_key_only(
    store: VectorStore, parser: ParsePool | None
) -> None:
    indexer = indexer_for(FailingFor(store, "x"), CountingEmbedder(), parser)
    outcomes = indexer.index([resume("x", 1), resume("y"), resume("x", 2)], [AT] * 3)
    assert isinstance(outcomes[0].error, ConnectionError)
    assert outcomes[1].indexed is not None
    assert isinstance(outcomes[2].error, Blocked)


def test_batches_larger_than_the_pool_do_not_deadlock(store: VectorStore, parser: ParsePool | None) -> None:
    embedder = CountingEmbedder()
    indexer = indexer_for(store, embedder, parser, parallel=2)
    outcomes = indexer.index([resume(f"c{i}") for i in range(5)], [AT] * 5)
    assert all(o.indexed is not None for o in outcomes)
    assert len(embedder.calls) == 3  # rounds of 2, 2 and 1


def test_resumes_are_prepared_where_the_indexer_is_told(
    store: VectorStore, parser: ParsePool | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def here(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("prepared in this process")

    monkeypatch.setattr(usecases, "prepare_candidate", here)  # worker processes keep their own
    outcomes = indexer_for(store, CountingEmbedder(), parser).index([resume("c1"), resume("c2")], [AT] * 2)
    if parser is None:
        assert all(isinstance(o.error, RuntimeError) for o in outcomes)
    else:
        assert [o.indexed.candidate_id if o.indexed else o.error for o in outcomes] == ["c1", "c2"]
