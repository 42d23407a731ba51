"""Job description parsing: must vs nice, years, degree, level, conditions and explicit overrides."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.core.model import (
    Archetype,
    Degree,
    GatePolicy,
    JobProfile,
    RemotePolicy,
    Requirement,
    Seniority,
)
from services.core.requirements import parse_job
from services.core.taxonomy import Taxonomy


def _skill(sid: str, name: str, category: str, *aliases: str) -> dict[str, object]:
    return {"id": sid, "name": name, "category": category, "aliases": list(aliases)}


TAXONOMY = Taxonomy.from_dict({"version": "test-1", "skills": [
    _skill("python", "Python", "language"), _skill("sql", "SQL", "language"),
    _skill("pytorch", "PyTorch", "framework"), _skill("spark", "Spark", "data_engineering", "Apache Spark"),
    _skill("kubernetes", "Kubernetes", "devops", "k8s"), _skill("mlflow", "MLflow", "mlops"),
    _skill("aws", "AWS", "cloud"), _skill("azure", "Azure", "cloud"), _skill("gcp", "GCP", "cloud"),
    _skill("tableau", "Tableau", "tool"), _skill("statistics", "Statistics", "concept"),
]})  # fmt: skip


def job(description: str, title: str = "Data Scientist", **explicit: Any) -> JobProfile:
    return parse_job("j1", title, description, taxonomy=TAXONOMY, **explicit)


def ids(reqs: list[Requirement]) -> list[str]:
    return [r.skill_id for r in reqs]


def test_sections_decide_when_sentences_are_silent() -> None:
    p = job("Requirements:\n- Python\n- PyTorch\n\nPreferred Qualifications:\n- Spark\n- Kubernetes\n")
    assert ids(p.must_have) == ["python", "pytorch"] and ids(p.nice_to_have) == ["spark", "kubernetes"]
    assert p.must_have[0].evidence == "Python"


@pytest.mark.parametrize(
    ("sentence", "must", "nice"),
    [
        ("Python required, Spark a plus.", ["python"], ["spark"]),
        ("Strong experience in SQL; familiarity with Kubernetes.", ["sql"], ["kubernetes"]),
        ("Experience with Python, Spark or Tableau is a plus.", [], ["python", "spark", "tableau"]),
        ("MUST HAVE: PyTorch. Nice to have: MLflow.", ["pytorch"], ["mlflow"]),
        ("Minimum 3 years of SQL (Tableau preferred)", ["sql"], ["tableau"]),
        ("Kubernetes is not required", [], ["kubernetes"]),
    ],
)
def test_phrasing_per_sentence(sentence: str, must: list[str], nice: list[str]) -> None:
    p = job(f"About the role\n{sentence}\n")
    assert ids(p.must_have) == must and ids(p.nice_to_have) == nice


def test_skill_in_both_lists_is_a_must_and_responsibilities_only_is_nice() -> None:
    text = "Responsibilities:\nBuild Spark jobs and Tableau reports.\nRequirements:\n- Spark\n"
    text += "Preferred:\n- Spark, Python"
    p = job(text)
    assert ids(p.must_have) == ["spark"] and ids(p.nice_to_have) == ["tableau", "python"]


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("Requirements: 3+ years of experience with Python", 3),
        ("At least 5 years of professional experience", 5),
        ("5-7 years experience in analytics", 5),
        ("Three years of experience building models", 3),
        ("Requirements:\n- 7+ years programming\n- 2+ years with Spark", 2),
        ("Founded 20 years ago, we value curiosity.", None),
        ("Qualifications: 2 years of experience; 5+ years preferred", 2),
    ],
)
def test_minimum_years(text: str, years: float | None) -> None:
    assert job(text).min_years == years


@pytest.mark.parametrize(
    ("text", "degree", "equivalent_ok"),
    [
        ("Requirements:\n- PhD in Statistics required", Degree.PHD, False),
        ("Requirements:\n- Master's degree in CS. PhD preferred.", Degree.MASTER, False),
        ("Requirements:\n- Master's degree in CS (PhD preferred)", Degree.MASTER, False),
        ("Requirements:\n- BS/MS/PhD in a quantitative field", Degree.BACHELOR, False),
        ("Bachelor's degree or equivalent practical experience", Degree.BACHELOR, True),
        ("Preferred:\n- PhD in machine learning", Degree.NONE, True),
        ("Our team of PhDs is friendly. Skills: Python, MS Excel", Degree.NONE, True),
    ],
)
def test_degree(text: str, degree: Degree, equivalent_ok: bool) -> None:
    p = job(text)
    assert (p.degree, p.degree_equivalent_ok) == (degree, equivalent_ok)


@pytest.mark.parametrize(
    ("title", "text", "level"),
    [
        ("Data Science Intern", "", Seniority.INTERN),
        ("Data Scientist, New Grad", "", Seniority.NEW_GRAD),
        ("Jr. Data Analyst", "", Seniority.JUNIOR),
        ("Data Engineer II", "", Seniority.MID),
        ("Sr. Machine Learning Engineer", "", Seniority.SENIOR),
        ("Lead Data Scientist", "", Seniority.STAFF),
        ("Principal ML Engineer", "", Seniority.STAFF),
        ("Data Scientist", "This is an entry-level role.", Seniority.NEW_GRAD),
        ("Data Scientist", "Requirements: 6+ years of experience", Seniority.SENIOR),
        ("Data Scientist", "You will present to senior leadership.", None),
    ],
)
def test_level(title: str, text: str, level: Seniority | None) -> None:
    assert job(text, title=title).seniority is level


@pytest.mark.parametrize(
    ("text", "policy"),
    [
        ("This is a fully remote position.", RemotePolicy.REMOTE),
        ("Hybrid: 3 days a week in the office.", RemotePolicy.HYBRID),
        ("This role is on-site in Austin.", RemotePolicy.ONSITE),
        ("This is not a remote role.", RemotePolicy.ONSITE),
        ("We build remote sensing models.", None),
    ],
)
def test_remote_policy(text: str, policy: RemotePolicy | None) -> None:
    assert job(text).remote_policy is policy


@pytest.mark.parametrize(
    ("text", "required", "sponsors"),
    [
        ("Candidates must be authorized to work in the US.", True, None),
        ("We are unable to sponsor visas. No sponsorship.", True, False),
        ("Visa sponsorship available for the right candidate.", False, True),
        ("We value diversity of citizenship status.", False, None),
    ],
)
def test_work_authorization(text: str, required: bool, sponsors: bool | None) -> None:
    p = job(text)
    assert (p.requires_work_authorization, p.offers_sponsorship) == (required, sponsors)


def test_conditions_location_clearance_and_wants() -> None:
    text = "Location: Arlington, VA\nActive TS/SCI clearance required.\n"
    text += "Deploy models to production with MLflow and monitor drift. Drive measurable business impact."
    p = job(text)
    assert p.location == "Arlington, VA" and p.requires_clearance and p.wants_mlops and p.wants_impact
    assert not job("Analyse survey data.").requires_clearance


def test_archetype_uses_title_and_body() -> None:
    p = job("Build Kubernetes serving for LLM apps, CI/CD for models, monitor drift.", title="AI Engineer")
    assert p.archetype.archetype is Archetype.AI_ENGINEER


def test_explicit_fields_override_parsing() -> None:
    p = job(
        "Location: Paris\nFully remote. Requirements: 5+ years with Python and Spark. Senior role.",
        title="Senior Data Engineer", location="Berlin", remote_policy=RemotePolicy.HYBRID,
        must_have_skills=["apache spark", "Dagster Cloud"], nice_to_have_skills=["python", "Dagster Cloud"],
        seniority=Seniority.MID, min_years=2, weights={"skills": 0.5}, gates={"degree": True}, top_k=7,
    )  # fmt: skip
    assert ids(p.must_have) == ["spark", "dagster-cloud"] and ids(p.nice_to_have) == ["python"]
    unknown = next(m for m in p.skills if m.skill_id == "dagster-cloud")
    assert (unknown.name, unknown.category) == ("Dagster Cloud", "unknown")
    assert (p.location, p.remote_policy) == ("Berlin", RemotePolicy.HYBRID)
    assert (p.seniority, p.min_years) == (Seniority.MID, 2)
    assert p.weights == {"skills": 0.5} and p.gates == GatePolicy(degree=True) and p.top_k == 7


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=1500), st.text(max_size=40))
def test_never_raises_on_arbitrary_text(description: str, title: str) -> None:
    p = parse_job("j", title, description, taxonomy=TAXONOMY)
    assert p.min_years is None or p.min_years >= 0
    assert not set(ids(p.must_have)) & set(ids(p.nice_to_have))


@settings(max_examples=60, deadline=None)
@given(
    st.text(max_size=500),
    st.lists(st.sampled_from(["python", "Spark", "k8s", "Rust", "my tool"]), max_size=4),
    st.sampled_from(list(Seniority)),
    st.floats(0, 30),
    st.sampled_from(list(RemotePolicy)),
)
def test_explicit_fields_always_win(
    text: str, must: list[str], level: Seniority, years: float, policy: RemotePolicy
) -> None:
    p = parse_job("j", "Data Scientist", "Requirements: 3+ years of SQL, hybrid, intern\n" + text,
                  taxonomy=TAXONOMY, must_have_skills=must, seniority=level, min_years=years,
                  remote_policy=policy, location="Lisbon")  # fmt: skip
    assert len(p.must_have) == len({TAXONOMY.resolve(n) or n.lower().replace(" ", "-") for n in must})
    assert (p.seniority, p.min_years, p.remote_policy, p.location) == (level, years, policy, "Lisbon")
