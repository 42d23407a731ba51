"""Archetype classifier on real postings: the title is the weak label, the description the input.

    python -m benchmarks.archetypes [--data PATH] [--out PATH]

Every 5th (company, title) group is held out as the test split; cues are tuned on the rest only.
Titles naming two archetypes ("Data Scientist/ML Engineer") or none ("Research Scientist") are skipped.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from services.core.archetypes import classify_archetype
from services.core.model import Archetype
from services.core.taxonomy import Taxonomy

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "jobs_glassdoor_data_roles.jsonl"
OUT = Path(__file__).resolve().parent / "results" / "archetypes.json"
_TITLE_RULES = [
    (Archetype.AI_ENGINEER, r"\bai engineer|\bml\s?ops\b|machine learning (?:platform|infrastructure)"),
    (Archetype.ML_ENGINEER, r"machine learning engineer|\bml engineer|deep learning engineer"),
    (Archetype.DATA_SCIENTIST, r"data scientist"),
    (Archetype.DATA_ENGINEER, r"data engineer"),
    (Archetype.DATA_ANALYST, r"analyst"),
]


def weak_label(title: str) -> Archetype | None:
    hits = {a for a, pattern in _TITLE_RULES if re.search(pattern, title, re.I)}
    return hits.pop() if len(hits) == 1 else None


def split(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Reposts of one (company, title) share a split so the test set never sees a copy of a train row."""
    group_of: dict[tuple[str, str], int] = {}
    train: list[dict[str, Any]] = []
    test: list[dict[str, Any]] = []
    for row in rows:
        key = (row.get("company", ""), row["title"].lower())
        group = group_of.setdefault(key, len(group_of))
        (test if group % 5 == 4 else train).append(row)
    return train, test


def evaluate(rows: list[dict[str, Any]], taxonomy: Taxonomy | None) -> dict[str, Any]:
    gold: list[str] = []
    pred: list[str] = []
    for row in rows:
        if (label := weak_label(row["title"])) is None:
            continue
        text = row["description"]  # never the title: that is the label
        skills = [m.skill_id for m in taxonomy.extract(text)] if taxonomy else []
        gold.append(label.value)
        pred.append(classify_archetype(text, skills).archetype.value)
    labels = sorted(set(gold) | set(pred))
    confusion = {g: {p: 0 for p in labels} for g in labels}
    for g, p in zip(gold, pred, strict=True):
        confusion[g][p] += 1
    per_class: dict[str, dict[str, float]] = {}
    for lab in labels:
        tp = confusion[lab][lab]
        predicted, actual = sum(confusion[g][lab] for g in labels), sum(confusion[lab].values())
        per_class[lab] = {
            "precision": round(tp / predicted, 3) if predicted else 0.0,
            "recall": round(tp / actual, 3) if actual else 0.0,
            "support": actual,
        }
    n = max(len(gold), 1)
    recalls = [per_class[lab]["recall"] for lab in labels if per_class[lab]["support"]]
    return {
        "n": len(gold),
        "accuracy": round(sum(g == p for g, p in zip(gold, pred, strict=True)) / n, 3),
        "majority_baseline": round(Counter(gold).most_common(1)[0][1] / n, 3) if gold else 0.0,
        "balanced_accuracy": round(sum(recalls) / len(recalls), 3) if recalls else 0.0,
        "per_class": per_class,
        "confusion": confusion,
    }


def _print(name: str, result: dict[str, Any]) -> None:
    print(
        f"\n== {name}: n={result['n']} accuracy={result['accuracy']} "
        f"balanced={result['balanced_accuracy']} majority={result['majority_baseline']}"
    )
    labels = list(result["confusion"])
    print(f"{'gold/pred':>18} " + " ".join(f"{lab[:9]:>9}" for lab in labels) + "   prec  recall")
    for g in labels:
        cells = " ".join(f"{result['confusion'][g][p]:>9}" for p in labels)
        pc = result["per_class"][g]
        print(f"{g:>18} {cells}  {pc['precision']:.3f}  {pc['recall']:.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--no-skills", action="store_true", help="cue phrases only, no taxonomy skills")
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(f"skipped: {args.data} not found (the shared data folder is absent)")
        return 0
    rows = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    train, test = split(rows)
    taxonomy = None if args.no_skills else Taxonomy.load()
    results: dict[str, Any] = {
        "data": args.data.name,
        "taxonomy": taxonomy.version if taxonomy else None,
        "train": evaluate(train, taxonomy),
        "test": evaluate(test, taxonomy),
    }
    for name in ("train", "test"):
        _print(name, results[name])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
