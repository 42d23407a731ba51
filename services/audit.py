"""``rolefit audit``: fairness figures over the decision log, and where they are written.

The current outcome of a job is its latest decision: everyone it considered, shortlisted or
not. A candidate who arrived after that decision and could not enter the top-k is in no record
yet (the matcher publishes nothing then); a ``match.requested`` per open job before an audit
brings every pool up to date. Demographics come from their own store, joined by candidate id.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, write_to_textfile
from rich.table import Table

from schemas.events import DecisionRecordedV1
from services.core.fairness import FOUR_FIFTHS, FairnessReport, Outcome, Reported, audit
from services.platform.demographics import DemographicsStore
from services.platform.observability import FairnessGauges


def latest_decisions(
    decisions: Iterable[DecisionRecordedV1], job_id: str | None = None
) -> list[DecisionRecordedV1]:
    latest: dict[str, DecisionRecordedV1] = {}
    for d in decisions:  # log order: of two decisions at the same time, the later line wins
        wanted = job_id is None or d.job_id == job_id
        if wanted and (d.job_id not in latest or d.generated_at >= latest[d.job_id].generated_at):
            latest[d.job_id] = d
    return [latest[j] for j in sorted(latest)]


def outcomes(decisions: Iterable[DecisionRecordedV1]) -> list[Outcome]:
    return [Outcome(d.job_id, c.candidate_id, c.shortlisted) for d in decisions for c in d.considered]


def reported(store: DemographicsStore) -> dict[str, Reported]:
    return {s.candidate_id: Reported(s.sex, s.race_ethnicity) for s in store.all()}


def run(
    decisions: Iterable[DecisionRecordedV1],
    demographics: Mapping[str, Reported],
    job_id: str | None,
    min_group_size: int,
) -> tuple[FairnessReport, list[DecisionRecordedV1]]:
    used = latest_decisions(decisions, job_id)
    return audit(outcomes(used), demographics, min_group_size), used


def table(report: FairnessReport, title: str) -> Table:
    out = Table(title=title, show_lines=False)
    for name in ("dimension", "group", "people", "considered", "selected", "rate", "impact ratio", "flags"):
        right = name in ("people", "considered", "selected", "rate", "impact ratio")
        out.add_column(name, justify="right" if right else "left", no_wrap=name in ("dimension", "group"))
    for g in report.groups:
        flags = [*(["below 4/5"] if g.adverse else []), *(["small n"] if g.small_sample else [])]
        ratio = "-" if g.impact_ratio is None else f"{g.impact_ratio:.2f}"
        style = "red" if g.adverse else None
        counts = (str(g.candidates), str(g.considered), str(g.selected))
        out.add_row(g.dimension, g.group, *counts, f"{g.rate:.2f}", ratio, ", ".join(flags), style=style)
    return out


def as_json(report: FairnessReport, job_id: str | None, used: list[DecisionRecordedV1]) -> dict[str, Any]:
    return {
        "job": job_id or "all",
        "decisions": [
            {"job_id": d.job_id, "decision_id": d.decision_id, "generated_at": d.generated_at.isoformat()}
            for d in used
        ],
        "considered": report.considered,
        "shortlisted": report.selected,
        "min_group_size": report.min_group_size,
        "threshold": FOUR_FIFTHS,
        "groups": [asdict(g) for g in report.groups],
        "flagged": [asdict(g) for g in report.flagged()],
    }


def write_json(data: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_prom(report: FairnessReport, job_id: str | None, path: Path) -> CollectorRegistry:
    """The same figures as gauges, in the node-exporter textfile-collector format."""
    registry = CollectorRegistry()
    FairnessGauges(registry).set(job_id or "all", report.groups)
    write_to_textfile(str(path), registry)
    return registry
