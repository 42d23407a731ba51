"""Evidence snippets: MLOps practice, quantified impact, shipped systems, specialisations."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.core.evidence import (
    MAX_SNIPPET,
    asks_for_impact,
    deployment_evidence,
    impact_evidence,
    mlops_evidence,
    snippet,
    specialisations,
)


@pytest.mark.parametrize(
    "line",
    [
        "• Built CI/CD for ML with GitHub Actions and an MLflow model registry",
        "- added DATA DRIFT detection and alerting on prediction distributions",
        "Orchestrated nightly retraining of ranking models with Airflow on Kubernetes",
        "Cut p99 inference latency to 40 ms with low-latency model serving",
    ],
)
def test_mlops_cues(line: str) -> None:
    assert mlops_evidence(f"EXPERIENCE\n{line}\nOther line") == [line.lstrip("•- ")]


def test_weak_mlops_cue_needs_machine_learning_context() -> None:
    assert mlops_evidence("Packaged the company web shop in Docker and Kubernetes.") == []
    assert mlops_evidence("Packaged fraud models in Docker and Kubernetes.") != []


@pytest.mark.parametrize(
    "line",
    [
        "Cut churn 12% with an uplift model",
        "Saved $2M a year by automating claims triage",
        "Grew conversion 3x through ranking",
        "Reduced fraud losses by 1.5 million",
        "Increased revenue by €400k in two quarters",
        "Made nightly reports 10 times faster, saving 30 analyst hours",
    ],
)
def test_quantified_impact(line: str) -> None:
    assert impact_evidence(line) == [line]


@pytest.mark.parametrize(
    "line",
    [
        "Achieved 95% accuracy on the test set",  # a model metric, not a business outcome
        "Salary: $120,000 - $150,000 plus benefits and 401(k)",  # pay, with "plus" and numbers
        "Improved the onboarding flow",  # an outcome, but unquantified
    ],
)
def test_not_impact(line: str) -> None:
    assert impact_evidence(line) == []


def test_deployment_evidence() -> None:
    text = "Deployed the recommender to production. Served 20k requests per second.\nWrote unit tests."
    expected = ["Deployed the recommender to production", "Served 20k requests per second"]
    assert deployment_evidence(text) == expected
    assert deployment_evidence("Studied deployment strategies in class") == []


def test_snippets_are_deduplicated_and_short() -> None:
    padding = " with many words" * 20
    long_line = f"Led a project{padding} that cut churn 12% for the business{padding}"
    text = f"{long_line}\n{long_line}\n- Grew revenue 5%\n- grew revenue 5%\n- Cut churn 12%"
    found = impact_evidence(text)  # the last bullet repeats what the long line already shows
    assert len(found) == 2 and found[1] == "Grew revenue 5%"
    assert all(len(s) <= MAX_SNIPPET for s in found)
    assert "12%" in found[0] and found[0].startswith("…") and found[0].endswith("…")


def test_specialisations_from_text_and_from_skills() -> None:
    text = "Fine-tuned BERT for named entity recognition; built a RAG assistant with LangChain."
    assert specialisations(text) == ["nlp", "llms"]
    assert specialisations("Forecasting demand with ARIMA") == ["time-series"]
    assert specialisations("nothing relevant", ["opencv", "mlflow"]) == ["computer-vision", "mlops"]
    assert specialisations("Electrical work on power transformers") == []


def test_job_descriptions_asking_for_impact() -> None:
    assert asks_for_impact("You will drive measurable business impact across the funnel.")
    assert not asks_for_impact("You will build dashboards.")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=2000))
def test_snippets_never_exceed_limit(text: str) -> None:
    for finder in (mlops_evidence, impact_evidence, deployment_evidence):
        found = finder(text)
        assert all(len(s) <= MAX_SNIPPET for s in found)
        assert len(found) == len({s.lower() for s in found})


@given(st.text(alphabet=st.characters(codec="ascii"), min_size=1, max_size=600), st.integers(0, 600))
def test_snippet_keeps_the_cue_in_view(sentence: str, at: int) -> None:
    out = snippet(sentence, min(at, len(sentence)))
    assert len(out) <= MAX_SNIPPET
