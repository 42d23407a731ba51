"""``rolefit explain``: a recorded score is reproduced exactly from the log and the stored profiles,
and refused, with the reason, whenever it is not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from schemas.events import CandidateSubmittedV1, DecisionRecordedV1, JobPostedV1
from services.cli import app
from services.core.taxonomy import Taxonomy
from services.explain_decision import NotReproducible, find, reproduce
from services.platform.decision_log import read_file
from tests.unit.pipeline_harness import pipeline

JOB = JobPostedV1(
    job_id="job-mle",
    title="Machine Learning Engineer",
    description="Train deep learning models. Requirements: 3+ years, Python, PyTorch, SQL, Kubernetes.",
    must_have_skills=["Python", "PyTorch", "SQL", "Kubernetes"],
    nice_to_have_skills=["MLflow"],
    top_k=1,
)
ALICE = CandidateSubmittedV1(
    candidate_id="cand-alice",
    version=1,
    resume_text="Alice Example\nExperience\nML Engineer, Acme (2019 - 2024)\n"
    "Trained PyTorch models in Python.\nSkills\nPython, PyTorch, SQL",
)
BOB = CandidateSubmittedV1(
    candidate_id="cand-bob",
    resume_text="Experience\nML Engineer, Initech (2016 - 2024)\n"
    "Trained PyTorch models in Python; SQL; Kubernetes.",
)


@pytest.fixture
def logged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Both candidates scored for the job and recorded; the store is closed again (as a CLI finds it)."""
    with pipeline(tmp_path) as p:
        p.post(JOB)
        p.submit(ALICE)
        p.submit(BOB)
        p.decide(JOB.job_id, top_k=None)
    monkeypatch.setenv("ROLEFIT_QDRANT__PATH", str(tmp_path / "store"))
    return tmp_path / "audit" / "decisions.jsonl"


def test_explain_reproduces_the_recorded_score_and_explains_it(logged: Path) -> None:
    result = CliRunner().invoke(app, ["explain", "job-mle", "cand-alice"])
    assert result.exit_code == 0, result.output
    recorded = next(c for c in read_file(logged)[-1].considered if c.candidate_id == "cand-alice")
    assert f"recorded {recorded.score!r}, recomputed {recorded.score!r}" in result.output
    assert "Score breakdown" in result.output and "Must-haves missing: Kubernetes" in result.output
    assert "not shortlisted" in result.output  # top-k 1 and Bob has every must-have


def test_the_candidate_report_holds_only_their_own_data(logged: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.txt"
    args = [
        "explain",
        "--candidate",
        "cand-alice",
        "--job",
        "job-mle",
        "--for-candidate",
        "--output",
        str(out),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = out.read_text(encoding="utf-8")
    assert "Requirements you meet:" in report and "PyTorch" in report
    assert "Requirements we could not find in your résumé:\n  - Kubernetes" in report
    assert "SQL: you list it; showing where you used it" in report  # listed only: what to add
    assert "Outcome: not shortlisted" in report
    assert "cand-bob" not in report and "Initech" not in report and "rank" not in report.lower()


def _tamper(log: Path, change: float) -> None:
    records = [DecisionRecordedV1.model_validate_json(line) for line in log.read_text().splitlines()]
    data = json.loads(records[-1].model_dump_json())
    entry = next(c for c in data["considered"] if c["candidate_id"] == "cand-alice")
    entry["score"] += change
    log.write_text(json.dumps(data) + "\n", encoding="utf-8")


def test_a_record_that_does_not_match_the_recomputation_fails_loudly(logged: Path) -> None:
    _tamper(logged, 1e-6)
    result = CliRunner().invoke(app, ["explain", "job-mle", "cand-alice"])
    assert result.exit_code == 1
    assert "not reproducible" in result.output and "recomputed score differs" in result.output


def test_a_difference_within_tolerance_still_reproduces(logged: Path) -> None:
    _tamper(logged, 1e-12)  # float noise, e.g. from another platform's libm
    assert CliRunner().invoke(app, ["explain", "job-mle", "cand-alice"]).exit_code == 0


def test_a_changed_profile_is_refused_not_rescored(tmp_path: Path, logged: Path) -> None:
    with pipeline(tmp_path) as p:  # a correction arrives after the decision
        p.submit(ALICE.model_copy(update={"version": 2, "resume_text": f"{ALICE.resume_text}\nKubernetes"}))
        decisions = read_file(logged)
        decision, entry = find(decisions, "job-mle", "cand-alice")
        with pytest.raises(NotReproducible, match=r"candidate profile of cand-alice .* changed since"):
            reproduce(decision, entry, p.store, p.ingest.collections, Taxonomy.load())
    result = CliRunner().invoke(app, ["explain", "job-mle", "cand-alice"])
    assert result.exit_code == 1 and "changed since" in result.output


def test_unknown_pairs_and_erased_candidates_are_reported(tmp_path: Path, logged: Path) -> None:
    result = CliRunner().invoke(app, ["explain", "job-mle", "cand-nobody"])
    assert result.exit_code == 1 and "was not considered" in result.output
    with pipeline(tmp_path) as p:
        from tests.unit.pipeline_harness import AT

        assert p.ingest.erase_candidate("cand-alice", AT.replace(year=2025))
    result = CliRunner().invoke(app, ["explain", "job-mle", "cand-alice"])
    assert result.exit_code == 1 and "no longer stored" in result.output
