"""The scoring view ingest stores beside a candidate's profile reads as the profile's own parse."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from services import samples
from services.core.scoring import ImpliedSkills
from services.platform.store import layout
from services.platform.store.scoring_view import Parsed, read_payload
from tests.unit.pipeline_harness import Pipeline, pipeline


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Pipeline, list[dict[str, Any]]]]:
    """Every bundled résumé and one job, indexed by the real ingest; the candidates' payloads."""
    with pipeline(Path(tmp_path_factory.mktemp("views"))) as p:
        for candidate in samples.load_candidates():
            p.submit(candidate)
        p.post(samples.load_jobs()[0])
        points = p.store.scroll(p.ingest.collections.candidates, layout.PROFILES)
        yield p, [pt.payload for pt in sorted(points, key=lambda pt: pt.id)]


def test_each_stored_view_reads_as_the_parse_of_the_stored_profile(
    stored: tuple[Pipeline, list[dict[str, Any]]],
) -> None:
    p, payloads = stored
    taxonomy = p.ingest.taxonomy
    implied = ImpliedSkills(taxonomy)
    assert len(payloads) == len(samples.load_candidates())
    for payload in payloads:
        from_view = read_payload(
            {layout.SCORING_JSON: payload[layout.SCORING_JSON]}, implied, taxonomy.version
        )
        assert from_view is not None and from_view.index  # every sample résumé names skills
        assert from_view == Parsed.read(payload[layout.PROFILE_JSON], implied)
    # What a shortlist's cache misses read instead of the profiles: well under half (a third here).
    sizes = {
        key: sum(len(payload[key]) for payload in payloads)
        for key in (layout.SCORING_JSON, layout.PROFILE_JSON)
    }
    assert sizes[layout.SCORING_JSON] < sizes[layout.PROFILE_JSON] / 2


def test_job_points_carry_no_view(stored: tuple[Pipeline, list[dict[str, Any]]]) -> None:
    p, _ = stored
    jobs = list(p.store.scroll(p.ingest.collections.jobs, layout.PROFILES))
    assert jobs and all(layout.SCORING_JSON not in job.payload for job in jobs)


def test_a_view_built_under_another_taxonomy_is_not_read(
    stored: tuple[Pipeline, list[dict[str, Any]]],
) -> None:
    """Its index holds that taxonomy's closure: the profile is parsed from its full text instead."""
    p, payloads = stored
    taxonomy = p.ingest.taxonomy
    implied, payload = ImpliedSkills(taxonomy), payloads[0]
    view = json.loads(payload[layout.SCORING_JSON]) | {"index": {}}
    tampered = payload | {layout.SCORING_JSON: json.dumps(view)}
    assert read_payload(tampered, implied, taxonomy.version) == Parsed(
        Parsed.read(payload[layout.PROFILE_JSON], implied).profile, view["sha256"], {}
    )  # under its own version the view is read as it is
    stale = tampered | {layout.SCORING_JSON: json.dumps(view | {"taxonomy": taxonomy.version + "-older"})}
    assert read_payload(stale, implied, taxonomy.version) == Parsed.read(
        payload[layout.PROFILE_JSON], implied
    )
    assert read_payload({layout.SCORING_JSON: stale[layout.SCORING_JSON]}, implied, taxonomy.version) is None
