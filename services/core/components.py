"""Score components: how well a candidate fits one aspect of a job, each a value in [0, 1].

`scoring` weighs these into one score. Where the candidate-side evidence is unknown a component
takes NEUTRAL rather than 0: parsers miss things, and a miss should not read as a shortfall.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet

from services.core.model import (
    Archetype,
    ArchetypeGuess,
    CandidateProfile,
    JobProfile,
    Requirement,
    SkillMention,
)

NEUTRAL = 0.5  # value of a component whose candidate-side evidence is unknown
LISTED_ONLY = 0.6  # a skill seen only in a bare skills list, never used in experience/projects
SkillIndex = Sequence[tuple[SkillMention, AbstractSet[str]]]  # each candidate skill with all it implies

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


def clamp(x: float) -> float:
    return min(1.0, max(0.0, x)) if math.isfinite(x) else 0.0


def _relative(guess: ArchetypeGuess) -> dict[Archetype, float]:
    """Each archetype's score relative to the best one; the guess itself counts as best."""
    scores = {a: s for a in Archetype if math.isfinite(s := guess.scores.get(a.value, 0.0)) and s > 0}
    top = max(scores.values(), default=0.0)
    return {**{a: s / top for a, s in scores.items()}, guess.archetype: 1.0}


def archetype_fit(job: ArchetypeGuess, cand: ArchetypeGuess) -> float:
    def affinity(a: Archetype, b: Archetype) -> float:
        return 1.0 if a == b else _ADJACENT.get(frozenset({a, b}), 0.0)

    # Secondary readings count as soft evidence: a DS who also scores as ML engineer fits ML roles.
    raw = max(
        rc * rj * affinity(a, b) for a, rc in _relative(cand).items() for b, rj in _relative(job).items()
    )
    trust = 0.5 + 0.5 * cand.confidence  # an unsure classifier pulls the value towards neutral
    return NEUTRAL + trust * (raw - NEUTRAL)


def _years_fit(asked: float, have: float | None) -> float:
    if have is None:
        return NEUTRAL
    if have < asked:  # convex: a year short costs little, half the ask costs a lot
        return clamp(1.0 - ((asked - have) / max(asked, 1.0)) ** 1.5)
    excess = have - max(2 * asked, asked + 5)  # mild: very senior people may not stay
    return max(0.75, 1.0 - 0.025 * excess) if excess > 0 else 1.0


def _seniority_fit(gap: int | None) -> float:
    """`gap` = candidate rank - job rank: under-levelled falls steeply, over-levelled only a little."""
    if gap is None:
        return NEUTRAL
    if gap < 0:
        return (0.0, 0.25, 0.6)[max(gap, -3) + 3]
    return 1.0 if gap <= 1 else 0.85


def level_fit(job: JobProfile, cand: CandidateProfile) -> float | None:
    """Mean of the years fit and the seniority fit, over those the job states; None if neither."""
    parts = [_years_fit(job.min_years, cand.years_experience)] if job.min_years else []
    if job.seniority is not None:
        gap = None if cand.seniority is None else cand.seniority.rank - job.seniority.rank
        parts.append(_seniority_fit(gap))
    return sum(parts) / len(parts) if parts else None


def coverage(reqs: list[Requirement], index: SkillIndex) -> tuple[float, list[Requirement], list[str]]:
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


def saturating(evidence: Iterable[str]) -> float:
    """1 item -> 0.5, 2 -> 0.75, ...: the first piece of evidence matters most."""
    return 1.0 - 0.5 ** len({e.strip().casefold() for e in evidence if e.strip()})
