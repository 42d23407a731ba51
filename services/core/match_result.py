"""What scoring hands back: one scored match, its gate outcomes, and a ranked entry; and the
lean ``Rating`` of a candidate that only ranking and the decision record read.

Frozen so a result cannot drift from the explanation generated for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from services.core.model import Requirement


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class GateResult(_Frozen):
    gate: str
    passed: bool
    enforced: bool
    detail: str


class MatchResult(_Frozen):
    candidate_id: str
    job_id: str
    candidate_version: int = 0
    job_version: int = 0
    candidate_archetype: str | None = None
    score: float = Field(ge=0, le=1)
    components: dict[str, float]  # each in [0, 1], before weighting
    contributions: dict[str, float]  # weight x component; they sum to `score`
    weights: dict[str, float] = Field(default_factory=dict)  # effective; 0 = did not count
    matched_must_have: list[Requirement] = Field(default_factory=list)  # candidate's evidence
    matched_nice_to_have: list[Requirement] = Field(default_factory=list)
    missing_must_have: list[str] = Field(default_factory=list)
    gates: list[GateResult] = Field(default_factory=list)
    excluded: bool = False
    reason: str = ""


class RankedMatch(_Frozen):
    rank: int
    result: MatchResult


@dataclass(frozen=True, slots=True)
class GateCheck:
    gate: str
    passed: bool
    enforced: bool


@dataclass(frozen=True, slots=True)
class Rating:
    """A candidate's score for one job without the evidence, gate details and reason a shortlist
    shows: what a pool's ranking and decision record read of each of its ~220 candidates. Plain
    dataclasses, because validating ~10 models per candidate was ~30% of scoring a pool.
    ``JobScorer.score`` gives the same numbers for the same candidate."""

    candidate_id: str
    job_id: str
    candidate_version: int
    score: float
    components: dict[str, float]
    weights: dict[str, float]  # effective; 0 = did not count
    gates: tuple[GateCheck, ...]
    excluded: bool
