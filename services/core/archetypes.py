"""Role archetype from the body of a job description or résumé, never from its title alone.

Titles in AI/ML hiring are unreliable ("Data Scientist" postings that are really MLOps jobs), so
each archetype is scored from what the text says the work *is*: cue phrases, damped by log so
one repeated word cannot dominate, plus the skills found in the text. A softmax over the scores
gives a confidence; close top scores are what clarity.py reports as a hybrid role.
Cue weights were tuned on 4/5 of real postings only (see benchmarks/archetypes.py).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

from services.core.ignorecase import FOLDS_TO_ASCII
from services.core.model import Archetype, ArchetypeGuess

A = Archetype
_CUES: dict[Archetype, list[tuple[str, float]]] = {
    A.DATA_SCIENTIST: [
        (r"data scien\w+", 2.0),
        (r"statistic(?:s|al)", 1.0),
        (r"hypothesis test\w*|a/b test\w*|experiment(?:s|ation|al design)", 1.2),
        (r"causal inference|econometric\w*|bayesian", 1.2),
        (r"predictive (?:model\w*|analytics)|statistical model\w*", 1.0),
        (r"insights?", 0.7),
        (r"regression|classification|clustering", 0.6),
        (r"machine learning|python|pandas|scikit-learn|numpy|modell?ing", 0.6),
        (r"exploratory (?:data )?analys[ie]s|storytelling|r|sas|stata|spss", 0.6),
        (r"stakeholders?|business (?:problems?|questions?|partners?)", 0.5),
        (r"research|hypothes[ie]s|mathemati\w+|quantitative", 0.5),
        (r"machine learning (?:models?|algorithms?|techniques?|methods?)", 0.4),
    ],
    A.ML_ENGINEER: [
        (r"(?:machine learning|ml|nlp|computer vision|deep learning) engineer\w*", 2.5),  # NLP/CV: rubric §1
        (r"pytorch|tensorflow|jax|keras", 1.4),
        (r"(?:model|network) training|train\w* (?:and|&) (?:tun|optimi[sz])\w*|hyper-?parameter\w*", 1.2),
        (r"deep learning|neural net\w*", 1.0),
        (r"feature engineering|model (?:evaluation|optimi[sz]ation|architecture)", 1.0),
        (r"gpus?|cuda|distributed training", 1.0),
        (r"computer vision|nlp|natural language|reinforcement learning|fine-?tun\w+", 0.8),
        (r"production(?:-ready)? (?:ml|machine learning) (?:code|models?)", 0.8),
        (r"state[- ]of[- ]the[- ]art|research papers?|novel (?:models|algorithms)", 0.6),
        (r"algorithm(?:s| development)|implement\w* (?:models|algorithms|techniques)", 0.5),
    ],
    A.AI_ENGINEER: [
        (r"ai engineer\w*|mlops engineer\w*|ml platform|machine learning platform", 2.5),
        (r"ml\s?ops|model (?:serving|monitoring|deployment|registry)|drift", 1.6),
        (r"llms?|large language|generative ai|rag|langchain|prompt\w*|vector (?:db|database|store)", 1.4),
        (r"sagemaker|vertex ai|kubeflow|mlflow|azure ml", 1.2),
        (r"ci/?cd|kubernetes|k8s|docker|containers?", 0.9),
        (r"inference|serving|latency", 0.8),
        (r"deploy\w*|in production|productioni[sz]\w*", 0.7),
        (r"apis?|microservices?|endpoints?", 0.6),
        (r"scalab\w+|reliab\w+|observability", 0.4),
    ],
    A.DATA_ENGINEER: [
        (r"data engineer\w*|big data", 2.0),
        (r"etl|elt|data pipelines?|ingestion", 1.2),
        (r"data (?:warehous\w*|lakes?|lakehouse|mart)", 1.2),
        (r"spark|hadoop|hive|kafka|airflow|dbt|snowflake|redshift|bigquery|databricks", 1.0),
        (r"data infrastructure|data platform", 1.0),
        (r"ssis|informatica|talend|data factory|glue|nifi|mongodb|nosql|cassandra|hbase", 0.8),
        (r"stored procedures|data model(?:l)?ing|schemas?|data integration", 0.8),
        (r"batch|streaming|real-time data", 0.6),
        (r"databases?|data architecture|data flows?|scalable pipelines?|data sources", 0.5),
    ],
    A.DATA_ANALYST: [
        (r"data analyst\w*|business intelligence|(?<!power )bi|business analyst", 2.0),  # "Power BI": a tool
        (r"dashboards?|reporting(?! to)|reports?(?! to)", 1.0),  # not "reports to the director"
        (r"tableau|power ?bi|looker|qlik|excel|spreadsheets?", 1.0),
        (r"ad[- ]hoc", 0.8),
        (r"kpis?|metrics|trends?", 0.6),
        (r"visuali[sz]\w+", 0.6),
        (r"sql queries|data quality|accuracy", 0.5),
    ],
    A.SOFTWARE_ENGINEER: [
        (r"software (?:engineer\w*|develop\w*)|full[- ]stack|back[- ]?end|front[- ]?end", 1.2),
        (r"java|c#|\.net|javascript|typescript|react|angular|node\.?js", 0.9),
        (r"web (?:applications?|services?)|object[- ]oriented|unit tests?|code reviews?", 0.8),
    ],
}


def _compiled(flags: int, lead: str) -> dict[Archetype, list[re.Pattern[str]]]:
    return {
        a: [re.compile(lead + "(?:" + p + r")(?![\w&])", flags) for p, _ in cues] for a, cues in _CUES.items()
    }


# Whole words only: "excel" must not fire on "excellent", nor "r" inside "r&d" words.
_PATTERNS = _compiled(re.I, r"(?<![\w.])")
# Cues are written in lower case, so in lower-cased text case-sensitive patterns find what
# _PATTERNS find in the original: lower() keeps every other character's length and class (word,
# space, digit). A text holding a letter re.I folds to ASCII (see ignorecase.py) takes _PATTERNS.
# Without re.I and without the lookbehind in front, re skips ahead by a pattern's first letters:
# about 3x faster.
_BODIES = _compiled(0, "")
_WORD_OR_DOT = re.compile(r"[\w.]")


def _at_word_starts(body: re.Pattern[str], text: str) -> list[str]:
    """What findall of ``(?<![\\w.])`` + body returns, by scanning for the body alone: a match after
    a word character or a dot is dropped and the scan goes on one character later, as it would."""
    found: list[str] = []
    pos = 0
    while (m := body.search(text, pos)) is not None:
        start = m.start()
        if start and _WORD_OR_DOT.match(text, start - 1):
            pos = start + 1
        else:
            found.append(m.group())
            pos = max(m.end(), start + 1)
    return found


_SKILL_IDS = {  # taxonomy ids (v1) that point at one archetype
    A.ML_ENGINEER: "pytorch tensorflow keras jax deep-learning computer-vision nlp hyperparameter-tuning "
    "transfer-learning transformer-models reinforcement-learning",
    A.AI_ENGINEER: "kubernetes docker mlops ci-cd-ml mlflow kubeflow sagemaker vertex-ai fastapi llm rag "
    "llmops llm-serving model-serving model-monitoring vector-databases",
    A.DATA_ENGINEER: "spark airflow kafka hadoop snowflake dbt etl hive redshift bigquery data-pipelines "
    "aws-glue azure-data-factory",
    A.DATA_ANALYST: "tableau power-bi excel looker qlik looker-studio",
    A.DATA_SCIENTIST: "r-lang statistics ab-testing sas spss stata",
    A.SOFTWARE_ENGINEER: "java javascript typescript react angular nodejs dotnet",
}
_SKILLS = {skill: a for a, ids in _SKILL_IDS.items() for skill in ids.split()}
# Cue words every office job uses. A job description reaching rolefit is a data role, where they tell
# data roles apart; a résumé may be anyone's (HR, sales, SAP), so there they only back what specific
# cues say: they count up to the specific score.
_GENERIC = {
    A.DATA_SCIENTIST: r"insights?|stakeholders?|business \w+|research|hypothes[ie]s|mathemati\w+|"
    r"quantitative",
    A.ML_ENGINEER: r"algorithms?|algorithm development|implement\w* \w+",
    A.AI_ENGINEER: r"apis?|microservices?|endpoints?|scalab\w+|reliab\w+|observability|deploy\w*|"
    r"in production|productioni[sz]\w*",
    A.DATA_ANALYST: r"reporting|reports?|ad[- ]hoc|kpis?|metrics|trends?|data quality|accuracy|excel|"
    r"spreadsheets?",
}
_GENERIC_PATTERNS = {a: re.compile(p, re.I) for a, p in _GENERIC.items()}
_OTHER_SCORE = 1.0  # what a text must beat to be called any archetype
_TEMPERATURE = 1.0


def _cue_score(archetype: Archetype, found: list[list[str]], resume: bool) -> float:
    generic = _GENERIC_PATTERNS.get(archetype) if resume else None
    total = specific = 0.0
    for (_, weight), matches in zip(_CUES[archetype], found, strict=True):
        total += weight * math.log1p(len(matches))
        specific += weight * math.log1p(sum(1 for f in matches if not (generic and generic.fullmatch(f))))
    return min(total, 2 * specific)  # generic words at most match what the specific ones say


def cue_scores(text: str, skill_ids: Iterable[str] = (), *, resume: bool = False) -> dict[Archetype, float]:
    """Score per archetype; a `resume` gets generic office words discounted (see `_GENERIC`)."""
    if FOLDS_TO_ASCII.search(text):
        found = {a: [p.findall(text) for p in patterns] for a, patterns in _PATTERNS.items()}
    else:
        lowered = text.lower()
        found = {a: [_at_word_starts(p, lowered) for p in bodies] for a, bodies in _BODIES.items()}
    scores = {a: 0.0 for a in Archetype}
    for archetype, matches in found.items():
        scores[archetype] = _cue_score(archetype, matches, resume)
    # Skills speak loudest when the prose says little (a bare skills list); in a full description
    # they mostly repeat the cues already counted, and counting them again hurt accuracy.
    weight = 1 / (1 + sum(scores.values()))
    hits = Counter(_SKILLS[s] for s in set(skill_ids) if s in _SKILLS)
    for archetype, n in hits.items():
        scores[archetype] += weight * math.log1p(n)
    scores[A.OTHER] = _OTHER_SCORE
    return scores


def classify_archetype(text: str, skill_ids: Iterable[str] = (), *, resume: bool = False) -> ArchetypeGuess:
    scores = cue_scores(text, skill_ids, resume=resume)
    top = max(scores.values())
    exp = {a: math.exp((s - top) / _TEMPERATURE) for a, s in scores.items()}
    total = sum(exp.values())
    probs = {a: e / total for a, e in exp.items()}
    best = max(probs, key=lambda a: (probs[a], -list(Archetype).index(a)))  # ties: earlier archetype
    return ArchetypeGuess(
        archetype=best,
        confidence=round(probs[best], 4),
        scores={a.value: round(p, 4) for a, p in probs.items()},
    )
