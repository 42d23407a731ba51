"""The skill taxonomy file, alias resolution and skill extraction with evidence."""

from __future__ import annotations

import json
import re
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.core.model import Section, SkillMention
from services.core.sections import SectionRange
from services.core.taxonomy import CATEGORIES, DEFAULT_PATH, Taxonomy

TAX = Taxonomy.load()
RAW: dict[str, Any] = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))


def ids(text: str, **kwargs: Any) -> list[str]:
    return [m.skill_id for m in TAX.extract(text, **kwargs)]


def mention(text: str, skill_id: str) -> SkillMention:
    return next(m for m in TAX.extract(text) if m.skill_id == skill_id)


# --- the file ----------------------------------------------------------------------------------


def test_file_header() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", RAW["version"])
    assert TAX.version == RAW["version"]
    assert "ESCO" in RAW["attribution"]
    assert "European Commission" in RAW["attribution"]


def test_file_size_and_categories() -> None:
    skills = RAW["skills"]
    assert len(skills) >= 320
    assert len(TAX.skills) == len(skills)
    assert {s["category"] for s in skills} == CATEGORIES


def test_ids_are_unique_slugs() -> None:
    seen = [s["id"] for s in RAW["skills"]]
    assert len(seen) == len(set(seen))
    for skill_id in seen:
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", skill_id), skill_id


def test_every_name_alias_and_id_resolves_to_its_own_skill() -> None:
    # Also proves that no alias collides with another skill's spelling.
    for skill in TAX.skills.values():
        for spelling in (skill.id, skill.name, *skill.aliases):
            assert TAX.resolve(spelling) == skill.id, (spelling, skill.id)


def test_parents_exist_and_have_no_cycles() -> None:
    for skill in TAX.skills.values():
        assert set(skill.parents) <= TAX.skills.keys(), skill.id
        assert skill.id not in skill.parents
        assert skill.id not in TAX.ancestors(skill.id)


def test_esco_uris() -> None:
    uris = [s.esco_uri for s in TAX.skills.values() if s.esco_uri]
    assert len(uris) >= 80
    assert len(uris) == len(set(uris))
    for uri in uris:
        assert re.fullmatch(r"http://data\.europa\.eu/esco/skill/[0-9a-f-]{36}", uri), uri


def test_case_sensitive_skills_have_a_one_word_alias() -> None:
    flagged = [s for s in TAX.skills.values() if s.case_sensitive]
    assert {"r-lang", "c-lang", "go-lang", "excel"} <= {s.id for s in flagged}
    for skill in flagged:
        assert any(" " not in a and "-" not in a for a in (skill.name, *skill.aliases)), skill.id


MUST_COVER = {
    "Python": "python", "NumPy": "numpy", "Pandas": "pandas", "scikit-learn": "scikit-learn",
    "PyTorch": "pytorch", "TensorFlow": "tensorflow", "JAX": "jax", "Keras": "keras", "SQL": "sql",
    "PostgreSQL": "postgresql", "MySQL": "mysql", "MongoDB": "mongodb", "Redis": "redis", "AWS": "aws",
    "Azure": "azure", "GCP": "google-cloud", "SageMaker": "sagemaker", "Azure ML": "azure-ml",
    "Vertex AI": "vertex-ai", "Databricks": "databricks", "Spark": "spark", "Airflow": "airflow",
    "Kubeflow": "kubeflow", "MLflow": "mlflow", "DVC": "dvc", "Docker": "docker",
    "Kubernetes": "kubernetes", "Git": "git", "unit testing": "unit-testing", "pytest": "pytest",
    "CI/CD": "ci-cd", "CI/CD for ML": "ci-cd-ml", "model monitoring": "model-monitoring",
    "data drift": "data-drift", "low-latency serving": "low-latency-serving",
    "feature stores": "feature-store", "vector databases": "vector-databases", "LLMs": "llm",
    "RAG": "rag", "LangChain": "langchain", "prompt engineering": "prompt-engineering",
    "fine-tuning": "fine-tuning", "computer vision": "computer-vision", "NLP": "nlp",
    "recommender systems": "recommender-systems", "time series": "time-series",
    "statistics": "statistics", "A/B testing": "ab-testing", "causal inference": "causal-inference",
    "Tableau": "tableau", "Power BI": "power-bi", "Excel": "excel", "Java": "java", "C++": "cpp",
    "C#": "csharp", ".NET": "dotnet", "Node.js": "nodejs", "React": "react", "Go": "go-lang",
    "REST APIs": "rest-api", "microservices": "microservices", "recruiting": "recruiting",
    "sales": "sales", "accounting": "accounting", "AutoCAD": "autocad",
}  # fmt: skip


@pytest.mark.parametrize(("name", "skill_id"), MUST_COVER.items())
def test_must_cover_skills(name: str, skill_id: str) -> None:
    assert skill_id in TAX.skills
    assert TAX.resolve(name) == skill_id


# --- construction checks -------------------------------------------------------------------------


def _tiny(*skills: dict[str, Any]) -> Taxonomy:
    return Taxonomy.from_dict({"version": "0.0.1", "skills": list(skills)})


def _skill(
    skill_id: str, *aliases: str, parents: tuple[str, ...] = (), category: str = "concept"
) -> dict[str, Any]:
    return {
        "id": skill_id,
        "name": skill_id.title(),
        "category": category,
        "aliases": list(aliases),
        "parents": list(parents),
    }


def test_tiny_taxonomy_is_valid() -> None:
    tax = _tiny(_skill("a", "alpha"), _skill("b", "beta", parents=("a",)))
    assert tax.ancestors("b") == {"a"}
    assert tax.resolve("ALPHA") == "a"


@pytest.mark.parametrize(
    ("skills", "message"),
    [
        ((_skill("a"), _skill("a")), "duplicate"),
        ((_skill("a", parents=("zzz",)),), "unknown parent"),
        ((_skill("a", parents=("b",)), _skill("b", parents=("a",))), "cycle"),
        ((_skill("a", "shared name"), _skill("b", "Shared-Name")), "already names"),
        ((_skill("a", category="nonsense"),), "category"),
        ((_skill("a", "!!"),), "no word"),
    ],
)
def test_invalid_taxonomies_are_rejected(skills: tuple[dict[str, Any], ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _tiny(*skills)


def test_load_is_cached() -> None:
    assert Taxonomy.load() is TAX
    assert Taxonomy.load(DEFAULT_PATH) is TAX


def test_get() -> None:
    skill = TAX.get("scikit-learn")
    assert skill.name == "scikit-learn"
    assert "sklearn" in skill.aliases
    with pytest.raises(KeyError):
        TAX.get("no-such-skill")


# --- parents -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("skill_id", "implied"),
    [
        ("pytorch", {"deep-learning", "machine-learning", "python"}),
        ("sagemaker", {"aws", "cloud-computing"}),
        ("pandas", {"python"}),
        ("hf-transformers", {"nlp", "hugging-face", "python"}),
        ("pyspark", {"spark", "python", "big-data"}),
        ("rag", {"llm", "nlp"}),
        ("kubeflow", {"kubernetes", "mlops"}),
        ("pgvector", {"vector-databases", "postgresql", "sql"}),
        ("data-drift", {"model-monitoring", "mlops"}),
        ("logistic-regression", {"regression-analysis", "statistics"}),  # a GLM
        ("sentiment-analysis", {"text-classification", "nlp"}),  # a text-classification task
        ("knn", {"supervised-learning"}), ("naive-bayes", {"supervised-learning"}),
        ("nvidia-jetson", {"edge-ai"}), ("r-markdown", {"r-lang"}), ("nagios", {"observability"}),
    ],
)  # fmt: skip
def test_ancestors(skill_id: str, implied: set[str]) -> None:
    assert implied <= TAX.ancestors(skill_id)


def test_parents_do_not_over_reach() -> None:
    assert "python" not in TAX.ancestors("sql")
    assert "aws" not in TAX.ancestors("azure-ml")
    assert "javascript" not in TAX.ancestors("java")


def test_closure() -> None:
    got = TAX.closure(["pandas", "tableau", "unknown-id"])
    assert {"pandas", "python", "tableau", "data-visualization", "unknown-id"} <= got
    assert TAX.ancestors("unknown-id") == frozenset()
    assert TAX.closure([]) == set()


# --- resolve -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "skill_id"),
    [
        ("sklearn", "scikit-learn"), ("Scikit Learn", "scikit-learn"), ("scikit_learn", "scikit-learn"),
        ("k8s", "kubernetes"), ("K8S", "kubernetes"), ("Google Cloud Platform", "google-cloud"),
        ("gcp", "google-cloud"), ("tensor flow", "tensorflow"), ("py torch", "pytorch"),
        ("postgres", "postgresql"), ("psql", "postgresql"), ("ci cd", "ci-cd"), ("CI-CD", "ci-cd"),
        ("A/B tests", "ab-testing"), ("ab testing", "ab-testing"), ("c++", "cpp"), ("C#", "csharp"),
        ("c", "c-lang"), ("r", "r-lang"), ("golang", "go-lang"), ("nodejs", "nodejs"),
        ("node js", "nodejs"), (".net", "dotnet"), ("ASP.NET", "aspnet"), ("Python 3", "python"),
        ("Numpý", "numpy"), ("  Docker  ", "docker"), ("LLM", "llm"), ("large language models", "llm"),
        ("data pipelines", "data-pipelines"), ("REST API", "rest-api"), ("scikit-\nlearn", "scikit-learn"),
    ],
)  # fmt: skip
def test_resolve(name: str, skill_id: str) -> None:
    assert TAX.resolve(name) == skill_id


@pytest.mark.parametrize("name", ["", "   ", "--", "NET", "quantum basket weaving", "jav"])
def test_resolve_unknown(name: str) -> None:
    assert TAX.resolve(name) is None


# --- extraction --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PYTHON, pytorch and Sql", {"python", "pytorch", "sql"}),
        ("C++, C#, .NET, Node.js, CI/CD, A/B testing, scikit-learn",
         {"cpp", "csharp", "dotnet", "nodejs", "ci-cd", "ab-testing", "scikit-learn"}),
        ("Built data pipelines, tuned LLMs, shipped REST APIs.", {"data-pipelines", "llm", "rest-api"}),
        ("GPTs, ETLs and data lakehouses", {"llm", "etl", "data-lake"}),
        ("an AI agent behind a web service", {"ai-agents", "web-services"}),
        ("•Python\n▪ SQL\n➢Docker\n◦ Kafka\n- Spark\n* Airflow\n· Tableau",
         {"python", "sql", "docker", "kafka", "spark", "airflow", "tableau"}),
        ("applied machine\nlearning to sales", {"machine-learning", "sales"}),
        ("used scikit-\nlearn, Kuber-\n  netes, Tensor-\nFlow", {"scikit-learn", "kubernetes", "tensorflow"}),
        ("Kuber\u00adnetes clusters", {"kubernetes"}),
        ("Kuber\u00ad\nnetes, Dock-\r\ner", {"kubernetes", "docker"}),
        ("Python, R, SQL", {"python", "r-lang", "sql"}),
        ("Programming in Go and Rust.", {"go-lang", "rust"}),
        ("C/C++ firmware", {"c-lang", "cpp", "embedded-systems"}),
        ("Java and JavaScript", {"java", "javascript"}),
        ("ASP.NET MVC", {"aspnet"}),
        ("Expérience : Python, Pandas et NumPy — 数据 Docker", {"python", "pandas", "numpy", "docker"}),
        ("Weights & Biases, W&B", {"wandb"}),
        ("GO, EXCEL, SQL", {"go-lang", "excel", "sql"}),
        ("AI-driven apps on an AI Platform and AI in retail", {"artificial-intelligence"}),
        ("Own the weekly KPI dashboards in Power BI", {"reporting", "data-visualization", "power-bi"}),
        ("Fitted survival models in R (brms), reports in R Markdown",
         {"survival-analysis", "r-lang", "brms", "r-markdown"}),
        ("regression, SVM, Naive Bayes, KNN", {"support-vector-machines", "naive-bayes", "knn"}),
        ("YOLO on NVIDIA Jetson devices; alerts in Nagios", {"object-detection", "nvidia-jetson", "nagios"}),
        ("a headline-sentiment classifier", {"sentiment-analysis"}),
    ],
)  # fmt: skip
def test_extract_finds(text: str, expected: set[str]) -> None:
    assert set(ids(text)) == expected


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("led R&D for the team", "r-lang"),
        ("JavaScript developer", "java"),
        ("a go to market plan", "go-lang"),
        ("Go to market and go-live", "go-lang"),
        ("presented to C-level executives", "c-lang"),
        ("excellent communication", "excel"),
        ("Excel in fast-paced teams", "excel"),
        ("Julia Roberts, Data Scientist", "julia"),
        ("JULIA ROBERTS", "julia"),
        ("Ai Tanaka, analyst", "artificial-intelligence"),
        ("Bert Jansen", "bert"),
        ("Spring 2019 internship", "spring"),
        ("Plan C and vitamin C", "c-lang"),
        ("John R. Smith", "r-lang"),
        ("see example.net for details", "dotnet"),
        ("ASP.NET Core services", "dotnet"),
        ("github.com/jane and jane@python.org", "github"),
        ("github.com/jane and jane@python.org", "python"),
        ("the rest of the team", "rest-api"),
        ("machine\n\nlearning", "machine-learning"),
        ("machine • learning", "machine-learning"),
        ("ran the regression tests and the regression suite", "regression-analysis"),  # QA, not statistics
        ("approximate nearest neighbours search in a vector store", "knn"),
    ],
)
def test_extract_rejects(text: str, absent: str) -> None:
    assert absent not in ids(text)


def test_acronyms_are_held_only_to_their_case() -> None:
    text = "AI-driven apps, an AI Platform, AI in retail; Ai Sato"
    spans = mention(text, "artificial-intelligence").spans
    assert [text[s.start : s.end + 3] for s in spans] == ["AI-dr", "AI Pl", "AI in"]


def test_longest_alias_wins() -> None:
    assert ids("Hugging Face Transformers") == ["hf-transformers"]
    assert ids("PL/SQL and SQL") == ["pl-sql", "sql"]
    assert ids("React Native and React") == ["react-native", "react"]


def _squash(text: str) -> str:
    return " ".join(re.sub(r"-[ \t]*\n\s*", "-", text).split())


RESUME = """Jane Doe — ML Engineer
SUMMARY
Machine learning engineer focused on MLOps and low-latency inference.

EXPERIENCE
• Trained ranking models in PyTorch; served them with TorchServe on Kubernetes (k8s).
• Built a feature store with Feast and Redis; added data drift alerts and model monitoring.
• Rolled out CI/CD for ML with GitHub Actions; tracked runs in MLflow; used scikit-
  learn for baselines and .NET for a legacy API.

PROJECTS
➢ RAG chatbot with LangChain and a vector database (Qdrant); evaluated LLMs.

SKILLS
Python, SQL, Docker, Airflow, AWS SageMaker, Tableau
"""


def test_spans_point_at_the_skill() -> None:
    mentions = TAX.extract(RESUME)
    assert mentions, "expected skills"
    for m in mentions:
        assert len(m.spans) == len(m.sections) >= 1
        for span in m.spans:
            surface = RESUME[span.start : span.end]
            assert TAX.resolve(surface) == m.skill_id, surface
            assert len(span.text) <= 160
            assert "\n" not in span.text and "  " not in span.text
            assert _squash(surface) in span.text
        assert m.name == TAX.get(m.skill_id).name
        assert m.category == TAX.get(m.skill_id).category


def test_order_is_by_first_occurrence() -> None:
    firsts = [m.spans[0].start for m in TAX.extract(RESUME)]
    assert firsts == sorted(firsts)
    assert ids(RESUME)[:3] == ["machine-learning", "mlops", "low-latency-serving"]


def test_one_span_per_occurrence() -> None:
    text = "Python here. python there. PYTHON everywhere."
    spans = mention(text, "python").spans
    assert [text[s.start : s.end] for s in spans] == ["Python", "python", "PYTHON"]


def test_sections_are_attributed() -> None:
    by_id = {m.skill_id: m for m in TAX.extract(RESUME)}
    assert by_id["pytorch"].sections == [Section.EXPERIENCE]
    assert by_id["rag"].sections == [Section.PROJECTS]
    assert by_id["sql"].sections == [Section.SKILLS]
    assert by_id["mlops"].sections == [Section.SUMMARY]
    assert by_id["machine-learning"].sections == [Section.OTHER, Section.SUMMARY]
    assert by_id["pytorch"].in_context and not by_id["sql"].in_context


def test_given_sections_are_used() -> None:
    text = "Python and SQL"
    ranges = [SectionRange(Section.REQUIREMENTS, 0, 10), SectionRange(Section.PREFERRED, 10, len(text))]
    by_id = {m.skill_id: m for m in TAX.extract(text, sections=ranges)}
    assert by_id["python"].sections == [Section.REQUIREMENTS]
    assert by_id["sql"].sections == [Section.PREFERRED]


def test_evidence_of_a_long_line_is_trimmed_around_the_match() -> None:
    filler = "lorem ipsum dolor sit amet " * 30
    text = filler + "we deployed Kubernetes operators " + filler
    span = mention(text, "kubernetes").spans[0]
    assert "Kubernetes" in span.text
    assert len(span.text) <= 160


def test_evidence_prefers_the_sentence() -> None:
    text = "x" * 100 + ". We trained models in PyTorch on GPUs. " + "y" * 100
    assert mention(text, "pytorch").spans[0].text == "We trained models in PyTorch on GPUs."


# --- properties --------------------------------------------------------------------------------

_FRAGMENTS = sorted({a for s in TAX.skills.values() for a in (s.name, *s.aliases)})[::7]
_GLUE = ["\n", " ", "-", "-\n", "/", ".", "&", "• ", ", ", "\u00ad", "é", "R", "Go", "C"]
_TEXTS = st.text(max_size=300) | st.lists(st.sampled_from(_FRAGMENTS + _GLUE), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_extract_properties(text: str) -> None:
    first = TAX.extract(text)
    assert first == TAX.extract(text)
    seen: list[tuple[int, int]] = []
    for m in first:
        assert len(m.spans) == len(m.sections)
        for span in m.spans:
            assert 0 <= span.start < span.end <= len(text)
            assert TAX.resolve(text[span.start : span.end]) == m.skill_id
            assert len(span.text) <= 160
            seen.append((span.start, span.end))
    seen.sort()
    for (_, end), (start, _) in pairwise(seen):
        assert end <= start  # occurrences never overlap
    firsts = [m.spans[0].start for m in first]
    assert firsts == sorted(firsts)
