"""Archetype from the body of a text, and the benchmark's weak labels and split."""

from __future__ import annotations

import json
import re
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.archetypes import main, split, weak_label
from services.core import archetypes
from services.core.archetypes import classify_archetype, cue_scores
from services.core.model import Archetype

A = Archetype
BODIES = {
    A.DATA_SCIENTIST: "Design A/B tests and experiments, apply statistical modeling and causal inference, "
    "and turn insights into recommendations for stakeholders.",
    A.ML_ENGINEER: "Train and tune deep learning models in PyTorch; own feature engineering, "
    "hyperparameter search and model evaluation on GPUs.",
    A.AI_ENGINEER: "Deploy LLM applications with RAG to production, build CI/CD for models on "
    "Kubernetes, monitor drift and keep inference latency low.",
    A.DATA_ENGINEER: "Build ETL pipelines with Spark and Airflow into the data warehouse and data lake.",
    A.DATA_ANALYST: "Build Tableau dashboards and weekly reporting on KPIs; answer ad-hoc asks in Excel.",
    A.SOFTWARE_ENGINEER: "Write back-end Java web services and React front-end features with unit tests.",
}


@pytest.mark.parametrize(("expected", "body"), BODIES.items())
def test_body_alone_decides(expected: Archetype, body: str) -> None:
    guess = classify_archetype(body)
    assert guess.archetype is expected
    assert guess.confidence == max(guess.scores.values())


def test_empty_or_unrelated_text_is_other() -> None:
    assert classify_archetype("").archetype is Archetype.OTHER
    assert classify_archetype("Drive a forklift safely in our warehouse.").archetype is Archetype.OTHER


def test_scores_are_a_distribution_over_every_archetype() -> None:
    guess = classify_archetype(BODIES[Archetype.ML_ENGINEER])
    assert set(guess.scores) == {a.value for a in Archetype}
    assert sum(guess.scores.values()) == pytest.approx(1, abs=1e-3)


def test_skills_tip_a_close_call() -> None:
    text = "Work with the team on data."
    assert classify_archetype(text).archetype is Archetype.OTHER
    leaning = classify_archetype(text, ["pytorch", "tensorflow", "deep-learning", "computer-vision"])
    assert leaning.archetype is Archetype.ML_ENGINEER


def test_repetition_is_damped() -> None:
    """One word said fifty times must not beat a text that describes the work in many ways."""
    text = "dashboards " * 50 + BODIES[Archetype.ML_ENGINEER] + " " + BODIES[Archetype.ML_ENGINEER]
    assert classify_archetype(text).archetype is Archetype.ML_ENGINEER


def test_blended_text_has_two_high_scores() -> None:
    guess = classify_archetype(BODIES[Archetype.DATA_SCIENTIST] + " " + BODIES[Archetype.AI_ENGINEER])
    top_two = sorted(guess.scores.values(), reverse=True)[:2]
    assert top_two[1] > 0.2


# A sales manager's duties: only words every office job uses, none that names a data role.
OFFICE = (
    "Prepared weekly sales reports and monthly reporting packs for management; tracked KPIs, metrics and "
    "trends in Excel spreadsheets; handled ad hoc requests and checked the accuracy of every report."
)


def test_generic_office_words_do_not_make_a_resume_a_data_analyst() -> None:
    assert classify_archetype(OFFICE, resume=True).archetype is Archetype.OTHER
    # In a posting (always a data role here) the same words still tell the data roles apart.
    assert classify_archetype(OFFICE).archetype is Archetype.DATA_ANALYST


def test_generic_words_still_back_the_specific_evidence_of_a_resume() -> None:
    specific = "Data analyst: built Tableau dashboards for the sales team."
    assert classify_archetype(OFFICE + " " + specific, resume=True).archetype is Archetype.DATA_ANALYST
    backed, alone = (cue_scores(t, resume=True)[A.DATA_ANALYST] for t in (OFFICE + " " + specific, specific))
    assert backed > alone


def test_power_bi_is_a_tool_not_a_business_intelligence_title() -> None:
    assert cue_scores("Power BI")[A.DATA_ANALYST] == cue_scores("Tableau")[A.DATA_ANALYST]


@pytest.mark.parametrize("title", ["NLP Engineer", "Computer Vision Engineer", "Deep Learning Engineer"])
def test_specialised_ml_engineers_are_ml_engineers(title: str) -> None:
    assert classify_archetype(f"We are hiring an {title} to build our models.").archetype is A.ML_ENGINEER


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=1500), st.lists(st.sampled_from(["pytorch", "tableau", "spark", "mlops", "x"])))
def test_guess_is_always_the_top_score(text: str, skills: list[str]) -> None:
    for resume in (False, True):
        guess = classify_archetype(text, skills, resume=resume)
        assert 0 <= guess.confidence <= 1
        assert guess.scores[guess.archetype.value] == max(guess.scores.values())
    # Discounting generic words can only lower a résumé's cue scores, never raise them.
    job, cv = cue_scores(text, skills), cue_scores(text, skills, resume=True)
    assert all(cv[a] <= job[a] + 1e-9 for a in Archetype if a is not Archetype.OTHER)


# Cue words in several cases and spellings, and near-misses the word-start check must drop.
_PIECES = [
    "Data Scientist", "PYTORCH", "PyTorch", "kubernetes", "Kubernetes", "Excel", "excellent", "R",
    "R&D", "Power BI", "BI", ".NET", "C#", "Node.js", "A/B testing", "ML Ops", "MLOps", "Insights",
    "business problems", "Sagemaker", "é", "Ünïcödé", "xdata scientist", "data.engineer", "_r",
    "prepython", "big data engineer", "ml engineer",
]  # fmt: skip
_TEXTS = st.lists(
    st.one_of(
        st.sampled_from(_PIECES), st.sampled_from([" ", "\n", ".", "-", "&", "/", ""]), st.text(max_size=4)
    ),
    max_size=60,
).map("".join)
_ALWAYS = re.compile("")  # as FOLDS_TO_ASCII, it sends every text down the re.I path
_NEVER = re.compile("(?!)")  # ... and this one none


@settings(max_examples=200, deadline=None)
@given(_TEXTS, st.booleans())
def test_lower_case_matching_scores_as_ignore_case_matching_does(text: str, resume: bool) -> None:
    with mock.patch.object(archetypes, "FOLDS_TO_ASCII", _ALWAYS):
        reference = cue_scores(text, resume=resume)
    assert cue_scores(text, resume=resume) == reference


@pytest.mark.parametrize(
    "text", ["ſtatiſtics and ſas", "Data Scıentist", "Machİne Learning Engineer", "\u212aafka and \u212aeras"]
)
def test_text_with_a_letter_that_folds_to_ascii_is_matched_ignoring_case(text: str) -> None:
    with mock.patch.object(archetypes, "FOLDS_TO_ASCII", _ALWAYS):
        reference = cue_scores(text, resume=True)
    assert cue_scores(text, resume=True) == reference
    if "\u212a" not in text:  # lower() turns the Kelvin sign into "k": the others need re.I
        with mock.patch.object(archetypes, "FOLDS_TO_ASCII", _NEVER):
            assert cue_scores(text, resume=True) != reference


@pytest.mark.parametrize(
    ("title", "label"),
    [
        ("Sr. Data Scientist", Archetype.DATA_SCIENTIST),
        ("Machine Learning Engineer (NLP)", Archetype.ML_ENGINEER),
        ("Senior ML Engineer", Archetype.ML_ENGINEER),
        ("MLOps Engineer", Archetype.AI_ENGINEER),
        ("Generative AI Engineer", Archetype.AI_ENGINEER),
        ("Big Data Engineer", Archetype.DATA_ENGINEER),
        ("Business Intelligence Analyst", Archetype.DATA_ANALYST),
        ("Data Scientist/ML Engineer", None),  # two archetypes: skipped, not guessed
        ("Research Scientist", None),
    ],
)
def test_weak_labels(title: str, label: Archetype | None) -> None:
    assert weak_label(title) is label


def test_reposts_share_a_split() -> None:
    rows = [{"company": f"c{i % 7}", "title": "Data Scientist", "description": str(i)} for i in range(40)]
    train, test = split(rows)
    assert len(train) + len(test) == 40 and test
    assert not {(r["company"], r["title"]) for r in train} & {(r["company"], r["title"]) for r in test}


def test_benchmark_skips_cleanly_without_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.json"
    assert main(["--data", str(tmp_path / "missing.jsonl"), "--out", str(out)]) == 0
    assert "skipped" in capsys.readouterr().out and not out.exists()


def test_benchmark_on_a_tiny_file(tmp_path: Path) -> None:
    data, out = tmp_path / "jobs.jsonl", tmp_path / "out.json"
    rows = [
        {"job_id": str(i), "title": title, "company": f"c{i}", "description": BODIES[label]}
        for i, (title, label) in enumerate(
            [("Data Scientist", Archetype.DATA_SCIENTIST), ("Data Engineer", Archetype.DATA_ENGINEER)] * 5
        )
    ]
    data.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert main(["--data", str(data), "--out", str(out), "--no-skills"]) == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["train"]["n"] + result["test"]["n"] == 10
    assert result["train"]["accuracy"] == 1.0
