"""Counterfactual fairness: résumés that differ only in a protected proxy score the same.

Each set of variants is one résumé with one thing swapped: the name (perceived gender and
ethnicity), the pronouns, or the university (prestige; same degree level). Everything goes
through the real ingest and matcher path in blind mode. Tolerances:

- names and pronouns: 1e-9. Blind mode replaces them with fixed tokens, so the redacted texts, the
  vectors and the scores must be identical.
- universities: 1e-9 as well. Blind mode replaces named institutions with "[institution]"; before
  it did, a prestige swap moved the score by up to 0.028 with the hashing embedder (and the raw
  MiniLM similarity by 0.013). The degree level is kept and still counts (last test).

The largest difference seen in each family is printed (``pytest -s``) for the record.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from schemas.events import CandidateSubmittedV1, JobPostedV1
from services.platform.embedder import Embedder
from tests.unit.pipeline_harness import pipeline

TOLERANCE = 1e-9
JOB = JobPostedV1(
    job_id="job-mle",
    title="Machine Learning Engineer",
    description="We train deep learning models and serve them in production. You will own training "
    "pipelines and model evaluation. Requirements: 3+ years, Python, PyTorch, SQL, Kubernetes, Docker. "
    "Master's degree in a quantitative field. Nice to have: MLflow.",
    must_have_skills=["Python", "PyTorch", "SQL", "Kubernetes", "Docker"],
    nice_to_have_skills=["MLflow"],
)
TEMPLATE = """{name}
{email} | +1 415 555 0100
Summary
{first} is a machine learning engineer. {P} trained deep learning models and {pos} work shipped to production.
Experience
ML Engineer, Acme (2018 - 2024)
- Trained and tuned PyTorch models in Python; wrote SQL for feature pipelines.
- Deployed models with Docker on Kubernetes; colleagues say {p} made {obj} team faster.
Education
{degree} Computer Science, {university}, 2018
Skills
Python, PyTorch, SQL, Docker, Kubernetes, MLflow
"""
NAMES = [  # perceived gender and ethnicity vary; the résumé does not
    "Emily Walsh", "Jake Miller", "Greta Johansson", "Connor O'Brien",
    "Lakisha Washington", "DeShawn Robinson", "Aaliyah Jackson", "Tyrone Brooks",
    "José Hernández", "Sofía Martínez", "Alejandro Ruiz", "Guadalupe Flores",
    "Wei Zhang", "Mei-Ling Chen", "Nguyen Van An", "Hiroshi Tanaka",
    "Priya Raghunathan", "Arjun Patel", "Fatima Khan", "Mohammed Al-Farsi",
    "Oluwaseun Adeyemi", "Ngozi Okonkwo", "Kwame Mensah", "Dmitri Volkov",
]  # fmt: skip
PRONOUNS = {
    "she": ("She", "she", "her", "her"),
    "he": ("He", "he", "his", "his"),
    "they": ("They", "they", "their", "their"),
}
UNIVERSITIES = [
    "Stanford University", "Massachusetts Institute of Technology", "Harvard University",
    "University of California, Berkeley", "State University of New York at Buffalo",
    "University of Texas at El Paso", "California State University, Los Angeles",
    "Northern Arizona University", "Howard University", "Miami Dade College",
]  # fmt: skip


def resume(
    name: str = "Alex Morgan", pronoun: str = "they", university: str = UNIVERSITIES[0], degree: str = "M.S."
) -> str:
    cap, p, pos, obj = PRONOUNS[pronoun]
    email = name.lower().replace(" ", ".").replace("'", "") + "@example.com"
    return TEMPLATE.format(name=name, first=name.split()[0], email=email, P=cap, p=p, pos=pos, obj=obj,
                           university=university, degree=degree)  # fmt: skip


VARIANTS = {
    "name": {f"name-{i}": resume(name=n) for i, n in enumerate(NAMES)},
    "pronoun": {f"pronoun-{k}": resume(pronoun=k) for k in PRONOUNS},
    "prestige": {f"prestige-{i}": resume(university=u) for i, u in enumerate(UNIVERSITIES)},
}


def scores(folder: Path, embedder: Embedder | None = None) -> dict[str, float]:
    with pipeline(folder, embedder) as p:
        p.post(JOB)
        for family in VARIANTS.values():
            for cid, text in family.items():
                p.submit(CandidateSubmittedV1(candidate_id=cid, resume_text=text))
        return {cid: c.score for cid, c in p.considered(JOB.job_id).items()}


def spread(scored: dict[str, float], family: str) -> float:
    values = [scored[cid] for cid in VARIANTS[family]]
    assert len(values) == len(VARIANTS[family])  # everyone was considered
    return max(values) - min(values)


@pytest.fixture(scope="module")
def hashed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, float]:
    return scores(tmp_path_factory.mktemp("fairness"))


@pytest.mark.parametrize("family", sorted(VARIANTS))
def test_swapping_a_protected_proxy_does_not_move_the_score(hashed: dict[str, float], family: str) -> None:
    largest = spread(hashed, family)
    print(f"\nlargest score difference across {family} swaps (hashing embedder): {largest:.3g}")
    assert largest <= TOLERANCE


def test_the_degree_level_still_counts(tmp_path: Path) -> None:
    """Blind mode hides where, not what: a bachelor's scores below the master's the job asks for."""
    with pipeline(tmp_path) as p:
        p.post(JOB)
        p.submit(CandidateSubmittedV1(candidate_id="ms", resume_text=resume(degree="M.S.")))
        p.submit(CandidateSubmittedV1(candidate_id="bs", resume_text=resume(degree="B.S.")))
        scored = p.considered(JOB.job_id)
    assert scored["bs"].components["level"] < scored["ms"].components["level"]


@pytest.mark.model
def test_the_same_holds_with_the_real_model(tmp_path: Path) -> None:
    from services.platform.embedder import SentenceTransformerEmbedder
    from services.platform.settings import ModelSettings

    scored = scores(tmp_path, SentenceTransformerEmbedder(ModelSettings()))
    for family in sorted(VARIANTS):
        largest = spread(scored, family)
        print(f"\nlargest score difference across {family} swaps (MiniLM): {largest:.3g}")
        assert largest <= TOLERANCE, family


def _variants() -> Iterator[str]:  # keeps the fixtures honest: every variant text is distinct
    for family in VARIANTS.values():
        yield from family.values()


def test_the_variants_really_differ() -> None:
    texts = list(_variants())
    assert len(set(texts)) == len(texts) - 1  # "they" and university 0 are both the base résumé
