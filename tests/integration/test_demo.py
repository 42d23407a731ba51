"""The README's demo, end to end: local broker, real model, bundled samples, shortlists."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from services import samples
from services.demo import run_demo
from services.platform.settings import IngestSettings, Settings

pytestmark = [pytest.mark.broker, pytest.mark.model, pytest.mark.timeout(400)]
LABELS = Path(__file__).parents[2] / "benchmarks" / "labels" / "sample_pairs.jsonl"


def _grades() -> dict[str, dict[str, int]]:
    grades: dict[str, dict[str, int]] = defaultdict(dict)
    for line in LABELS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        grades[row["job_id"]][row["candidate_id"]] = row["grade"]
    return grades


async def test_demo_publishes_a_useful_shortlist_for_every_job() -> None:
    # The ingest defaults as shipped, parse processes included (tests/conftest.py turns them off).
    result = await run_demo(Settings(ingest=IngestSettings()), timeout_s=240)

    jobs = samples.load_jobs()
    assert result.candidates == len(samples.load_candidates()) >= 30  # PDF and DOCX ones included
    assert [s.job_id for s in result.shortlists] == [j.job_id for j in jobs]
    grades = _grades()
    for shortlist in result.shortlists:
        assert shortlist.candidates, shortlist.job_id
        assert [c.rank for c in shortlist.candidates] == list(range(1, len(shortlist.candidates) + 1))
        pool = grades[shortlist.job_id]
        top3 = [pool[c.candidate_id] for c in shortlist.candidates[:3]]
        # Better than chance: the top of the list is graded above the pool's average.
        assert sum(top3) / 3 > sum(pool.values()) / len(pool), (shortlist.job_id, top3)
    unclear = next(s for s in result.shortlists if s.job_id == "job-unclear-ai-rockstar")
    codes = {w.split(":")[0] for w in unclear.clarity_warnings}
    assert {"phd_for_applied_role", "every_cloud"} <= codes
