"""Explanations read back what the score says: counts, gaps, gates and evidence."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from services.core.explain import explain_text, reason
from services.core.model import (
    Archetype,
    ArchetypeGuess,
    CandidateProfile,
    Degree,
    GatePolicy,
    JobProfile,
    RemotePolicy,
    Requirement,
    Section,
    SkillMention,
    Span,
)
from services.core.scoring import MatchResult, score_match

PARENTS = {"pytorch": {"deep-learning"}, "deep-learning": {"machine-learning"}}


class FakeGraph:
    def closure(self, ids: Iterable[str]) -> set[str]:
        out = set(ids)
        for skill_id in list(out):
            while skill_id in PARENTS:
                (skill_id,) = PARENTS[skill_id]
                out.add(skill_id)
        return out


def mention(skill_id: str, used: bool = True) -> SkillMention:
    return SkillMention(skill_id=skill_id, name=skill_id, category="tech",
                        sections=[Section.PROJECTS if used else Section.SKILLS],
                        spans=[Span(start=0, end=5, text=f"built a {skill_id} ranker")])


def role(a: Archetype) -> ArchetypeGuess:
    return ArchetypeGuess(archetype=a, confidence=0.9)


def req(skill_id: str, name: str) -> Requirement:
    return Requirement(skill_id=skill_id, name=name)


def job(**kw: Any) -> JobProfile:
    base: dict[str, Any] = dict(
        job_id="j1", title="ML Engineer", archetype=role(Archetype.ML_ENGINEER),
        must_have=[req("python", "Python"), req("deep-learning", "Deep learning"), req("jax", "JAX")],
        min_years=3, location="London, UK", remote_policy=RemotePolicy.HYBRID, wants_mlops=True,
    )
    return JobProfile(**{**base, **kw})


def cand(**kw: Any) -> CandidateProfile:
    base: dict[str, Any] = dict(
        candidate_id="c1", archetype=role(Archetype.ML_ENGINEER),
        skills=[mention("python"), mention("pytorch")], years_experience=6, location="London",
        mlops_evidence=["model monitoring with drift alerts"],
    )
    return CandidateProfile(**{**base, **kw})


def run(j: JobProfile, c: CandidateProfile, semantic: float = 0.6) -> MatchResult:
    return score_match(j, c, semantic, FakeGraph())


def test_reason_names_fit_coverage_missing_and_evidence() -> None:
    j, c = job(), cand()
    r = run(j, c)
    line = reason(r, j, c)
    assert line == r.reason  # score_match fills the reason from this function
    assert line.startswith("ML engineer fit:") and "\n" not in line
    assert "2/3 must-haves (missing JAX)" in line
    assert "strong semantic match" in line
    complete = run(job(must_have=[req("python", "Python")]), c)
    assert "all 1 must-haves" in complete.reason and "missing" not in complete.reason


def test_reason_flags_archetype_confusion() -> None:
    j = job(archetype=role(Archetype.AI_ENGINEER))
    c = cand(archetype=role(Archetype.DATA_SCIENTIST))
    assert run(j, c).reason.startswith("AI engineer role, candidate reads as data scientist")
    assert any(ln.startswith("  archetype") and ln.endswith("reads as data scientist")
               for ln in explain_text(run(j, c), j, c).splitlines())
    unsure = cand(archetype=ArchetypeGuess(archetype=Archetype.AI_ENGINEER, confidence=0.1))
    assert "tentative AI engineer profile" in explain_text(run(j, unsure), j, unsure)


def test_reason_shows_biggest_gap() -> None:
    j, c = job(must_have=[req("python", "Python")]), cand(location="Berlin")
    assert "Berlin vs hybrid role in London, UK" in run(j, c).reason
    assert "Berlin" not in run(j, cand()).reason


def test_reason_leads_with_the_enforced_gate_that_excluded() -> None:
    j, c = job(gates=GatePolicy(strict_must_haves=True)), cand()
    r = run(j, c)
    assert r.excluded and r.reason.startswith("Excluded (strict_must_haves: missing JAX)")
    assert not run(job(), c).reason.startswith("Excluded")


def test_mlops_evidence_quoted_when_it_counts() -> None:
    c = cand(skills=[mention("python"), mention("pytorch"), mention("jax")])
    j = job(weights={"mlops": 2.0})
    assert "MLOps evidence: model monitoring with drift alerts" in run(j, c).reason
    quiet = job(archetype=role(Archetype.DATA_SCIENTIST), wants_mlops=False)
    assert "MLOps" not in run(quiet, c).reason


def test_explain_text_breakdown_evidence_and_gates() -> None:
    j = job(degree=Degree.PHD, archetype=role(Archetype.DATA_SCIENTIST),
            wants_mlops=False, gates=GatePolicy(location=True))
    c = cand(skills=[mention("python"), mention("pytorch", used=False)], education=Degree.MASTER,
             years_experience=1, flags=["hidden text"])
    r = run(j, c)
    text = explain_text(r, j, c)
    lines = text.splitlines()
    assert lines[0] == f"c1 for ML Engineer (j1): score {r.score:.3f}, eligible"
    assert lines[1] == f"Summary: {r.reason}"
    assert any(ln.split()[:2] == ["mlops", "not"] for ln in lines)  # not counted for a DS job
    counted = [ln for ln in lines if ln.startswith("  ") and " x " in ln]
    assert len(counted) == sum(w > 0 for w in r.weights.values())
    assert "  - Deep learning: built a pytorch ranker" in lines
    assert "Must-haves missing: JAX" in lines
    assert "  pass  location (enforced): London fits hybrid role in London, UK" in lines
    assert any(ln.startswith("  FAIL  degree (advisory): has master vs phd asked") for ln in lines)
    assert "(some only in a skills list)" not in text  # JAX is missing, so the count says so instead
    assert lines[-1] == "Flags on this résumé: hidden text"


def test_explanations_are_deterministic() -> None:
    j, c = job(), cand()
    assert explain_text(run(j, c), j, c) == explain_text(run(j, c), j, c)
