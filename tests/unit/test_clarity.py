"""Clarity warnings: each rule fires on its pattern and stays quiet otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from services.core.clarity import CODES, LAUNDRY_LIST, LAUNDRY_NO_IMPACT, clarity_warnings
from services.core.model import Archetype, ArchetypeGuess, Degree, JobProfile, Requirement, SkillMention
from services.core.requirements import parse_job
from services.core.taxonomy import Taxonomy

A = Archetype


def guess(**probs: float) -> ArchetypeGuess:
    scores = {a.value: 0.0 for a in Archetype} | probs
    top = max(scores, key=lambda k: scores[k])
    return ArchetypeGuess(archetype=Archetype(top), confidence=scores[top], scores=scores)


def profile(must: list[str] = ("python", "pytorch"), **fields: Any) -> JobProfile:  # type: ignore[assignment]
    category = fields.pop("category", "library")
    skills = [SkillMention(skill_id=s, name=s, category=category) for s in must]
    base: dict[str, Any] = {"archetype": guess(ml_engineer=0.8, data_scientist=0.2), "wants_impact": True}
    return JobProfile(
        job_id="j", title="t", skills=skills, must_have=[Requirement(skill_id=s, name=s) for s in must],
        **(base | fields),
    )  # fmt: skip


def codes(job: JobProfile, text: str = "") -> list[str]:
    return [w.split(":", 1)[0] for w in clarity_warnings(job, text)]


def test_a_clear_job_has_no_warnings() -> None:
    assert clarity_warnings(profile(), "Train ranking models.") == []


def test_hybrid_role_names_both_archetypes() -> None:
    blended = guess(data_scientist=0.45, ai_engineer=0.4, other=0.15)
    assert clarity_warnings(profile(archetype=blended), "") == [
        "hybrid_role: blends data scientist and AI engineer duties; consider splitting the role"
    ]
    assert codes(profile(archetype=guess(data_scientist=0.7, ai_engineer=0.25, other=0.05))) == []


@pytest.mark.parametrize(
    ("archetype", "text", "fires"),
    [
        (guess(ml_engineer=0.9), "", True),
        (guess(data_analyst=0.9), "", True),
        (guess(data_scientist=0.9), "Publish research on causal inference.", False),
        (guess(data_scientist=0.9), "Ship models to production for end users.", True),
    ],
)
def test_phd_for_applied_roles(archetype: ArchetypeGuess, text: str, fires: bool) -> None:
    job = profile(archetype=archetype, degree=Degree.PHD)
    assert ("phd_for_applied_role" in codes(job, text)) is fires
    assert "phd_for_applied_role" not in codes(profile(archetype=archetype, degree=Degree.MASTER), text)


def test_laundry_list() -> None:
    many = [f"skill-{i}" for i in range(LAUNDRY_LIST)]
    assert codes(profile(many)) == ["laundry_list"]
    some = many[:LAUNDRY_NO_IMPACT]
    assert codes(profile(some, wants_impact=False)) == ["laundry_list"]
    assert codes(profile(some, wants_impact=True)) == []


def test_every_cloud() -> None:
    warning = clarity_warnings(profile(["aws", "gcp", "azure"]), "")[0]
    assert warning.startswith("every_cloud: demands AWS, Azure and GCP;")
    two = clarity_warnings(profile(["gcp", "azure"]), "")
    assert two[0].startswith("every_cloud: demands Azure and GCP;")
    assert codes(profile(["aws", "python"])) == []


def test_vague_requirements() -> None:
    assert codes(profile([])) == ["vague_requirements"]
    assert codes(profile(["communication", "teamwork"], category="soft_skill")) == ["vague_requirements"]
    assert codes(profile(["machine-learning", "statistics"], category="concept")) == ["vague_requirements"]
    assert codes(profile(["machine-learning", "causal-inference"], category="concept")) == []


def test_codes_are_stable_and_lead_each_warning() -> None:
    job = profile([], archetype=guess(ml_engineer=0.45, ai_engineer=0.45), degree=Degree.PHD)
    assert set(codes(job)) <= set(CODES) and len(codes(job)) == 3


def test_parse_job_attaches_warnings() -> None:
    taxonomy = Taxonomy.from_dict({"version": "t", "skills": [
        {"id": i, "name": i.upper(), "category": "cloud"} for i in ("aws", "azure", "gcp")
    ]})  # fmt: skip
    text = "Requirements:\n- PhD required\n- AWS, Azure and GCP\nDeploy PyTorch models to production."
    job = parse_job("j", "Machine Learning Engineer", text, taxonomy=taxonomy)
    assert {"every_cloud", "phd_for_applied_role"} <= set(codes(job))
