"""Erasure and its ledger, at the use-case level: what is removed, and which later writes may
bring a candidate back (see services/ingest/erasure.py for the policy)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from schemas.events import CandidateSubmittedV1
from services.ingest.app import build_ingest
from services.ingest.erasure import NOTHING_STORED, Erasure
from services.ingest.usecases import Ingest
from services.platform.settings import QdrantSettings, Settings
from services.platform.store import layout
from services.platform.store.factory import open_store
from tests.fakes import HashingEmbedder
from tests.reliability.harness import COLLECTIONS
from tests.reliability.samples import resume

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SUBMITTED, ERASED, LATER = T0, T0 + timedelta(hours=1), T0 + timedelta(hours=2)
WHO = "cand-e"


@pytest.fixture(params=["edge", "local"])
def ingest(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Ingest]:
    """Both embedded adapters (Qdrant Edge, qdrant-client local): the ledger is plain points."""
    settings = Settings(qdrant=QdrantSettings(path=tmp_path / "store", embedded_backend=request.param))
    store = open_store(settings.qdrant)
    yield build_ingest(settings, store, HashingEmbedder())
    store.close()


def _submit(ingest: Ingest, version: int, at: datetime, who: str = WHO) -> bool:
    event = CandidateSubmittedV1(candidate_id=who, resume_text=resume(3) + " " * version, version=version)
    return ingest.index_candidate(event, at) is not None


def _points(ingest: Ingest, who: str = WHO) -> int:
    return ingest.store.count(COLLECTIONS.candidates, layout.entity(who))


def test_erasure_removes_every_point_and_records_the_last_version_seen(ingest: Ingest) -> None:
    assert _submit(ingest, 2, SUBMITTED) and _submit(ingest, 0, SUBMITTED, "cand-other")
    assert _points(ingest) > 1
    assert ingest.erase_candidate(WHO, ERASED)
    assert _points(ingest) == 0 and _points(ingest, "cand-other") > 0
    assert ingest.ledger.get(WHO) == Erasure(WHO, ERASED, 2)


@pytest.mark.parametrize(
    ("version", "at", "comes_back"),
    [
        (2, SUBMITTED, False),  # the old upsert, redelivered or replayed
        (3, SUBMITTED, False),  # newer, but submitted before the erasure (it was in flight)
        (2, LATER, False),  # after the erasure, but not newer than what was erased
        (3, LATER, True),  # the ATS re-submits, newer and after: a new application
    ],
)
def test_only_a_newer_resubmission_after_the_erasure_brings_a_candidate_back(
    ingest: Ingest, version: int, at: datetime, comes_back: bool
) -> None:
    _submit(ingest, 2, SUBMITTED)
    ingest.erase_candidate(WHO, ERASED)
    assert _submit(ingest, version, at) is comes_back
    assert (_points(ingest) > 0) is comes_back


def test_an_erasure_of_a_candidate_never_indexed_still_blocks_their_older_submissions(ingest: Ingest) -> None:
    # A replay may reach candidate.erased before candidate.submitted: different topics.
    assert ingest.erase_candidate(WHO, ERASED)
    assert ingest.ledger.get(WHO) == Erasure(WHO, ERASED, NOTHING_STORED)
    assert not _submit(ingest, 0, SUBMITTED) and _points(ingest) == 0
    assert _submit(ingest, 0, LATER)


def test_an_erasure_older_than_the_stored_profile_removes_nothing(ingest: Ingest) -> None:
    _submit(ingest, 2, SUBMITTED)
    ingest.erase_candidate(WHO, ERASED)
    _submit(ingest, 3, LATER)
    points = _points(ingest)
    assert not ingest.erase_candidate(WHO, ERASED)  # the first erasure, redelivered
    assert _points(ingest) == points


def test_recording_an_erasure_again_changes_nothing_and_merges_upwards(ingest: Ingest) -> None:
    first = ingest.ledger.record(WHO, ERASED, 4)
    assert ingest.ledger.record(WHO, ERASED, 4) == first
    assert ingest.ledger.record(WHO, SUBMITTED, 1) == first  # an older, lower record never lowers it
    assert ingest.ledger.record(WHO, LATER, 1) == Erasure(WHO, LATER, 4)
    assert ingest.store.count(COLLECTIONS.erasures) == 1
