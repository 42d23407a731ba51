"""Résumé → CandidateProfile: merged experience years, education, level, location, evidence."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.core.candidates import build_candidate_profile, experience_years
from services.core.model import Archetype, CandidateProfile, Degree, Section, Seniority
from services.core.sections import SectionRange
from services.core.taxonomy import Taxonomy

TODAY = date(2024, 6, 15)
TAXONOMY = Taxonomy.from_dict({"version": "t", "skills": [
    {"id": "python", "name": "Python", "category": "language"},
    {"id": "pytorch", "name": "PyTorch", "category": "framework"},
    {"id": "kubernetes", "name": "Kubernetes", "category": "devops"},
]})  # fmt: skip

RESUME = """[name]
Senior Machine Learning Engineer
Location: Berlin, Germany
Authorized to work in the European Union. Will require sponsorship for the US.

SUMMARY
ML engineer with 12 years of experience.

EXPERIENCE
Acme AI, Senior ML Engineer | Jan 2019 – Present
• Deployed PyTorch models to production on Kubernetes serving 5k requests per second
• Built CI/CD for ML with an MLflow model registry and drift detection
• Cut churn 12%, saving $2M a year
Globex, Data Scientist | 2016-2018
Initech (part-time) | 03/2017 - 06/2020

EDUCATION
M.S. in Computer Science, 2015
B.E in Mechanical Engineering, 2013
"""


def years(text: str) -> float | None:
    return experience_years(text, [SectionRange(Section.EXPERIENCE, 0, len(text))], TODAY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jan 2019 – Present", 5.5),  # through June 2024, the current month counted
        ("2016-2018", 2.0),
        ("03/2017 - 06/2020", 3.3),
        ("May 2015 to Dec 2016", 1.7),
        ("Sept. 2020 - current", 3.8),
        ("2016 - 2018\n2017 – 2019", 3.0),  # overlap counted once
        ("Jan 2018 - Dec 2018\nMar 2018 - Apr 2018\n2020 - 2021", 2.0),  # nested and disjoint
        ("2019 - 2017", None),  # backwards ranges are typos, not negative time
        ("Jan 2030 - Present", None),  # starts in the future
    ],
)
def test_date_ranges(text: str, expected: float | None) -> None:
    assert years(text) == expected


def test_ranges_outside_experience_do_not_count_and_statements_are_the_fallback() -> None:
    text = "EDUCATION\nBSc, 2010 - 2014\nSUMMARY\nData scientist with 6+ years of professional experience."
    p = build_candidate_profile("c", text, taxonomy=TAXONOMY, today=TODAY)
    assert p.years_experience == 6
    assert build_candidate_profile("c", "Python\n", taxonomy=TAXONOMY, today=TODAY).years_experience is None


def profile(text: str) -> CandidateProfile:
    return build_candidate_profile("c", text, taxonomy=TAXONOMY, today=TODAY)


def test_role_durations_add_up_and_beat_one_skill_in_a_skills_table() -> None:
    text = (
        "Skill Details Python- Exprience - 6 months SQL- Exprience - 6 months Company Details "
        "Consultant: 8 months. Built pricing models. Database Developer; 19 months. Tuned queries."
    )
    assert profile(text).years_experience == 2.2  # 27 months of roles, not one skill's 6


def test_the_archetype_is_read_from_the_prose_not_from_a_skills_list() -> None:
    text = (
        "EXPERIENCE\nData Analyst, Acme | 2019 - Present\n"
        "- Built Tableau dashboards and weekly KPI reporting.\n\n"
        "SKILLS\nPyTorch, TensorFlow, Keras, deep learning, neural networks, computer vision, NLP, GPUs"
    )
    assert profile(text).archetype.archetype is Archetype.DATA_ANALYST


def test_generic_office_words_do_not_make_a_data_analyst() -> None:
    text = "EXPERIENCE\nSales Manager | 2015 - Present\n- Prepared weekly reports on KPIs and trends in Excel"
    assert profile(text).archetype.archetype is Archetype.OTHER


def test_full_profile() -> None:
    p = build_candidate_profile("c1", RESUME, taxonomy=TAXONOMY, version=3, today=TODAY)
    assert p.years_experience == 8.5  # Jan 2016 – Jun 2024 with the overlaps merged
    assert (p.education, p.education_field, p.graduation_year) == (Degree.MASTER, "Computer Science", 2015)
    assert p.seniority is Seniority.SENIOR and p.location == "Berlin, Germany" and p.version == 3
    assert p.work_authorization == ["authorized to work in the European Union"]  # not the sponsorship line
    assert p.skill_ids() == {"pytorch", "kubernetes"}
    assert p.archetype.archetype in (Archetype.AI_ENGINEER, Archetype.ML_ENGINEER)
    assert "mlops" in p.specialisations
    assert any("drift" in e for e in p.mlops_evidence)
    assert p.impact_evidence == ["Cut churn 12%, saving $2M a year"]
    assert any("requests per second" in e for e in p.deployment_evidence)


def test_explicit_arguments_win() -> None:
    p = build_candidate_profile(
        "c", RESUME, taxonomy=TAXONOMY, location="Lisbon", preferred_locations=["Porto"], open_to_remote=True
    )
    assert (p.location, p.preferred_locations, p.open_to_remote) == ("Lisbon", ["Porto"], True)


@pytest.mark.parametrize(
    ("education", "degree", "field"),
    [
        ("EDUCATION\nPh.D. in Statistics, 2019\nBSc Mathematics, 2012", Degree.PHD, "Statistics"),
        ("EDUCATION\nB.Tech Electronics and Design 2018", Degree.BACHELOR, "Electronics and Design"),
        ("EDUCATION\nMCA from Pune University, 2016", Degree.MASTER, None),
        ("EDUCATION\nMaster of Science in Data Science", Degree.MASTER, "Data Science"),
        ("SKILLS\nMS Excel, Scrum Master", Degree.NONE, None),
        ("EDUCATION\nIngeniería en Computación, Universidad de Buenos Aires", Degree.BACHELOR, "Computación"),
        ("EDUCATION\nLicenciatura em Engenharia Informática, Universidade do Porto", Degree.BACHELOR, None),
        ("EDUCATION\nLaurea magistrale in Informatica, 2019", Degree.MASTER, "Informatica"),
    ],
)
def test_education(education: str, degree: Degree, field: str | None) -> None:
    p = build_candidate_profile("c", education, taxonomy=TAXONOMY, today=TODAY)
    assert (p.education, p.education_field) == (degree, field)


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("EXPERIENCE\nData Science Intern, Acme | Jun 2023 - Aug 2023", Seniority.INTERN),
        ("EXPERIENCE\nJunior Data Analyst | 2022 - Present", Seniority.JUNIOR),
        ("EXPERIENCE\nPrincipal ML Engineer | 2010 - Present\nJunior Developer | 2008-2010", Seniority.STAFF),
        ("EXPERIENCE\nAcme | 2020 - Present", Seniority.MID),  # 4.5 years, no title word
        ("EDUCATION\nBSc 2024. Recent graduate looking for a first role.", Seniority.NEW_GRAD),
        ("Trained for 4 weeks under the guidance of Mr. Rao, Senior Engineer.", None),  # his title, not hers
        ("EXPERIENCE\nData Analyst | 2022 - Present, reporting to the Lead Data Scientist", Seniority.JUNIOR),
        ("Python", None),
    ],
)
def test_seniority(text: str, level: Seniority | None) -> None:
    assert build_candidate_profile("c", text, taxonomy=TAXONOMY, today=TODAY).seniority is level


_YEAR = st.integers(1950, 2030)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_YEAR, _YEAR), max_size=6), st.text(max_size=200))
def test_years_are_never_negative_nor_beyond_the_span(ranges: list[tuple[int, int]], noise: str) -> None:
    text = noise + "\n" + "\n".join(f"Job {a} - {b}" for a, b in ranges)
    found = years(text)
    assert found is None or found >= 0
    valid = [(a, b) for a, b in ranges if a < b <= TODAY.year]
    if found is not None and valid and not any(ch.isdigit() for ch in noise):
        assert found <= max(b for _, b in valid) - min(a for a, _ in valid)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=1500))
def test_never_raises(text: str) -> None:
    p = build_candidate_profile("c", text, taxonomy=TAXONOMY, today=TODAY)
    assert p.years_experience is None or p.years_experience >= 0
