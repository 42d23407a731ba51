"""How much each score component counts: defaults, a job's overrides, and the effective weights.

Only ratios matter. Components a job does not ask about drop out and their weight is shared
among the rest, so a score means the same thing across jobs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from services.core.model import JobProfile

IMPACT_LIGHT = 0.4  # share of the impact weight kept when the job does not ask for impact


@dataclass(frozen=True)
class Weights:
    """Relative importance of each component; only ratios matter (see `normalised`)."""

    semantic: float = 0.20  # catches fit the taxonomy misses, but MiniLM is blunt on roles
    must_have: float = 0.30  # the most decisive and most explainable signal
    nice_to_have: float = 0.07
    archetype: float = 0.15  # DS / ML / AI engineer confusion is the main failure mode
    level: float = 0.10
    location: float = 0.05  # hard constraints belong in gates, not here
    mlops: float = 0.08  # only counted where the role asks for production work
    impact: float = 0.05  # scaled down further when the job does not ask for it

    def __post_init__(self) -> None:
        values = self.as_dict()
        bad = [k for k, v in values.items() if not (math.isfinite(v) and v >= 0)]
        if bad:
            raise ValueError(f"weights must be finite and >= 0: {', '.join(bad)}")
        if sum(values.values()) <= 0:
            raise ValueError("at least one weight must be positive")

    def as_dict(self) -> dict[str, float]:
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}

    def normalised(self) -> Weights:
        total = sum(self.as_dict().values())
        return Weights(**{k: v / total for k, v in self.as_dict().items()})

    @classmethod
    def for_job(cls, job: JobProfile, base: Weights | None = None) -> Weights:
        """`base` (defaults if None) with the job's overrides applied, normalised to sum 1."""
        unknown = sorted(set(job.weights) - set(COMPONENTS))
        if unknown:
            raise ValueError(f"unknown weight key(s) {unknown}; valid keys: {', '.join(COMPONENTS)}")
        return replace(base or cls(), **job.weights).normalised()

    def effective(self, counted: Mapping[str, bool], wants_impact: bool) -> dict[str, float]:
        """Weights summing to 1 over the components that count for this job; the others get 0."""
        base = self.as_dict()
        raw = {
            k: base[k] * (IMPACT_LIGHT if k == "impact" and not wants_impact else 1.0) * on
            for k, on in counted.items()
        }
        if sum(raw.values()) <= 0:  # all weight sits on components this job lacks: weigh the rest equally
            raw = {k: float(on) for k, on in counted.items()}
        total = sum(raw.values())
        return {k: v / total for k, v in raw.items()}


COMPONENTS: tuple[str, ...] = tuple(f.name for f in fields(Weights))
