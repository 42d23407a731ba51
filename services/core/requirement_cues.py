"""Must or nice-to-have? The cue words around a job-description phrase decide.

A phrase is judged by the nearest cue in its clause, then in its sentence ("Python required,
Spark a plus"), and only then by the section it sits in. `requirements` applies this to skills,
`conditions` to stated years and degrees.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from services.core.model import Section


def cues(*alternatives: str, flags: re.RegexFlag = re.I) -> re.Pattern[str]:
    """Any of `alternatives` as a whole phrase: "ms" must not match inside "teams" or "ms.net"."""
    return re.compile(r"(?<![\w.])(?:" + "|".join(alternatives) + r")(?!\w)", flags)


_STRONG = cues(
    r"require[sd]?", "must", "mandatory", "minimum", "at least", "essential", "need to have",
    r"\d+\+?\s*years",
    r"(?:strong|solid|deep|proven|extensive|demonstrated) (?:experience|knowledge|background|proficiency|"
    r"understanding|skills?)", r"proficien\w+", r"expert(?:ise)? (?:in|with)",
)  # fmt: skip
_NICE = cues(
    "preferred", "preferably", "prefer", "bonus", "nice[- ]to[- ]have", r"(?:a |big )?plus(?! plus)",
    "familiarity", "familiar with", "desired", "desirable", "ideally", "exposure to", "good to have",
    r"advantage\w*", "optional", "not required", "helpful", "beneficial",
)  # fmt: skip
_WEAK = cues(
    "experience (?:with|in|using)", "knowledge of", "skills? in", "background in", "understanding of"
)
MUST_SECTIONS = {Section.REQUIREMENTS, Section.SKILLS, Section.EXPERIENCE, Section.EDUCATION}
_PARENS = re.compile(r"\([^()\n]*\)")
_SENTENCE = re.compile(r"\n|[.!?](?=\s|$)|[;•]")
_CLAUSE = re.compile(r"\n|[.!?](?=\s|$)|[;•,(]")


class Bounds:
    """Sentence or clause around an offset, by bisecting precomputed boundary offsets."""

    def __init__(self, text: str, pattern: re.Pattern[str]) -> None:
        self.end, self.cuts = len(text), [m.end() for m in pattern.finditer(text)]

    def around(self, start: int, end: int) -> tuple[int, int]:
        i, j = bisect_right(self.cuts, start), bisect_right(self.cuts, end - 1)
        return (self.cuts[i - 1] if i else 0), (self.cuts[j] if j < len(self.cuts) else self.end)


def clause_bounds(text: str) -> Bounds:
    return Bounds(text, _CLAUSE)


def sentence_bounds(text: str) -> Bounds:
    return Bounds(text, _SENTENCE)


def _verdict(text: str, lo: int, hi: int, start: int, end: int) -> bool | None:
    """True must, False nice, None no cue in text[lo:hi]; the cue nearest the mention wins.
    A cue inside brackets speaks only for the bracket: "Master's (PhD preferred)"."""
    brackets = [(m.start(), m.end()) for m in _PARENS.finditer(text, lo, hi)]
    asides = [(a, b) for a, b in brackets if not a <= start < b]

    def cue_spans(pattern: re.Pattern[str]) -> list[tuple[int, int]]:
        found = ((m.start(), m.end()) for m in pattern.finditer(text, lo, hi))
        return [c for c in found if not any(a0 <= c[0] < a1 for a0, a1 in asides)]

    nice = cue_spans(_NICE)
    strong = [s for s in cue_spans(_STRONG) if not any(n0 <= s[0] < n1 for n0, n1 in nice)]  # "not required"
    if not nice or not strong:
        return bool(strong) if nice or strong else None

    def gap(c: tuple[int, int]) -> int:
        return max(c[0] - end, start - c[1], 0)

    return min(map(gap, strong)) < min(map(gap, nice))


def cue_verdict(text: str, start: int, end: int, bounds: tuple[Bounds, ...]) -> bool | None:
    """The first verdict found, trying each of `bounds` in turn (narrowest first)."""
    for b in bounds:
        if (verdict := _verdict(text, *b.around(start, end), start, end)) is not None:
            return verdict
    return None


def is_required(text: str, start: int, end: int, section: Section, bounds: tuple[Bounds, Bounds]) -> bool:
    """`bounds` = (clause, sentence). Without a cue, a weak one or the section decides."""
    if (verdict := cue_verdict(text, start, end, bounds)) is not None:
        return verdict
    if section is not Section.PREFERRED and _WEAK.search(text, *bounds[1].around(start, end)):
        return True
    return section in MUST_SECTIONS  # responsibilities and blurbs only make a nice-to-have
