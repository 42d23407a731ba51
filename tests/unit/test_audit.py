"""Demographics are stored apart and never scored; ``rolefit audit`` turns the decision log and them
into a table, JSON, a PNG and Prometheus gauges."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from schemas.events import CandidateSubmittedV1, DemographicsV1, JobPostedV1
from services.cli import app
from services.platform.store import layout
from tests.unit.pipeline_harness import AT, pipeline

JOB = JobPostedV1(
    job_id="job-mle",
    title="Machine Learning Engineer",
    description="Train deep learning models. Requirements: Python, PyTorch, SQL, Docker.",
    must_have_skills=["Python", "PyTorch", "SQL", "Docker"],
    top_k=4,
)
STRONG = (
    "Experience\nML Engineer, Acme (2018 - 2024)\n"
    "Trained PyTorch models in Python; wrote SQL; shipped Docker images."
)
WEAK = "Experience\nAnalyst, Initech (2020 - 2024)\nWrote SQL reports; some Python scripts."
FEMALE_ASIAN = DemographicsV1(sex="Female", race_ethnicity="Asian")


def _candidate(
    cid: str, text: str, demographics: DemographicsV1 | None, version: int = 0
) -> CandidateSubmittedV1:
    return CandidateSubmittedV1(
        candidate_id=cid, resume_text=text, demographics=demographics, version=version
    )


def test_demographics_are_stored_apart_and_change_no_score(tmp_path: Path) -> None:
    with pipeline(tmp_path) as p:
        p.post(JOB)
        indexed = p.submit(_candidate("with", STRONG, FEMALE_ASIAN))
        p.submit(_candidate("without", STRONG, None))
        scored = p.considered(JOB.job_id)
        with_, without = scored["with"], scored["without"]
        assert (with_.score, with_.components, with_.semantic) == (
            without.score,
            without.components,
            without.semantic,
        )
        assert p.vector("with") == p.vector("without")
        profile = p.store.retrieve(p.ingest.collections.candidates, [layout.point_id("candidate", "with")])
        stored = json.dumps(profile[0].payload)
        assert "Female" not in stored and "Asian" not in stored and "demographics" not in stored
        assert "Female" not in indexed.model_dump_json()
        reported = p.ingest.demographics.get("with")
        assert reported is not None and (reported.sex, reported.race_ethnicity) == ("Female", "Asian")
        assert p.ingest.demographics.get("without") is None


def test_a_stale_submission_keeps_the_answers_and_an_erasure_removes_them(tmp_path: Path) -> None:
    with pipeline(tmp_path) as p:
        p.submit(_candidate("c", STRONG, FEMALE_ASIAN, version=2))
        late = _candidate("c", STRONG, DemographicsV1(sex="Male"), version=1)
        assert p.ingest.index_candidate(late, AT) is None
        assert p.ingest.demographics.get("c").sex == "Female"  # type: ignore[union-attr]
        assert p.ingest.erase_candidate("c", AT.replace(year=2025))
        assert p.ingest.demographics.get("c") is None


POOL = [  # (id, text, sex, race): 4 of 10 are shortlisted; women hold most weak résumés
    *[(f"m{i}", STRONG, "Male", "White") for i in range(4)],
    ("m4", WEAK, "Male", "Asian"),
    *[(f"f{i}", WEAK, "Female", "Asian" if i % 2 else "White") for i in range(4)],
    ("x0", WEAK, None, None),
]


def test_audit_writes_table_json_png_and_gauges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pipeline(tmp_path) as p:
        p.post(JOB)
        for cid, text, sex, race in POOL:
            answers = DemographicsV1.model_validate({"sex": sex, "race_ethnicity": race}) if sex else None
            p.submit(_candidate(cid, text, answers))
        p.decide(JOB.job_id, top_k=None)
    monkeypatch.setenv("ROLEFIT_QDRANT__PATH", str(tmp_path / "store"))
    monkeypatch.setenv("COLUMNS", "200")  # the table is not cut to a narrow terminal
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["audit", "--job", "job-mle", "--out", str(out), "--min-group", "3"])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "fairness.json").read_text())
    rows = {(g["dimension"], g["group"]): g for g in data["groups"]}
    # Men: 5 considered, 4 shortlisted (0.8). Women: 4 considered, 0 shortlisted (0.0) -> ratio 0, flagged.
    assert (rows["sex", "Male"]["considered"], rows["sex", "Male"]["selected"]) == (5, 4)
    assert rows["sex", "Female"]["impact_ratio"] == 0.0 and rows["sex", "Female"]["adverse"]
    assert rows["sex", "Unknown"]["considered"] == 1 and rows["sex", "Unknown"]["impact_ratio"] is None
    assert ("sex x race_ethnicity", "Female x Asian") in rows
    assert data["considered"] == 10 and data["shortlisted"] == 4
    assert "Female" in result.output and "below 4/5" in result.output
    prom = (out / "fairness.prom").read_text()
    assert 'rolefit_fairness_impact_ratio{dimension="sex",group="Female",job="job-mle"} 0.0' in prom
    assert 'rolefit_fairness_adverse_impact{dimension="sex",group="Female",job="job-mle"} 1.0' in prom
    pytest.importorskip("matplotlib")
    assert (out / "fairness.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_audit_without_decisions_exits_non_zero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLEFIT_QDRANT__PATH", str(tmp_path / "store"))
    result = CliRunner().invoke(app, ["audit", "--out", str(tmp_path / "r")])
    assert result.exit_code == 1 and "no recorded decision" in result.output
