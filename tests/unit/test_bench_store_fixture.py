"""The benchmarks' synthetic store writes candidates as ingest would, scoring views included."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.perf import unit_vectors
from benchmarks.store_fixture import prepare, synthetic_points
from services.core.model import CandidateProfile
from services.platform.store import layout
from services.platform.store.scoring_view import scoring_view


def test_each_synthetic_candidate_carries_the_view_ingest_would_store(tmp_path: Path) -> None:
    """The fixture reuses each template's skill index instead of parsing every copy again (a 1M
    build would take minutes longer): its views must still be ingest's, byte for byte."""
    _, ingest, payloads = prepare(tmp_path)
    try:
        n = 2 * len(payloads) + 1  # every template, under several ids
        points = synthetic_points(
            payloads, 0, unit_vectors(n, 384, np.random.default_rng(0)), ingest.taxonomy
        )
        for point in points:
            text = point.payload[layout.PROFILE_JSON]
            assert point.payload[layout.SCORING_JSON] == scoring_view(text, ingest.taxonomy)
            assert (
                layout.read_profile(point.payload, CandidateProfile)[0].candidate_id
                == point.payload["entity_id"]
            )
        assert len({p.payload[layout.SCORING_JSON] for p in points}) == n
    finally:
        ingest.store.close()
