"""Ranking quality: rolefit against BM25 and embedding-only retrieval, with score ablations.

    python -m benchmarks.quality [--data DIR] [--sets samples,real] [--per-family 4] [--seed 2020]
                                 [--no-ablations] [--out PATH]

Labelled sets
-------------
``samples``  the bundled fictional jobs and résumés (11 jobs x 36 candidates). Grades 0-3 for every
             pair come from ``benchmarks/labels/sample_pairs.jsonl``, written against
             ``benchmarks/labels/rubric.md`` before any ranking code existed. Relevant = grade >= 2.
``real``     ``../shared/data`` (skipped with a message when absent): ``--per-family`` Glassdoor
             postings for each of four job families, chosen by title (sorted by id, deduplicated,
             then a seeded sample), ranked against all 166 real résumés. The title is used only to
             pick the family; every system reads the description under the neutral title "Job", so
             the label cannot leak into any system's input. A pair's grade (0-2) comes from the
             résumé's ``category`` through ``GRADES`` below. Relevant = grade >= 2 (the role's own
             family); grade 1 still earns nDCG gain.

Systems
-------
``rolefit``    the whole pipeline through ``services.offline.rank_files`` (top-k 0 = full ranking;
               real MiniLM; blind mode as configured). Candidates an enforced gate excludes (none
               with the shipped data) are appended below the list in id order.
``bm25``       ``rank_bm25.BM25Okapi`` over lower-cased word tokens of the résumé; query = job title +
               description, i.e. the same text rolefit embeds for the job.
``embedding``  cosine of MiniLM document vectors (same windows, same normalised mean as rolefit),
               over the un-redacted résumé text.
``rolefit -X`` rolefit with component X's weight set to 0 through the job's ``weights`` override;
               ``Weights.for_job`` replaces that one default and renormalises the rest.
``rolefit semantic only``  every weight but ``semantic`` set to 0: rolefit's embedding score alone,
               on the redacted text; against ``embedding`` it shows what blind mode costs.

Metrics (macro-averaged over the jobs of a set; see ``benchmarks/metrics.py``)
-------------------------------------------------------------------------------
``nDCG@10``  graded gain 2^g - 1; 1.0 = the ten best-graded candidates in the best order.
``MAP``      mean average precision over the full ranking with the set's relevance threshold.
``P@5``      share of relevant candidates among the first five.

Reading the numbers: a set has 11 or 16 jobs, so one job moves a macro mean by a tenth or a
sixteenth of its own change; differences under ~0.01 are noise, and the per-job win counts against
each baseline say whether a lead is broad. Real-set grades see only the résumé's category: they
ignore level, location and quality within a category, so components measuring those (level,
location) can only cost points there, while the sample grades follow the whole rubric. The sample
résumés were written against the sample jobs, which makes BM25 unusually strong on them.

Also reported: skill-extraction precision/recall of ``Taxonomy.extract`` on the hand-labelled
passages of ``benchmarks/labels/skill_extraction_sample.jsonl`` (gold skills are names resolved
through the taxonomy; a name it cannot resolve stays in the gold set as a coverage miss; human
languages and soft skills that are not named as skills are out of scope), and the headline numbers of
``benchmarks/archetypes.py`` when that module is present. Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rank_bm25 import BM25Okapi

from benchmarks.metrics import average_precision, mean, ndcg_at_k, precision_at_k, relevant_ids
from schemas.events import CandidateSubmittedV1, JobPostedV1
from services.core.documents import normalise_text, read_document
from services.core.taxonomy import Taxonomy
from services.core.weights import COMPONENTS
from services.offline import RankRequest, rank_files
from services.platform.embedder import Embedder, SentenceTransformerEmbedder, Vectors, mean_vector
from services.platform.settings import Settings
from services.samples import load_candidates, load_jobs

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "benchmarks" / "results" / "quality.json"
PAIRS = ROOT / "benchmarks" / "labels" / "sample_pairs.jsonl"
SKILL_SAMPLE = ROOT / "benchmarks" / "labels" / "skill_extraction_sample.jsonl"
METRICS = ("ndcg@10", "map", "p@5")
NEUTRAL_TITLE = "Job"
Ranking = dict[str, list[str]]  # job id -> candidate ids, best first

# Job family <- posting title. A title must match exactly one family; managers, interns and the like
# are left out because their postings describe a different job than the family's everyday work.
FAMILY_TITLES: dict[str, str] = {
    "data_scientist": r"\bdata scientist\b",
    "ml_engineer": r"\bmachine learning engineer\b|\bml engineer\b",
    "data_engineer": r"\bdata engineer\b",
    "data_analyst": r"\bdata analyst\b",
}
_NOT_INDIVIDUAL = re.compile(r"manager|director|\bvp\b|intern|head of|chief", re.I)
_MIN_DESCRIPTION = 1500  # shorter postings are mostly boilerplate with no requirements to match

# Grade of a résumé category for a job family; absent = 0. One rule throughout:
#   2 = the category *is* the family's work (no ML-engineer category exists, so for ML engineers the
#       modelling résumés, Data Science, are the family);
#   1 = the category does one of the family's core tasks every day, without the rest of the role:
#       data scientist  - Python (Python Developer), SQL on business data (Database), turning business
#                         questions into analyses (Business Analyst) - the shared README's example;
#       ML engineer     - production Python (Python Developer), shipping and running services
#                         (DevOps Engineer);
#       data engineer   - data modelling and SQL (Database), pipeline code in Python (Python
#                         Developer), wrangling data for models (Data Science);
#       data analyst    - SQL (Database), warehouse and reporting loads (ETL Developer), business
#                         requirements and reporting (Business Analyst);
#   0 = everything else: other software (Java, .NET, SAP, testing, web, blockchain, network security)
#       shares generic tools only, and non-IT categories (HR, Sales, Advocate, Civil ...) share none.
# Data Science is 2 for analysts: those résumés show SQL, dashboards and statistics, the analyst core.
GRADES: dict[str, dict[str, int]] = {
    "data_scientist": {"Data Science": 2, "Python Developer": 1, "Database": 1, "Business Analyst": 1},
    "ml_engineer": {"Data Science": 2, "Python Developer": 1, "DevOps Engineer": 1},
    "data_engineer": {
        "Hadoop": 2,
        "ETL Developer": 2,
        "Database": 1,
        "Python Developer": 1,
        "Data Science": 1,
    },
    "data_analyst": {"Data Science": 2, "Database": 1, "ETL Developer": 1, "Business Analyst": 1},
}


@dataclass(frozen=True)
class LabelledSet:
    name: str
    jobs: list[JobPostedV1]
    candidates: list[CandidateSubmittedV1]
    grades: dict[str, dict[str, int]]  # job id -> candidate id -> grade
    relevant_min: int
    job_labels: dict[str, str]  # job id -> what a reader should call it (printed only)
    public_labels: dict[str, str]  # job id -> label safe to write to JSON (no third-party text)


# --- labelled sets ---------------------------------------------------------------------------


def sample_set(pairs: Path = PAIRS) -> LabelledSet:
    jobs, candidates = load_jobs(), load_candidates()
    grades: dict[str, dict[str, int]] = {job.job_id: {} for job in jobs}
    for line in pairs.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            grades[row["job_id"]][row["candidate_id"]] = int(row["grade"])
    missing = [(j, c.candidate_id) for j in grades for c in candidates if c.candidate_id not in grades[j]]
    if missing:  # an ungraded pair would silently count as irrelevant
        raise ValueError(f"{pairs}: {len(missing)} (job, candidate) pairs have no grade, e.g. {missing[0]}")
    titles = {j.job_id: j.title for j in jobs}
    return LabelledSet("samples", jobs, candidates, grades, 2, titles, titles)


def family_of(title: str) -> str | None:
    if _NOT_INDIVIDUAL.search(title):
        return None
    hits = [family for family, pattern in FAMILY_TITLES.items() if re.search(pattern, title, re.I)]
    return hits[0] if len(hits) == 1 else None


def pick_postings(rows: list[dict[str, Any]], per_family: int, seed: int) -> list[tuple[str, dict[str, Any]]]:
    """`per_family` postings per family: sorted by id, one per (company, title) and per description."""
    pools: dict[str, list[dict[str, Any]]] = {family: [] for family in FAMILY_TITLES}
    seen: set[str] = set()
    for row in sorted(rows, key=lambda r: str(r["job_id"])):
        family = family_of(row["title"])
        posting = f"{row.get('company', '')}|{row['title'].lower()}"
        keys = {posting, " ".join(row["description"].split())[:400]}
        if family is None or len(row["description"]) < _MIN_DESCRIPTION or keys & seen:
            continue
        seen |= keys
        pools[family].append(row)
    rng = random.Random(seed)
    picked = {family: rng.sample(pool, min(per_family, len(pool))) for family, pool in pools.items()}
    return [(family, row) for family, chosen in picked.items() for row in chosen]


def real_set(data: Path, per_family: int, seed: int) -> LabelledSet:
    postings = [json.loads(x) for x in (data / "jobs_glassdoor_data_roles.jsonl").open(encoding="utf-8")]
    resumes = [json.loads(x) for x in (data / "resumes_by_category.jsonl").open(encoding="utf-8")]
    resumes.sort(key=lambda r: r["candidate_id"])
    candidates = [
        CandidateSubmittedV1(candidate_id=r["candidate_id"], resume_text=r["resume_text"]) for r in resumes
    ]
    jobs: list[JobPostedV1] = []
    grades: dict[str, dict[str, int]] = {}
    labels: dict[str, str] = {}
    families: dict[str, str] = {}
    for family, row in pick_postings(postings, per_family, seed):
        job_id = re.sub(r"[^A-Za-z0-9._:@-]", "-", str(row["job_id"]))
        jobs.append(JobPostedV1(job_id=job_id, title=NEUTRAL_TITLE, description=row["description"]))
        grades[job_id] = {r["candidate_id"]: GRADES[family].get(r["category"], 0) for r in resumes}
        labels[job_id], families[job_id] = f"{family}: {row['title']}", family
    return LabelledSet("real", jobs, candidates, grades, 2, labels, families)


# --- texts and the shared embedding cache -------------------------------------------------


def job_text(job: JobPostedV1) -> str:
    """What rolefit embeds for a job (see ingest): title, blank line, normalised description."""
    return f"{job.title}\n\n{normalise_text(job.description)[0]}"


def candidate_text(candidate: CandidateSubmittedV1) -> str:
    """The résumé's plain text, before blind-mode redaction (baselines see what a naive system sees)."""
    if candidate.resume_file is not None:
        return read_document(candidate.resume_file.filename, candidate.resume_file.content()).text
    return normalise_text(candidate.resume_text or "")[0]


class CachedEmbedder:
    """Embeds each distinct window once per process: rolefit runs once per ablation, and MiniLM on
    two CPU cores reads ~18 windows a second. Implements the `Embedder` port."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self.name, self.dim = inner.name, inner.dim
        self._chunks: dict[str, list[str]] = {}
        self._vectors: dict[str, np.ndarray] = {}

    def chunk(self, text: str) -> list[str]:
        if text not in self._chunks:
            self._chunks[text] = self._inner.chunk(text)
        return self._chunks[text]

    def embed(self, texts: Sequence[str]) -> Vectors:
        todo = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if todo:
            self._vectors.update(zip(todo, self._inner.embed(todo), strict=True))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts]).astype(np.float32)

    def document_vector(self, text: str) -> np.ndarray:
        return np.asarray(mean_vector(self.embed(self.chunk(text))), dtype=np.float32)


# --- systems ---------------------------------------------------------------------------------


def _order(ids: Sequence[str], scores: Sequence[float]) -> list[str]:
    """Best first; ties broken by id, as rolefit does, so no system gains from input order."""
    return [i for _, i in sorted(zip((-round(float(s), 6) for s in scores), ids, strict=True))]


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:\+\+|#)?", text.lower())


def rank_bm25(ds: LabelledSet, texts: Mapping[str, str]) -> Ranking:
    ids = [c.candidate_id for c in ds.candidates]
    index = BM25Okapi([_tokens(texts[i]) for i in ids])
    return {job.job_id: _order(ids, index.get_scores(_tokens(job_text(job))).tolist()) for job in ds.jobs}


def rank_embedding(ds: LabelledSet, texts: Mapping[str, str], embedder: CachedEmbedder) -> Ranking:
    ids = [c.candidate_id for c in ds.candidates]
    matrix = np.stack([embedder.document_vector(texts[i]) for i in ids])
    return {
        job.job_id: _order(ids, (matrix @ embedder.document_vector(job_text(job))).tolist())
        for job in ds.jobs
    }


def rank_rolefit(
    ds: LabelledSet, embedder: Embedder, settings: Settings, weights: Mapping[str, float] | None = None
) -> tuple[Ranking, int]:
    """Full rankings from `rank_files`, and how many (job, candidate) pairs a gate excluded."""
    with tempfile.TemporaryDirectory(prefix="rolefit-quality-") as folder:
        jobs_path, candidates_path = Path(folder) / "jobs.jsonl", Path(folder) / "candidates.jsonl"
        jobs = [
            j.model_copy(update={"weights": {**(j.weights or {}), **weights}}) if weights else j
            for j in ds.jobs
        ]
        jobs_path.write_text("".join(j.model_dump_json() + "\n" for j in jobs), encoding="utf-8")
        candidates_path.write_text(
            "".join(c.model_dump_json() + "\n" for c in ds.candidates), encoding="utf-8"
        )
        lines = rank_files(RankRequest(jobs_path, candidates_path, top_k=0), settings, embedder)
        ranking = {line["job_id"]: [c["candidate_id"] for c in line["candidates"]] for line in lines}
    everyone = sorted(c.candidate_id for c in ds.candidates)
    excluded = 0
    for ranked in ranking.values():
        rest = [c for c in everyone if c not in set(ranked)]
        excluded += len(rest)
        ranked.extend(rest)
    return ranking, excluded


def ablations() -> dict[str, dict[str, float]]:
    configs = {f"rolefit -{name}": {name: 0.0} for name in COMPONENTS}
    configs["rolefit semantic only"] = {name: 0.0 for name in COMPONENTS if name != "semantic"}
    return configs


# --- evaluation ------------------------------------------------------------------------------


def evaluate(ds: LabelledSet, ranking: Ranking) -> dict[str, Any]:
    per_job: dict[str, dict[str, float]] = {}
    for job in ds.jobs:
        ranked, grades = ranking[job.job_id], ds.grades[job.job_id]
        relevant = relevant_ids(grades, ds.relevant_min)
        per_job[job.job_id] = {
            "ndcg@10": ndcg_at_k(ranked, grades, 10),
            "map": average_precision(ranked, relevant),
            "p@5": precision_at_k(ranked, relevant, 5),
        }
    macro = {m: round(mean(v[m] for v in per_job.values()), 4) for m in METRICS}
    return {**macro, "per_job": {j: {m: round(v, 4) for m, v in r.items()} for j, r in per_job.items()}}


def head_to_head(ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> dict[str, int]:
    """Per-job nDCG@10 wins and losses: with ~15 jobs, a macro mean can hide a split verdict."""
    diffs = [ours["per_job"][j]["ndcg@10"] - theirs["per_job"][j]["ndcg@10"] for j in ours["per_job"]]
    return {
        "rolefit_better": sum(d > 0.005 for d in diffs),
        "tie": sum(abs(d) <= 0.005 for d in diffs),
        "rolefit_worse": sum(d < -0.005 for d in diffs),
    }


def run_set(
    ds: LabelledSet, embedder: CachedEmbedder, settings: Settings, with_ablations: bool
) -> dict[str, Any]:
    texts = {c.candidate_id: candidate_text(c) for c in ds.candidates}
    systems: dict[str, Callable[[], tuple[Ranking, int]]] = {
        "rolefit": lambda: rank_rolefit(ds, embedder, settings),
        "bm25": lambda: (rank_bm25(ds, texts), 0),
        "embedding": lambda: (rank_embedding(ds, texts, embedder), 0),
    }
    for name, weights in (ablations() if with_ablations else {}).items():
        systems[name] = functools.partial(rank_rolefit, ds, embedder, settings, weights)
    results: dict[str, Any] = {}
    for name, run in systems.items():
        started = time.perf_counter()
        ranking, excluded = run()
        results[name] = {
            **evaluate(ds, ranking),
            "excluded_pairs": excluded,
            "seconds": round(time.perf_counter() - started, 1),
        }
        print(f"  {ds.name}: {name} done in {results[name]['seconds']}s", flush=True)
    for name, result in results.items():
        if name.startswith("rolefit "):
            result["delta_vs_rolefit"] = {m: round(result[m] - results["rolefit"][m], 4) for m in METRICS}
        elif name != "rolefit":
            result["jobs_vs_rolefit_ndcg@10"] = head_to_head(results["rolefit"], result)
    return {
        "jobs": len(ds.jobs),
        "candidates": len(ds.candidates),
        "relevant_min_grade": ds.relevant_min,
        "relevant_per_job": round(mean(len(relevant_ids(g, ds.relevant_min)) for g in ds.grades.values()), 2),
        "job_labels": ds.public_labels,
        "systems": results,
    }


# --- skill extraction and archetypes ----------------------------------------------------------


def skill_extraction(taxonomy: Taxonomy, path: Path = SKILL_SAMPLE) -> dict[str, Any]:
    """Micro precision and recall of `Taxonomy.extract` against hand-listed skills per passage."""
    tp = fp = fn = 0
    passages = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        gold = {taxonomy.resolve(name) or f"not in taxonomy: {name}" for name in row["skills"]}
        found = {m.skill_id for m in taxonomy.extract(row["text"])}
        tp, fp, fn = tp + len(found & gold), fp + len(found - gold), fn + len(gold - found)
        passages.append(
            {"id": row["id"], "false_positives": sorted(found - gold), "missed": sorted(gold - found)}
        )
    return {
        "passages": len(passages),
        "gold_skills": tp + fn,
        "precision": round(tp / (tp + fp), 4) if tp + fp else 0.0,
        "recall": round(tp / (tp + fn), 4) if tp + fn else 0.0,
        "errors": [p for p in passages if p["false_positives"] or p["missed"]],
    }


def archetype_headline(data: Path, taxonomy: Taxonomy) -> dict[str, Any]:
    """Headline numbers of the colleague's archetype benchmark, computed by its own code."""
    try:
        from benchmarks import archetypes
    except ImportError as exc:
        return {"skipped": f"benchmarks.archetypes unavailable ({exc})"}
    source = data / "jobs_glassdoor_data_roles.jsonl"
    if not source.exists():
        return {"skipped": f"{source} not found"}
    rows = [json.loads(x) for x in source.read_text(encoding="utf-8").splitlines() if x.strip()]
    keys = ("n", "accuracy", "balanced_accuracy", "majority_baseline")
    return {
        split: {k: result[k] for k in keys}
        for split, result in zip(
            ("train", "test"),
            (archetypes.evaluate(part, taxonomy) for part in archetypes.split(rows)),
            strict=True,
        )
    }


# --- output ----------------------------------------------------------------------------------


def print_set(name: str, result: Mapping[str, Any]) -> None:
    print(
        f"\n== {name}: {result['jobs']} jobs x {result['candidates']} candidates, relevant = grade >= "
        f"{result['relevant_min_grade']} ({result['relevant_per_job']} per job)"
    )
    print(f"{'system':<26}" + "".join(f"{m:>9}" for m in METRICS) + "   ablations: delta vs rolefit")
    for system, r in result["systems"].items():
        delta = r.get("delta_vs_rolefit")
        tail = "  ".join(f"{delta[m]:+.3f}" for m in METRICS) if delta else ""
        if "jobs_vs_rolefit_ndcg@10" in r:
            wins = "/".join(str(n) for n in r["jobs_vs_rolefit_ndcg@10"].values())
            tail = f"nDCG@10 per job: rolefit better/tied/worse {wins}"
        print(f"{system:<26}" + "".join(f"{r[m]:>9.3f}" for m in METRICS) + f"   {tail}")


def print_per_job(ds: LabelledSet, result: Mapping[str, Any]) -> None:
    """nDCG@10 per job for the three main systems: where rolefit loses, and to whom."""
    systems = result["systems"]
    print(f"{'nDCG@10 per job':<58}{'rolefit':>9}{'bm25':>9}{'embed':>9}")
    for job_id, label in ds.job_labels.items():
        values = (systems[s]["per_job"][job_id]["ndcg@10"] for s in ("rolefit", "bm25", "embedding"))
        cells = "".join(f"{v:>9.3f}" for v in values)
        print(f"{label[:57]:<58}{cells}")


def labelled_sets(args: argparse.Namespace) -> list[LabelledSet]:
    wanted = {s.strip() for s in args.sets.split(",") if s.strip()}
    sets = [sample_set()] if "samples" in wanted else []
    if "real" in wanted and not args.data.is_dir():
        print(f"real set skipped: {args.data} not found (the shared data folder is absent)")
    elif "real" in wanted:
        sets.append(real_set(args.data, args.per_family, args.seed))
    return sets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="folder of the shared real data")
    parser.add_argument("--sets", default="samples,real", help="comma-separated: samples, real")
    parser.add_argument("--per-family", type=int, default=4, help="real postings per job family")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--no-ablations", action="store_true", help="main systems only (faster)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    settings = Settings()
    embedder = CachedEmbedder(SentenceTransformerEmbedder(settings.model))
    taxonomy = Taxonomy.load()
    sets = labelled_sets(args)
    report: dict[str, Any] = {
        "model": embedder.name,
        "blind": settings.ingest.blind,
        "taxonomy": taxonomy.version,
    }
    report["sets"] = {ds.name: run_set(ds, embedder, settings, not args.no_ablations) for ds in sets}
    if "real" in report["sets"]:
        report["sets"]["real"].update(seed=args.seed, per_family=args.per_family, grades=GRADES)
    report["skill_extraction"] = skill_extraction(taxonomy)
    report["archetypes"] = archetype_headline(args.data, taxonomy)
    report["wall_seconds"] = round(time.perf_counter() - started, 1)
    for ds in sets:
        print_set(ds.name, report["sets"][ds.name])
        print_per_job(ds, report["sets"][ds.name])
    se = report["skill_extraction"]
    print(
        f"\nskill extraction: precision {se['precision']:.3f} recall {se['recall']:.3f} "
        f"({se['gold_skills']} gold skills in {se['passages']} passages)"
    )
    print(f"archetypes: {json.dumps(report['archetypes'])}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wall time {report['wall_seconds']}s; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
