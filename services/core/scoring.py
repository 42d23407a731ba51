"""Score one candidate against one job, apply the job's gates, and rank the results.

A score is a weighted mean of components in [0, 1]. Components a job does not ask about
(no must-haves listed, no MLOps need, no level stated, ...) drop out and their weight is
redistributed, so a score means the same thing across jobs. Gates never change the score:
an enforced failure excludes the match (score kept for audit); an advisory one is only
reported, its component already carries the shortfall.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, fields, replace
from enum import Enum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from services.core.explain import reason as explain_reason
from services.core.model import (
    Archetype,
    ArchetypeGuess,
    CandidateProfile,
    Degree,
    JobProfile,
    RemotePolicy,
    Requirement,
    SkillMention,
)


class SkillGraph(Protocol):
    """The slice of the taxonomy scoring needs; positional-only so any parameter name fits."""

    def closure(self, ids: set[str], /) -> AbstractSet[str]: ...


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


COMPONENTS: tuple[str, ...] = tuple(f.name for f in fields(Weights))
SEMANTIC_FLOOR, SEMANTIC_SPAN = 0.1, 0.6  # MiniLM cosine: ~0.1 unrelated, >=0.7 near-duplicate
LISTED_ONLY = 0.6  # a skill seen only in a bare skills list, never used in experience/projects
IMPACT_LIGHT = 0.4  # share of the impact weight kept when the job does not ask for impact


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


# --- component and gate checks ---------------------------------------------------------
# Gate checks return (passed, detail) or None when the job asks nothing. Missing candidate
# data never fails a gate: parsers miss things, so it passes with a "verify" note instead.
Check = tuple[bool, str] | None
_Index = Sequence[tuple[SkillMention, AbstractSet[str]]]
NEUTRAL = 0.5  # value of a component whose candidate-side evidence is unknown
DEGREE_SHORT = 0.85  # level multiplier when the degree ask is not met (and not gated)
_A = Archetype
_ADJACENT: dict[frozenset[Archetype], float] = {  # symmetric affinity of role families
    frozenset({_A.ML_ENGINEER, _A.AI_ENGINEER}): 0.7,
    frozenset({_A.DATA_SCIENTIST, _A.ML_ENGINEER}): 0.6,
    frozenset({_A.DATA_SCIENTIST, _A.DATA_ANALYST}): 0.6,
    frozenset({_A.DATA_ENGINEER, _A.AI_ENGINEER}): 0.5,
    frozenset({_A.SOFTWARE_ENGINEER, _A.AI_ENGINEER}): 0.5,
    frozenset({_A.SOFTWARE_ENGINEER, _A.DATA_ENGINEER}): 0.4,
    frozenset({_A.DATA_ENGINEER, _A.ML_ENGINEER}): 0.3,
    frozenset({_A.SOFTWARE_ENGINEER, _A.ML_ENGINEER}): 0.3,
}  # absent pairs, notably data scientist <-> AI engineer, are 0
_APPLIED = frozenset(set(Archetype) - {_A.DATA_SCIENTIST, _A.OTHER})  # a PhD ask there is a preference
_DEGREE_YEARS = {Degree.NONE: 0, Degree.ASSOCIATE: 2, Degree.BACHELOR: 4, Degree.MASTER: 6, Degree.PHD: 9}
_PLACE_ALIASES = {"united states": "us", "usa": "us", "america": "us", "united kingdom": "uk",
                  "britain": "uk", "england": "uk", "gb": "uk"}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_AUTH_NOISE = _words("authorized authorised to work in the a citizen citizenship permanent resident "
                     "residency visa permit holder status eligible right of")
_US_STATES = _words("al ak az ar ca co ct de fl ga hi id il in ia ks ky la me md ma mi mn ms mo mt ne nv "
                    "nh nj nm ny nc nd oh ok or pa ri sc sd tn tx ut vt va wa wv wi wy dc")


def clamp(x: float) -> float:
    return min(1.0, max(0.0, x)) if math.isfinite(x) else 0.0


def _label(x: Enum) -> str:
    return x.value.replace("_", " ")


def _relative(guess: ArchetypeGuess) -> dict[Archetype, float]:
    """Each archetype's score relative to the best one; the guess itself counts as best."""
    scores = {a: s for a in Archetype if math.isfinite(s := guess.scores.get(a.value, 0.0)) and s > 0}
    top = max(scores.values(), default=0.0)
    return {**{a: s / top for a, s in scores.items()}, guess.archetype: 1.0}


def _archetype_fit(job: ArchetypeGuess, cand: ArchetypeGuess) -> float:
    def affinity(a: Archetype, b: Archetype) -> float:
        return 1.0 if a == b else _ADJACENT.get(frozenset({a, b}), 0.0)

    # Secondary readings count as soft evidence: a DS who also scores as ML engineer fits ML roles.
    raw = max(rc * rj * affinity(a, b)
              for a, rc in _relative(cand).items() for b, rj in _relative(job).items())
    trust = 0.5 + 0.5 * cand.confidence  # an unsure classifier pulls the value towards neutral
    return NEUTRAL + trust * (raw - NEUTRAL)


def _years_fit(asked: float, have: float | None) -> float:
    if have is None:
        return NEUTRAL
    if have < asked:  # convex: a year short costs little, half the ask costs a lot
        return clamp(1.0 - ((asked - have) / max(asked, 1.0)) ** 1.5)
    excess = have - max(2 * asked, asked + 5)  # mild: very senior people may not stay
    return max(0.75, 1.0 - 0.025 * excess) if excess > 0 else 1.0


def _level_fit(job: JobProfile, cand: CandidateProfile) -> float | None:
    parts = [_years_fit(job.min_years, cand.years_experience)] if job.min_years else []
    if job.seniority is not None:
        gap = None if cand.seniority is None else cand.seniority.rank - job.seniority.rank
        parts.append(NEUTRAL if gap is None else (0.0, 0.25, 0.6)[max(gap, -3) + 3] if gap < 0
                     else 1.0 if gap <= 1 else 0.85)
    return sum(parts) / len(parts) if parts else None


def _level_gate(job: JobProfile, cand: CandidateProfile) -> Check:
    years = cand.years_experience
    if job.min_years and years is not None:
        return years >= job.min_years, f"{years:g} yrs vs {job.min_years:g}+ asked"
    if job.seniority is not None and cand.seniority is not None:
        ok = cand.seniority.rank >= job.seniority.rank
        return ok, f"{_label(cand.seniority)} vs {_label(job.seniority)} asked"
    if job.min_years or job.seniority is not None:
        return True, "experience level not stated - verify"
    return None


def _degree(job: JobProfile, cand: CandidateProfile) -> Check:
    asked, note = job.degree, ""
    if asked is Degree.NONE:
        return None
    if asked is Degree.PHD and job.archetype.archetype in _APPLIED and not job.gates.degree:
        asked, note = Degree.MASTER, " (PhD asked; not demanded for an applied role)"
    have, years = cand.education, cand.years_experience
    if have.rank >= asked.rank:
        return True, f"has {_label(have)} vs {_label(asked)} asked{note}"
    if job.degree_equivalent_ok and years is not None and years >= _DEGREE_YEARS[asked] - _DEGREE_YEARS[have]:
        return True, f"{_label(have)} + {years:g} yrs accepted as equivalent to {_label(asked)}{note}"
    return False, f"has {_label(have)} vs {_label(asked)} asked{note}"


def _location(job: JobProfile, cand: CandidateProfile) -> tuple[float, Check]:
    if job.remote_policy is RemotePolicy.REMOTE:
        return 1.0, (True, "remote role")
    mode = _label(job.remote_policy or RemotePolicy.ONSITE)
    if not job.location:
        return NEUTRAL, None if job.remote_policy is None else (True, f"{mode} role, location not stated")
    city = job.location.split(",")[0].strip().casefold()
    places = [p for p in (cand.location, *cand.preferred_locations) if p and p.strip()]
    if not places:  # open_to_remote is deliberately ignored: it does not make onsite work possible
        return NEUTRAL, (True, f"candidate location unknown - verify for {mode} role in {job.location}")
    hit = next((p for p in places if city and city in p.casefold()), None)
    if hit:
        return 1.0, (True, f"{hit} fits {mode} role in {job.location}")
    return 0.0, (False, f"{places[0]} vs {mode} role in {job.location}")


def _places(text: str) -> set[str]:
    text = text.casefold().replace(".", "")
    for name, code in _PLACE_ALIASES.items():
        text = re.sub(rf"\b{name}\b", code, text)
    return set(re.findall(r"[a-z]+", text)) - _AUTH_NOISE


def _work_authorization(job: JobProfile, cand: CandidateProfile) -> Check:
    if not job.requires_work_authorization:
        return None
    if job.offers_sponsorship:
        return True, "authorization required, sponsorship offered"
    stated = [a for a in cand.work_authorization if a.strip()]
    if not stated or not job.location:
        role = job.location or "this role"
        return True, f"authorization {', '.join(stated) or 'not stated'} - verify for {role}"
    where = _places(job.location)
    if "," in job.location and job.location.rsplit(",", 1)[1].strip().casefold() in _US_STATES:
        where.add("us")  # "Austin, TX" is a US job even though it never says so
    ok = any(_places(a) & where for a in stated)
    return ok, f"{'' if ok else 'no '}authorization for {job.location} (states {', '.join(stated)})"


def _coverage(reqs: list[Requirement], index: _Index) -> tuple[float, list[Requirement], list[str]]:
    """Share of `reqs` met; a skill meets a requirement when it is, or implies, that skill."""
    credit, matched, missing = 0.0, [], []
    for req in reqs:
        hits = [m for m, implied in index if req.skill_id in implied]
        if not hits:
            missing.append(req.name)
            continue
        # Prefer evidence from real use, then the exact skill over one that merely implies it.
        best = max(hits, key=lambda m: (m.in_context, m.skill_id == req.skill_id))
        credit += 1.0 if best.in_context else LISTED_ONLY
        matched.append(req.model_copy(update={"evidence": best.evidence or best.name}))
    return (credit / len(reqs) if reqs else 1.0), matched, missing


def _saturating(evidence: Iterable[str]) -> float:
    """1 item -> 0.5, 2 -> 0.75, ...: the first piece of evidence matters most."""
    return 1.0 - 0.5 ** len({e.strip().casefold() for e in evidence if e.strip()})


# --- scoring and ranking ----------------------------------------------------------------


def score_match(
    job: JobProfile,
    candidate: CandidateProfile,
    semantic: float,
    skills: SkillGraph,
    weights: Weights | None = None,
) -> MatchResult:
    """Score `candidate` for `job`; `semantic` is the cosine of their embeddings.
    `weights` are used as given; None means `Weights.for_job(job)` (the job's overrides)."""
    index = [(m, {m.skill_id, *skills.closure({m.skill_id})}) for m in candidate.skills]
    must, matched_must, missing = _coverage(job.must_have, index)
    nice, matched_nice, _ = _coverage(job.nice_to_have, index)
    loc_value, loc_gate = _location(job, candidate)
    auth_gate, degree_gate = _work_authorization(job, candidate), _degree(job, candidate)
    level = _level_fit(job, candidate)
    # Advisory gate failures lower the component they belong to (the score carries them).
    degree_factor = DEGREE_SHORT if degree_gate and not degree_gate[0] else 1.0
    values: dict[str, tuple[float, bool]] = {  # component -> (value, counts for this job)
        "semantic": ((semantic - SEMANTIC_FLOOR) / SEMANTIC_SPAN, True),
        "must_have": (must, bool(job.must_have)),
        "nice_to_have": (nice, bool(job.nice_to_have)),
        "archetype": (_archetype_fit(job.archetype, candidate.archetype),
                      job.archetype.archetype is not Archetype.OTHER),
        "level": ((1.0 if level is None else level) * degree_factor, level is not None or bool(degree_gate)),
        "location": (loc_value * (0.5 if auth_gate and not auth_gate[0] else 1.0),
                     bool(job.location or job.remote_policy or auth_gate)),
        "mlops": (_saturating([*candidate.mlops_evidence, *candidate.deployment_evidence]),
                  job.wants_mlops or job.archetype.archetype is Archetype.AI_ENGINEER),
        "impact": (_saturating(candidate.impact_evidence), True),
    }
    base = (weights or Weights.for_job(job)).as_dict()
    raw = {k: base[k] * (IMPACT_LIGHT if k == "impact" and not job.wants_impact else 1.0) * on
           for k, (_, on) in values.items()}
    if sum(raw.values()) <= 0:  # all weight sits on components this job lacks: weigh the rest equally
        raw = {k: float(on) for k, (_, on) in values.items()}
    total = sum(raw.values())
    eff = {k: v / total for k, v in raw.items()}
    components = {k: clamp(v) for k, (v, _) in values.items()}
    contributions = {k: eff[k] * components[k] for k in COMPONENTS}

    must_gate: Check = None
    if job.must_have:
        must_gate = (not missing, f"missing {', '.join(missing)}" if missing
                     else f"all {len(job.must_have)} must-haves present")
    checked = {"strict_must_haves": must_gate, "location": loc_gate, "work_authorization": auth_gate,
               "degree": degree_gate, "level": _level_gate(job, candidate)}
    gates = [GateResult(gate=name, passed=c[0], enforced=getattr(job.gates, name), detail=c[1])
             for name, c in checked.items() if c is not None]
    result = MatchResult(
        candidate_id=candidate.candidate_id, job_id=job.job_id, candidate_version=candidate.version,
        job_version=job.version, candidate_archetype=candidate.archetype.archetype.value,
        score=clamp(sum(contributions.values())), components=components,
        contributions=contributions, weights=eff, matched_must_have=matched_must,
        matched_nice_to_have=matched_nice, missing_must_have=missing, gates=gates,
        excluded=any(g.enforced and not g.passed for g in gates),
    )
    return result.model_copy(update={"reason": explain_reason(result, job, candidate)})


def _ranked(results: Iterable[MatchResult], top_k: int | None,
            key: Callable[[MatchResult], tuple[float | str, ...]]) -> list[RankedMatch]:
    if top_k is not None and top_k < 0:
        raise ValueError("top_k must be >= 0 (0 or None means all)")
    kept = sorted((r for r in results if not r.excluded), key=key)
    return [RankedMatch(rank=i, result=r) for i, r in enumerate(kept[: top_k or None], start=1)]


def rank(results: Iterable[MatchResult], top_k: int | None = None) -> list[RankedMatch]:
    """Candidates for one job: score desc (6 decimals, so float noise cannot flip order),
    then candidate_id asc."""
    return _ranked(results, top_k, lambda r: (-round(r.score, 6), r.candidate_id, r.job_id, -r.score))


def rank_jobs(results: Iterable[MatchResult], top_k: int | None = None) -> list[RankedMatch]:
    """Jobs for one candidate: score desc, then job_id asc."""
    return _ranked(results, top_k, lambda r: (-round(r.score, 6), r.job_id, r.candidate_id, -r.score))
