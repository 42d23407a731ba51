"""Deterministic events for the reliability tests: many distinct candidates, two jobs, and a
résumé full of personal data for the log tests."""

from __future__ import annotations

from schemas.events import CandidateSubmittedV1, JobPostedV1

_SKILLS = (
    "Python", "PyTorch", "SQL", "Kubernetes", "Docker", "TensorFlow", "Spark", "AWS", "MLflow",
    "Airflow", "scikit-learn", "Go", "Pandas", "Kafka", "Terraform",
)  # fmt: skip

JOBS = (
    JobPostedV1(
        job_id="job-mle",
        title="Machine Learning Engineer",
        description="Requirements: 3+ years with Python and PyTorch, SQL and Docker. Nice to have: AWS.",
    ),
    JobPostedV1(
        job_id="job-platform",
        title="ML Platform Engineer",
        description="Requirements: Kubernetes, Terraform and Python; MLflow or Airflow in production.",
    ),
)

# Personal data that must never reach a log line or a dead-letter header.
PII_NAME = "Jane Quarrington"
PII_EMAIL = "jane.quarrington@example.com"
PII_PHONE = "+44 7700 900461"
PII_RESUME = (
    f"{PII_NAME}\n{PII_EMAIL} | {PII_PHONE}\n"
    "Experience\nMachine Learning Engineer, Acme (2017 - 2024)\n"
    "Trained PyTorch models in Python; SQL; Docker.\nSkills: Python, PyTorch, SQL, Docker"
)
PII_MARKERS = (PII_NAME, "Quarrington", PII_EMAIL, "jane.quarrington", PII_PHONE, "7700 900461")


def resume(index: int) -> str:
    picked = [_SKILLS[(index * 7 + k * 3) % len(_SKILLS)] for k in range(4)]
    return (
        f"Experience\nMachine Learning Engineer, Acme ({2010 + index % 10} - 2024)\n"
        f"Built and shipped models with {picked[0]}, {picked[1]} and {picked[2]}.\n"
        f"Skills: {', '.join(picked)}"
    )


def candidate_id(index: int) -> str:
    return f"cand-{index:05d}"


def candidates(count: int, version: int = 0, start: int = 0) -> list[CandidateSubmittedV1]:
    return [
        CandidateSubmittedV1(candidate_id=candidate_id(i), resume_text=resume(i), version=version)
        for i in range(start, start + count)
    ]
