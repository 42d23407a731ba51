"""Selection rates and impact ratios by self-reported sex, race/ethnicity and their intersection.

The method of a NYC Local Law 144 bias audit: a group's selection rate is shortlisted / considered;
its impact ratio is that rate over the highest rate of any group; a ratio under 0.8 fails the
four-fifths rule of thumb and is flagged for review (it is evidence to investigate, not a verdict).

Choices, stated because they change the figures:
- the unit is one (job, candidate) decision: a candidate considered for three jobs counts three times;
- unknown (not reported) and "Decline to answer" are counted and shown but never compared, and
  an intersection is unknown when either half is;
- the reference rate is the highest among groups of at least ``min_group_size`` distinct candidates
  (all groups if none is that large), so one selected candidate cannot set the bar for everyone;
- groups under ``min_group_size`` distinct candidates are flagged as small samples: one person
  considered for eleven jobs is eleven decisions but still a sample of one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

UNKNOWN = "Unknown"
DECLINED = "Decline to answer"
FOUR_FIFTHS = 0.8
DIMENSIONS = ("sex", "race_ethnicity", "sex x race_ethnicity")


@dataclass(frozen=True)
class Outcome:
    job_id: str
    candidate_id: str
    shortlisted: bool


@dataclass(frozen=True)
class Reported:
    """What a candidate self-reported; None where they did not answer."""

    sex: str | None = None
    race_ethnicity: str | None = None


@dataclass(frozen=True)
class GroupRate:
    dimension: str
    group: str
    candidates: int  # distinct people
    considered: int  # decisions
    selected: int
    rate: float
    impact_ratio: float | None  # None: not compared (unknown, declined) or nobody was selected
    adverse: bool  # impact ratio under four fifths
    small_sample: bool


@dataclass(frozen=True)
class FairnessReport:
    considered: int
    selected: int
    min_group_size: int
    groups: list[GroupRate]

    def flagged(self) -> list[GroupRate]:
        return [g for g in self.groups if g.adverse]


def _answer(value: str | None) -> str:
    return value if value else UNKNOWN


def group_of(dimension: str, reported: Reported | None) -> str:
    r = reported or Reported()
    if dimension == "sex":
        return _answer(r.sex)
    if dimension == "race_ethnicity":
        return _answer(r.race_ethnicity)
    halves = (_answer(r.sex), _answer(r.race_ethnicity))
    return UNKNOWN if {UNKNOWN, DECLINED} & set(halves) else f"{halves[0]} x {halves[1]}"


def _rates(dimension: str, labelled: list[tuple[str, Outcome]], min_group_size: int) -> list[GroupRate]:
    considered = Counter(group for group, _ in labelled)
    selected = Counter(group for group, o in labelled if o.shortlisted)
    members: dict[str, set[str]] = {}
    for group, o in labelled:
        members.setdefault(group, set()).add(o.candidate_id)
    people = {g: len(ids) for g, ids in members.items()}
    rate = {g: selected[g] / n for g, n in considered.items()}
    comparable = [g for g in considered if g not in (UNKNOWN, DECLINED)]
    large = [g for g in comparable if people[g] >= min_group_size]
    reference = max((rate[g] for g in large or comparable), default=0.0)
    rows = []
    for g in sorted(considered, key=lambda g: (g in (UNKNOWN, DECLINED), g)):
        ratio = rate[g] / reference if g in comparable and reference > 0 else None
        rows.append(
            GroupRate(dimension, g, people[g], considered[g], selected[g], rate[g], ratio,
                      ratio is not None and ratio < FOUR_FIFTHS, people[g] < min_group_size)
        )  # fmt: skip
    return rows


def audit(
    outcomes: Iterable[Outcome], demographics: Mapping[str, Reported], min_group_size: int = 10
) -> FairnessReport:
    """Rates and ratios for every dimension over the given decisions."""
    decided = list(outcomes)
    groups = [
        row
        for dimension in DIMENSIONS
        for row in _rates(
            dimension,
            [(group_of(dimension, demographics.get(o.candidate_id)), o) for o in decided],
            min_group_size,
        )
    ]
    return FairnessReport(len(decided), sum(o.shortlisted for o in decided), min_group_size, groups)
