"""``rolefit reindex`` against the real (Tansu) broker: the input topics rebuild the store with a
new model and taxonomy, in place or into a new generation, without touching erasures or closings."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from schemas.events import CandidateErasedV1, JobClosedV1
from schemas.topics import Topics
from services.cli import app
from services.core.model import CandidateProfile
from services.core.taxonomy import DEFAULT_PATH, Taxonomy
from services.ingest.app import attach_ingest, build_ingest
from services.platform import embedder as embedder_module
from services.platform.embedder import Embedder, Vectors
from services.platform.kafka import make_broker
from services.platform.settings import KafkaSettings, QdrantSettings, Settings
from services.platform.store import layout
from services.platform.store.factory import open_store
from services.platform.store.layout import Collections
from services.platform.store.port import VectorStore
from services.reindex import Fingerprint, ReindexReport, reindex, staleness
from tests.fakes import HashingEmbedder
from tests.unit.test_handlers import ML_JOB, STRONG, WEAK

pytestmark = [pytest.mark.broker, pytest.mark.timeout(180)]
runner = CliRunner()
STRONG_V1 = STRONG.model_copy(update={"version": 1, "resume_text": f"{STRONG.resume_text}, Kubernetes"})
GONE = WEAK.model_copy(update={"candidate_id": "cand-gone"})
OLD_JOB = ML_JOB.model_copy(update={"job_id": "job-old"})
CANDIDATES = ("cand-strong", "cand-weak", "cand-gone")


class NewModel(HashingEmbedder):
    """A model change: same chunks and dimension, other name and vectors (rolled by one)."""

    name = "hashing-fake@v2"

    def embed(self, texts: Sequence[str]) -> Vectors:
        return np.roll(super().embed(texts), 1, axis=1)


def _new_taxonomy() -> Taxonomy:
    """A taxonomy change: a new version that knows one more skill, an alias STRONG's résumé uses."""
    data = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    data["version"] = "9.9.9-test"
    data["skills"].append(
        {"id": "acme-tooling", "name": "Acme tooling", "category": "concept", "aliases": ["Acme"]}
    )
    return Taxonomy.from_dict(data)


def _settings(kafka: KafkaSettings, tmp_path: Path) -> Settings:
    return Settings(kafka=kafka, qdrant=QdrantSettings(path=tmp_path / "store"))


async def _until(check: Callable[[], bool], what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


def _profile(store: VectorStore, collection: str, kind: layout.Kind, entity_id: str) -> dict[str, Any]:
    found = store.retrieve(collection, [layout.point_id(kind, entity_id)], with_vectors=True)
    return {**found[0].payload, "vector": found[0].vector} if found else {}


async def _ingest_live(settings: Settings) -> None:
    """The live ingest service (hashing model, shipped taxonomy) consumes what the ATS published:
    an update, a late older version, an erasure and a closing."""
    store = open_store(settings.qdrant)
    collections = Collections.with_prefix(settings.qdrant.collection_prefix)
    broker = make_broker(settings.kafka)
    attach_ingest(broker, settings, build_ingest(settings, store, HashingEmbedder()))
    topics = Topics(settings.kafka.topic_prefix)
    try:
        async with broker:
            await broker.start()
            for event in (STRONG, STRONG_V1, WEAK, GONE):
                await broker.publish(event, topics.candidate_submitted, key=event.candidate_id.encode())
            await broker.publish(
                b"{not json", topics.candidate_submitted, key=b"cand-poison"
            )  # dead-lettered
            for job in (ML_JOB, OLD_JOB):
                await broker.publish(job, topics.job_posted, key=job.job_id.encode())

            def indexed() -> bool:
                people = [_profile(store, collections.candidates, "candidate", c) for c in CANDIDATES]
                jobs = [_profile(store, collections.jobs, "job", j) for j in ("job-mle", "job-old")]
                return all(people + jobs)

            await _until(indexed, "the live ingest")
            # After indexing, so the live run has no race between topics to lose.
            await broker.publish(
                CandidateErasedV1(candidate_id="cand-gone"), topics.candidate_erased, key=b"cand-gone"
            )
            await broker.publish(JobClosedV1(job_id="job-old"), topics.job_closed, key=b"job-old")

            def settled() -> bool:
                old = _profile(store, collections.jobs, "job", "job-old")
                gone = _profile(store, collections.candidates, "candidate", "cand-gone")
                return old.get("status") == "closed" and not gone

            await _until(settled, "the erasure and the closing")
    finally:
        store.close()


def _points(store: VectorStore, collections: Collections) -> dict[str, int]:
    return {
        name: store.count(name) for name in (collections.candidates, collections.jobs, collections.erasures)
    }


def _reindex(
    settings: Settings, embedder: Embedder, taxonomy: Taxonomy, into: str | None = None
) -> ReindexReport:
    store = open_store(settings.qdrant)
    try:
        return asyncio.run(reindex(settings, store, embedder, taxonomy, into))
    finally:
        store.close()


def test_reindex_in_place_after_a_model_and_taxonomy_change(
    kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    settings = _settings(kafka_settings, tmp_path)
    asyncio.run(_ingest_live(settings))
    live = Collections.with_prefix(settings.qdrant.collection_prefix)
    new = Fingerprint(NewModel.name, "9.9.9-test")
    store = open_store(settings.qdrant)
    try:
        points = _points(store, live)
        before = _profile(store, live.candidates, "candidate", "cand-strong")
    finally:
        store.close()

    first = _reindex(settings, HashingEmbedder(), Taxonomy.load())
    assert first.records == 9, first  # 5 submissions, 2 postings, 1 erasure, 1 closing
    assert [row.stale for row in first.after] == [0, 0]
    assert first.skipped == 2  # STRONG v0 under the stored v1, and the erased candidate
    assert (first.erased, first.closed, first.unreadable) == (1, 1, 1)

    store = open_store(settings.qdrant)
    try:
        changed = staleness(store, live, new)  # the settings now name another model and taxonomy
    finally:
        store.close()
    assert [row.stale for row in changed] == [row.points for row in changed] and changed[0].stale > 0

    second = _reindex(settings, NewModel(), _new_taxonomy())
    assert [row.stale for row in second.after] == [0, 0]
    assert second.indexed == {"candidate": 2, "job": 2}
    store = open_store(settings.qdrant)
    try:
        assert _points(store, live) == points  # overwritten, nothing added or resurrected
        strong = _profile(store, live.candidates, "candidate", "cand-strong")
        assert not _profile(store, live.candidates, "candidate", "cand-gone")
        assert _profile(store, live.jobs, "job", "job-old")["status"] == "closed"
        assert _profile(store, live.jobs, "job", "job-mle")["status"] == "open"
    finally:
        store.close()
    assert (
        strong["version"] == 1
        and strong["model"] == NewModel.name
        and strong["taxonomy_version"] == "9.9.9-test"
    )
    assert "acme-tooling" in strong["skills"] and "acme-tooling" not in before["skills"]
    assert "acme-tooling" in layout.read_profile(strong, CandidateProfile)[0].skill_ids()
    assert np.allclose(strong["vector"], np.roll(before["vector"], 1), atol=1e-5)


def test_reindex_into_a_new_generation_keeps_the_live_one_and_the_ledger(
    kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    settings = _settings(kafka_settings, tmp_path)
    asyncio.run(_ingest_live(settings))
    live = Collections.with_prefix(settings.qdrant.collection_prefix)
    green = Collections.with_prefix("g2_")
    with pytest.raises(ValueError, match="dim"):  # a new dimension cannot be written in place
        _reindex(settings, HashingEmbedder(dim=32), Taxonomy.load())

    report = _reindex(settings, HashingEmbedder(dim=32), _new_taxonomy(), into="g2_")
    assert report.target == green and [row.stale for row in report.after] == [0, 0]
    store = open_store(settings.qdrant)
    try:
        assert list(_points(store, green).values()) == list(_points(store, live).values())
        blue = staleness(store, live, report.current)
        assert [row.stale for row in blue] == [row.points for row in blue]  # untouched until the switch
        assert store.retrieve(green.erasures, [layout.point_id("candidate", "cand-gone", "erasure")])
        assert len(_profile(store, green.candidates, "candidate", "cand-strong")["vector"]) == 32
    finally:
        store.close()


def test_cli_reindex_then_dry_run(
    kafka_settings: KafkaSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(kafka_settings, tmp_path)
    asyncio.run(_ingest_live(settings))
    for name, value in {
        "ROLEFIT_KAFKA__BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
        "ROLEFIT_KAFKA__TOPIC_PREFIX": kafka_settings.topic_prefix,
        "ROLEFIT_QDRANT__PATH": str(settings.qdrant.path),
    }.items():
        monkeypatch.setenv(name, value)
    # The settings now name another model (so the live points are stale whatever they record).
    monkeypatch.setattr(embedder_module, "SentenceTransformerEmbedder", lambda _: NewModel())
    monkeypatch.setattr(embedder_module, "model_name", lambda _: NewModel.name)

    def stale_counts(*args: str) -> tuple[int, dict[str, tuple[int, int]]]:
        result = runner.invoke(app, ["reindex", *args], env={"COLUMNS": "200"})
        print(result.output, result.exception)  # shown when the test fails
        rows = [[c.strip() for c in line.split("│")[1:-1]] for line in result.output.splitlines()]
        counts = {row[0]: (int(row[1]), int(row[2])) for row in rows if len(row) == 3 and row[1].isdigit()}
        return result.exit_code, counts

    code, before = stale_counts("--dry-run")
    assert code == 0 and before["rolefit_candidates"] == (4, 4) and before["rolefit_jobs"] == (4, 4)
    code, after = stale_counts()
    assert code == 0 and after == {name: (points, 0) for name, (points, _) in before.items()}
    assert stale_counts("--dry-run") == (0, after)
