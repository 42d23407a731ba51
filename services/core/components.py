"""Score components: how well a candidate fits one aspect of a job, each a value in [0, 1].

`scoring` weighs these into one score. Where the candidate-side evidence is unknown a component
takes NEUTRAL rather than 0: parsers miss things, and a miss should not read as a shortfall.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from collections.abc import Set as AbstractSet
from typing import NamedTuple

from services.core.model import (
    Archetype,
    ArchetypeGuess,
    CandidateProfile,
    JobProfile,
    Requirement,
    Section,
    Seniority,
    SkillMention,
)

NEUTRAL = 0.5  # value of a component whose candidate-side evidence is unknown
LISTED_ONLY = 0.3  # a skill only under a skills heading, never used in experience/projects (rubric §2)
UNPLACED = 0.6  # a skill in text without headings, where a list cannot be told from use
BAND_TOP = Seniority.JUNIOR  # the most senior level an early-career role takes without a cap
# skill id -> (credit, evidence) of the candidate's best mention for that skill: real use first,
# then the skill itself over one that merely implies it, then the earliest mention. It depends on
# the candidate alone, so it is built once and a requirement costs one dict lookup.
SkillIndex = Mapping[str, tuple[float, str]]
_USED = frozenset({Section.EXPERIENCE, Section.PROJECTS, Section.SUMMARY, Section.EDUCATION})


class MentionFacts(NamedTuple):  # a tuple: an index builds ~20 per profile read
    """What scoring reads of one skill mention: which skill, where it was seen, what shows it."""

    skill_id: str
    sections: Collection[str]  # Section values
    evidence: str  # the first span's text, else the skill's name
    implied: AbstractSet[str]  # the skill and every skill it implies


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


# The tables are built once: scoring calls archetype_fit for every candidate, and enum attribute
# access and frozenset building per pair were most of its cost.
_MEMBERS = [(a, a.value) for a in Archetype]
_AFFINITY = {(a, b): 1.0 if a == b else _ADJACENT.get(frozenset({a, b}), 0.0) for a in _A for b in _A}
_AFFINE = {a: [(b, v) for b in _A if (v := _AFFINITY[a, b]) > 0] for a in _A}  # 23 of the 49 pairs


def _relative(guess: ArchetypeGuess) -> dict[Archetype, float]:
    """Each archetype's score relative to the best one; the guess itself counts as best."""
    scores = {a: s for a, v in _MEMBERS if math.isfinite(s := guess.scores.get(v, 0.0)) and s > 0}
    top = max(scores.values(), default=0.0)
    return {**{a: s / top for a, s in scores.items()}, guess.archetype: 1.0}


class RoleFit:
    """``archetype_fit`` against one job, whose readings are worked out once: a shortlist asks
    for some 200 candidates."""

    def __init__(self, job: ArchetypeGuess) -> None:
        readings = _relative(job)
        # For each candidate archetype, the job's (reading, affinity) pairs it has affinity with.
        self._pairs = {
            a: [(rj, affinity) for b, affinity in affine if (rj := readings.get(b)) is not None]
            for a, affine in _AFFINE.items()
        }

    def __call__(self, cand: ArchetypeGuess) -> float:
        # Secondary readings count as soft evidence: a DS who also scores as ML engineer fits ML
        # roles. The best of rc * rj * affinity over all pairs; those with no affinity add 0, the floor.
        raw, pairs = 0.0, self._pairs
        for a, rc in _relative(cand).items():
            for rj, affinity in pairs[a]:
                if (value := rc * rj * affinity) > raw:
                    raw = value
        trust = 0.5 + 0.5 * cand.confidence  # an unsure classifier pulls the value towards neutral
        return NEUTRAL + trust * (raw - NEUTRAL)


def archetype_fit(job: ArchetypeGuess, cand: ArchetypeGuess) -> float:
    return RoleFit(job)(cand)


def _years_fit(asked: float, have: float | None) -> float:
    if have is None:
        return NEUTRAL
    if have < asked:  # convex: a year short costs little, half the ask costs a lot
        return clamp(1.0 - ((asked - have) / max(asked, 1.0)) ** 1.5)
    excess = have - max(2 * asked, asked + 5)  # mild: very senior people may not stay
    return max(0.75, 1.0 - 0.025 * excess) if excess > 0 else 1.0


def _seniority_fit(job: Seniority, cand: Seniority | None) -> float:
    """Under-levelled falls steeply; over-levelled costs little, except on an early-career role."""
    if cand is None:
        return NEUTRAL
    if cand.rank < job.rank:
        return (0.0, 0.25, 0.6)[max(cand.rank - job.rank, -3) + 3]
    if job.rank <= BAND_TOP.rank:
        # Rubric §3: a minimum is no ceiling, but a stated graduate or junior role is one (job_level
        # never infers those levels from a bare "2+ years"). Its band reaches junior ("0-2 years").
        return (1.0, 0.7, 0.3)[min(max(cand.rank - BAND_TOP.rank, 0), 2)]
    return 1.0 if cand.rank - job.rank <= 1 else 0.85


def level_fit(job: JobProfile, cand: CandidateProfile, fit: float | None = None) -> float | None:
    """Mean of the years fit and the seniority fit, over those the job states; None if neither.

    Years and titles earned in another field say little about this role (a mechanical engineer's
    ten years for a lead data scientist), so the value leaves NEUTRAL only as far as the
    candidate fits the role's archetype (``fit``: its ``archetype_fit``, if the caller has it)."""
    parts = [_years_fit(job.min_years, cand.years_experience)] if job.min_years else []
    if job.seniority is not None:
        parts.append(_seniority_fit(job.seniority, cand.seniority))
    if not parts:
        return None
    if fit is None:
        fit = archetype_fit(job.archetype, cand.archetype)
    return NEUTRAL + fit * (sum(parts) / len(parts) - NEUTRAL)


def skill_credit(sections: Collection[str]) -> float:
    """How much a mention seen in ``sections`` shows a skill: used (a thesis counts) > unplaced >
    merely listed."""
    if not _USED.isdisjoint(sections):  # Section values hash as their strings
        return 1.0
    # Only a skill under a skills heading and nowhere else is known to be merely listed; text
    # without headings (common in scraped résumés) cannot tell a list from use.
    return UNPLACED if Section.OTHER in sections else LISTED_ONLY


def mention_facts(m: SkillMention, implied: AbstractSet[str]) -> MentionFacts:
    return MentionFacts(m.skill_id, m.sections, m.evidence or m.name, implied)


def index_skills(mentions: Iterable[MentionFacts]) -> SkillIndex:
    """The index of a candidate's mentions, given in mention order."""
    by_credit: dict[float, list[MentionFacts]] = {}
    for m in mentions:
        by_credit.setdefault(skill_credit(m.sections), []).append(m)
    index: dict[str, tuple[float, str]] = {}
    for credit in sorted(by_credit, reverse=True):  # a higher credit is never displaced
        group = by_credit[credit]  # in mention order, so the earliest of equals comes first
        for m in group:  # at equal credit the skill itself beats a mention that implies it
            index.setdefault(m.skill_id, (credit, m.evidence))
        for m in group:
            value = (credit, m.evidence)
            for skill_id in m.implied:
                if skill_id not in index:
                    index[skill_id] = value
    return index


def coverage(reqs: list[Requirement], index: SkillIndex) -> tuple[float, list[str]]:
    """Share of `reqs` met, and the names of those missing; a skill meets a requirement when it
    is, or implies, that skill."""
    credit, missing = 0.0, []
    for req in reqs:
        hit = index.get(req.skill_id)
        if hit is None:
            missing.append(req.name)
        else:
            credit += hit[0]
    return (credit / len(reqs) if reqs else 1.0), missing


def matched(reqs: list[Requirement], index: SkillIndex) -> list[Requirement]:
    """The `reqs` met, each with the candidate's evidence line for it."""
    return [
        Requirement(skill_id=req.skill_id, name=req.name, evidence=hit[1])
        for req in reqs
        if (hit := index.get(req.skill_id)) is not None
    ]


def saturating(evidence: Iterable[str]) -> float:
    """1 item -> 0.5, 2 -> 0.75, ...: the first piece of evidence matters most."""
    return 1.0 - 0.5 ** len({e.strip().casefold() for e in evidence if e.strip()})
