"""Score one candidate against one job, apply the job's gates, and rank the results.

A score is a weighted mean of components in [0, 1]. Components a job does not ask about
(no must-haves listed, no MLOps need, no level stated, ...) drop out and their weight is
redistributed, so a score means the same thing across jobs. Gates never change the score:
an enforced failure excludes the match (score kept for audit); an advisory one is only
reported, its component already carries the shortfall.

The parts live next door: `components` (the values), `gates` (the checks), `weights` (how much
each component counts) and `match_result` (what comes back).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any, NamedTuple, Protocol, TypeVar

from services.core.components import (
    MentionFacts,
    RoleFit,
    SkillIndex,
    clamp,
    coverage,
    index_skills,
    level_fit,
    matched,
    mention_facts,
    saturating,
)
from services.core.explain import reason as explain_reason
from services.core.gates import (
    Check,
    degree_gate,
    level_gate,
    location_fit_and_gate,
    must_have_gate,
    work_authorization_gate,
)
from services.core.match_result import GateCheck, GateResult, MatchResult, RankedMatch, Rating
from services.core.model import Archetype, CandidateProfile, JobProfile
from services.core.weights import COMPONENTS, Weights


class SkillGraph(Protocol):
    """The slice of the taxonomy scoring needs; positional-only so any parameter name fits."""

    def closure(self, ids: set[str], /) -> AbstractSet[str]: ...


SEMANTIC_FLOOR, SEMANTIC_SPAN = 0.1, 0.6  # MiniLM cosine: ~0.1 unrelated, >=0.7 near-duplicate
DEGREE_SHORT = 0.85  # level multiplier when the degree ask is not met (and not gated)


def skill_index(candidate: CandidateProfile, skills: SkillGraph) -> SkillIndex:
    """Each of the candidate's skills with all it implies; depends on the candidate alone, so a
    caller scoring one candidate against many jobs can build it once."""
    return index_skills(mention_facts(m, _implied(m.skill_id, skills)) for m in candidate.skills)


class ImpliedSkills:
    """Each skill id with every skill it implies, kept once worked out (bounded by the taxonomy):
    reading a stored profile asks for some 20 of them."""

    def __init__(self, skills: SkillGraph) -> None:
        self._skills = skills
        self._known: dict[str, frozenset[str]] = {}

    def __call__(self, skill_id: str) -> frozenset[str]:
        implied = self._known.get(skill_id)
        if implied is None:  # a race only works it out twice
            implied = self._known[skill_id] = frozenset(_implied(skill_id, self._skills))
        return implied


def dumped_skill_index(mentions: Iterable[Mapping[str, Any]], implied: ImpliedSkills) -> SkillIndex:
    """``skill_index`` from a profile's ``skills`` as its JSON dump holds them (plain dicts), for a
    reader that scores stored profiles without building their mentions: a profile's 20-odd
    mentions and their spans were most of the cost of validating it."""
    return index_skills(
        MentionFacts(
            m["skill_id"],
            m.get("sections", ()),
            (spans[0]["text"] if (spans := m.get("spans")) else None) or m["name"],
            implied(m["skill_id"]),
        )
        for m in mentions
    )


def _implied(skill_id: str, skills: SkillGraph) -> AbstractSet[str]:
    return {skill_id, *skills.closure({skill_id})}


def score_match(
    job: JobProfile,
    candidate: CandidateProfile,
    semantic: float,
    skills: SkillGraph,
    weights: Weights | None = None,
    index: SkillIndex | None = None,
) -> MatchResult:
    """Score `candidate` for `job`; `semantic` is the cosine of their embeddings.
    `weights` are used as given; None means `Weights.for_job(job)` (the job's overrides).
    `index`: `skill_index(candidate, skills)` if the caller has it already."""
    return JobScorer(job, skills, weights).score(candidate, semantic, index)


class _Worked(NamedTuple):
    """What ``JobScorer`` works out for one candidate, before any result is built."""

    score: float
    components: dict[str, float]
    contributions: dict[str, float]
    weights: dict[str, float]
    missing: list[str]
    checks: list[tuple[str, tuple[bool, str], bool]]  # (gate, (passed, detail), enforced)
    excluded: bool


class JobScorer:
    """``score_match`` for one job. What depends on the job alone (its archetype readings, the
    effective weights of the components it counts) is worked out once, not per candidate: a
    shortlist scores some 200 candidates against one job."""

    def __init__(self, job: JobProfile, skills: SkillGraph, weights: Weights | None = None) -> None:
        self.job, self.skills = job, skills
        self.weights = weights or Weights.for_job(job)
        self._role_fit = RoleFit(job.archetype)
        self._effective: dict[tuple[bool, ...], dict[str, float]] = {}  # by which components count

    def score(
        self,
        candidate: CandidateProfile,
        semantic: float,
        index: SkillIndex | None = None,
    ) -> MatchResult:
        """``score_match`` of ``candidate`` for this scorer's job."""
        job = self.job
        index = skill_index(candidate, self.skills) if index is None else index
        worked = self._work_out(candidate, semantic, index)
        result = MatchResult(
            candidate_id=candidate.candidate_id,
            job_id=job.job_id,
            candidate_version=candidate.version,
            job_version=job.version,
            candidate_archetype=candidate.archetype.archetype.value,
            score=worked.score,
            components=worked.components,
            contributions=worked.contributions,
            weights=worked.weights,
            matched_must_have=matched(job.must_have, index),
            matched_nice_to_have=matched(job.nice_to_have, index),
            missing_must_have=worked.missing,
            gates=[
                GateResult(gate=gate, passed=passed, enforced=on, detail=detail)
                for gate, (passed, detail), on in worked.checks
            ],
            excluded=worked.excluded,
        )
        return result.model_copy(update={"reason": explain_reason(result, job, candidate)})

    def rate(self, candidate: CandidateProfile, semantic: float, index: SkillIndex) -> Rating:
        """The numbers of ``score`` alone, for a pool's ranking and decision record."""
        worked = self._work_out(candidate, semantic, index)
        return Rating(
            candidate_id=candidate.candidate_id,
            job_id=self.job.job_id,
            candidate_version=candidate.version,
            score=worked.score,
            components=worked.components,
            weights=worked.weights,
            gates=tuple(GateCheck(gate, passed, on) for gate, (passed, _), on in worked.checks),
            excluded=worked.excluded,
        )

    def _work_out(self, candidate: CandidateProfile, semantic: float, index: SkillIndex) -> _Worked:
        job = self.job
        must, missing = coverage(job.must_have, index)
        nice, _ = coverage(job.nice_to_have, index)
        loc_value, loc_gate = location_fit_and_gate(job, candidate)
        auth_gate, degree_check = work_authorization_gate(job, candidate), degree_gate(job, candidate)
        fit = self._role_fit(candidate.archetype)
        level = level_fit(job, candidate, fit)
        # Advisory gate failures lower the component they belong to (the score carries them).
        degree_factor = DEGREE_SHORT if degree_check and not degree_check[0] else 1.0
        values: dict[str, tuple[float, bool]] = {  # component -> (value, counts for this job)
            "semantic": ((semantic - SEMANTIC_FLOOR) / SEMANTIC_SPAN, True),
            "must_have": (must, bool(job.must_have)),
            "nice_to_have": (nice, bool(job.nice_to_have)),
            "archetype": (fit, job.archetype.archetype is not Archetype.OTHER),
            "level": (
                (1.0 if level is None else level) * degree_factor,
                level is not None or bool(degree_check),
            ),
            "location": (
                loc_value * (0.5 if auth_gate and not auth_gate[0] else 1.0),
                bool(job.location or job.remote_policy or auth_gate),
            ),
            "mlops": (
                saturating([*candidate.mlops_evidence, *candidate.deployment_evidence]),
                job.wants_mlops or job.archetype.archetype is Archetype.AI_ENGINEER,
            ),
            "impact": (saturating(candidate.impact_evidence), True),
        }
        eff = self._effective_weights({k: on for k, (_, on) in values.items()})
        components = {k: clamp(v) for k, (v, _) in values.items()}
        contributions = {k: eff[k] * components[k] for k in COMPONENTS}

        checked: dict[str, Check] = {  # gate name (a GatePolicy field) -> check; order is report order
            "strict_must_haves": must_have_gate(job, missing),
            "location": loc_gate,
            "work_authorization": auth_gate,
            "degree": degree_check,
            "level": level_gate(job, candidate),
        }
        checks = [(name, c, getattr(job.gates, name)) for name, c in checked.items() if c is not None]
        return _Worked(
            score=clamp(sum(contributions.values())),
            components=components,
            contributions=contributions,
            weights=eff,
            missing=missing,
            checks=checks,
            excluded=any(enforced and not c[0] for _, c, enforced in checks),
        )

    def _effective_weights(self, counted: dict[str, bool]) -> dict[str, float]:
        key = tuple(counted.values())
        if (eff := self._effective.get(key)) is None:
            eff = self._effective[key] = self.weights.effective(counted, self.job.wants_impact)
        return eff


class Rated(Protocol):
    """What ranking reads of a result: a ``MatchResult`` or a pool's ``Rating``."""

    @property
    def candidate_id(self) -> str: ...
    @property
    def job_id(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def excluded(self) -> bool: ...


R = TypeVar("R", bound=Rated)


def _kept(results: Iterable[R], top_k: int | None, key: Callable[[R], tuple[float | str, ...]]) -> list[R]:
    if top_k is not None and top_k < 0:
        raise ValueError("top_k must be >= 0 (0 or None means all)")
    return sorted((r for r in results if not r.excluded), key=key)[: top_k or None]


def best_for_job(results: Iterable[R], top_k: int | None = None) -> list[R]:
    """Candidates for one job, best first: score desc (6 decimals, so float noise cannot flip
    order), then candidate_id asc; excluded ones dropped, the first ``top_k`` kept."""
    return _kept(results, top_k, lambda r: (-round(r.score, 6), r.candidate_id, r.job_id, -r.score))


def rank(results: Iterable[MatchResult], top_k: int | None = None) -> list[RankedMatch]:
    """``best_for_job``, numbered from 1."""
    return [RankedMatch(rank=i, result=r) for i, r in enumerate(best_for_job(results, top_k), start=1)]


def rank_jobs(results: Iterable[MatchResult], top_k: int | None = None) -> list[RankedMatch]:
    """Jobs for one candidate: score desc, then job_id asc."""
    kept = _kept(results, top_k, lambda r: (-round(r.score, 6), r.job_id, r.candidate_id, -r.score))
    return [RankedMatch(rank=i, result=r) for i, r in enumerate(kept, start=1)]
