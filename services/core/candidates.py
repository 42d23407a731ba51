"""Résumé text (already redacted in blind mode) → CandidateProfile.

Years of experience come from the date ranges under EXPERIENCE, merged so that overlapping or
concurrent jobs are not counted twice; a stated "N years of experience" is only the fallback.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from services.core.archetypes import classify_archetype
from services.core.conditions import DEGREES, find_location, level_from_years
from services.core.evidence import deployment_evidence, impact_evidence, mlops_evidence, specialisations
from services.core.model import CandidateProfile, Degree, Section, Seniority
from services.core.sections import SectionRange, split_sections
from services.core.taxonomy import Taxonomy

_MONTH_NAMES = re.findall(r"\w+", "jan feb mar apr may jun jul aug sep oct nov dec")
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, 1)}
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = rf"(?:{_MONTH}\s*,?\s*'?\d{{4}}|\d{{1,2}}\s*[/.-]\s*\d{{4}}|(?:19|20)\d{{2}})"
_RANGE = re.compile(
    rf"(?<!\d)({_DATE})\s*(?:-|–|—|to|until|till)\s*({_DATE}|present|current|now|today|date|ongoing)(?!\d)",
    re.I,
)
_STATED = re.compile(r"(\d{1,2}(?:\.\d)?)\s*\+?\s*(?:years?|yrs?)\b[^.\n]{0,40}?\bexperience", re.I)
_STATED_MONTHS = re.compile(r"\bexp(?:e)?rience\W{1,5}(\d{1,3})\s*months", re.I)  # a skills table: one skill
_ROLE_MONTHS = re.compile(r"(?:[:;(]|\bfor)\s*(\d{1,3})\s*months?\b", re.I)  # "Consultant; 8 months"
_OTHERS = re.compile(  # a title after these is someone else's: "under the guidance of X, Senior Engineer"
    r"\b(?:guidance|supervision|direction|mentor\w*|report\w* to|led by|under)\W+(?:\w+\W+){0,4}$", re.I
)
_EXTRA_DEGREES = [  # spellings only trusted inside an EDUCATION section
    (Degree.MASTER, r"(?-i:MS|MSc|MA|ME|M\.?Tech|MCA|M\.E)"),
    (Degree.BACHELOR, r"(?-i:BS|BA|BE|B\.E|BCA|B\.?Com|B\.?Tech)"),
]
_FIELD_WORD = r"(?:[A-Z][\w&]*|and|of|&)"
_FIELD = re.compile(rf"\s*(?:(?:degree\s+)?(?:in|of)\s+)?({_FIELD_WORD}(?:\s+{_FIELD_WORD}){{0,5}})")
_LEVEL_TITLE = re.compile(
    r"\b(?:(intern|junior|jr\.?|senior|sr\.?|staff|principal|lead)\s+(?:[\w/&-]+\s+){0,3}?(?:scientist|engineer|"
    r"analyst|developer|architect|researcher|consultant|manager)|(intern)(?:ship)?\b)",
    re.I,
)
_TITLE_LEVEL = {"intern": Seniority.INTERN, "junior": Seniority.JUNIOR, "jr": Seniority.JUNIOR,
                "senior": Seniority.SENIOR, "sr": Seniority.SENIOR, "staff": Seniority.STAFF,
                "principal": Seniority.STAFF, "lead": Seniority.STAFF}  # fmt: skip
_PLACE = r"((?:the )?(?:U\.S\.A?\.?|U\.K\.|[A-Z]\w*(?: [A-Z]\w*)*))"
_AUTH = [  # positive statements only: "needs sponsorship" must not read as authorised
    (re.compile(rf"\b(?<!not )(?i:authori[sz]ed|eligible|permitted) to work in {_PLACE}"),
     "authorized to work in {}"),
    (re.compile(r"\b(U\.?S\.?|American|British|UK|EU|Canadian|Indian|German) citizen", re.I), "{} citizen"),
    (re.compile(r"\bgreen card|\bUS permanent resident", re.I), "US permanent resident"),
    (re.compile(rf"\b(?i:right) to work in {_PLACE}"), "authorized to work in {}"),
]  # fmt: skip


def _month(raw: str, end: bool, today: date) -> int | None:
    raw = raw.lower().strip()
    if raw in {"present", "current", "now", "today", "date", "ongoing"}:
        return today.year * 12 + today.month + (1 if end else 0)  # the current month counts
    year = int(re.findall(r"\d{4}", raw)[-1])
    if (word := re.match(r"[a-z]+", raw)) is not None:
        month = _MONTHS.get(word.group(0)[:3], 1)
    elif (num := re.match(r"(\d{1,2})\s*[/.-]", raw)) is not None:
        month = int(num.group(1))
        if not 1 <= month <= 12:
            return None
    else:
        return year * 12 + 1  # a bare year: from January (as a start) or to January (as an end)
    return year * 12 + month + (1 if end else 0)  # a month-precise end counts that month


def experience_years(text: str, ranges: Iterable[SectionRange], today: date) -> float | None:
    spans: list[tuple[int, int]] = []
    for r in ranges:
        if r.section is not Section.EXPERIENCE:
            continue
        for m in _RANGE.finditer(text, r.start, r.end):
            start, end = _month(m.group(1), False, today), _month(m.group(2), True, today)
            now = today.year * 12 + today.month + 1
            if start is not None and end is not None and 1950 * 12 < start < end <= now:
                spans.append((start, end))
    if spans:
        merged = 0
        reach = 0
        for start, end in sorted(spans):  # union of intervals: concurrent jobs count once
            merged += max(0, end - max(start, reach))
            reach = max(reach, end)
        return round(merged / 12, 1)
    stated = [float(m.group(1)) for m in _STATED.finditer(text)]
    # Roles follow one another, so their durations add up; one skill's time is only a floor.
    roles = sum(int(m.group(1)) for m in _ROLE_MONTHS.finditer(text))
    stated += [roles / 12] if roles else []
    stated += [int(m.group(1)) / 12 for m in _STATED_MONTHS.finditer(text)]
    stated = [y for y in stated if y <= 50]  # "a firm with 80 years' experience" is not the candidate's
    return round(max(stated), 1) if stated else None


def education(text: str, ranges: list[SectionRange]) -> tuple[Degree, str | None, int | None]:
    """Highest degree, its field, and the latest year in the education section (graduation)."""
    edu = [(r.start, r.end) for r in ranges if r.section is Section.EDUCATION]
    patterns = DEGREES + _EXTRA_DEGREES if edu else DEGREES
    best: tuple[Degree, str | None] = (Degree.NONE, None)
    for degree, pattern in patterns:
        for lo, hi in edu or [(0, len(text))]:
            for m in re.finditer(r"(?<![\w.])(?:" + pattern + r")(?!\w)", text[lo:hi], re.I):
                field = _FIELD.match(text, lo + m.end())
                if degree.rank > best[0].rank or (degree is best[0] and best[1] is None):
                    best = (degree, field.group(1).strip() if field and field.group(1).strip() else None)
    years = [int(y) for lo, hi in edu for y in re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", text[lo:hi])]
    return best[0], best[1], max(years) if years else None


def seniority(text: str, years: float | None) -> Seniority | None:
    """A title on the résumé ("Senior Data Scientist") outranks a level guessed from years."""
    titles = _LEVEL_TITLE.finditer(text)
    own = [m for m in titles if not _OTHERS.search(text[max(m.start() - 60, 0) : m.start()])]
    hinted = [_TITLE_LEVEL[(m.group(1) or m.group(2)).lower().rstrip(".")] for m in own]
    best = max(hinted, key=lambda s: s.rank, default=None)
    if best is not None and not (best is Seniority.INTERN and years is not None and years >= 1):
        return best  # an old internship says little about a career of several years
    if years is None:
        graduate = re.search(r"\b(?:new grad|recent graduate|graduating)\b", text, re.I)
        return Seniority.NEW_GRAD if graduate else None
    return level_from_years(years)


def work_authorization(text: str) -> list[str]:
    found = [fmt.format(*m.groups()).strip() for pattern, fmt in _AUTH for m in pattern.finditer(text)]
    return list(dict.fromkeys(found))


def build_candidate_profile(
    candidate_id: str,
    text: str,
    *,
    taxonomy: Taxonomy,
    version: int = 0,
    location: str | None = None,
    preferred_locations: Iterable[str] = (),
    open_to_remote: bool | None = None,
    today: date | None = None,
) -> CandidateProfile:
    ranges = split_sections(text)
    skills = taxonomy.extract(text, ranges)
    ids = [m.skill_id for m in skills]
    years = experience_years(text, ranges, today or date.today())
    degree, field, grad_year = education(text, ranges)
    prose = "\n".join(text[r.start : r.end] for r in ranges if r.section is not Section.SKILLS)
    return CandidateProfile(  # the archetype from the prose: a skills list claims one (it counts via ids)
        candidate_id=candidate_id, version=version, skills=skills, seniority=seniority(text, years),
        archetype=classify_archetype(prose, ids, resume=True), years_experience=years,
        education=degree, education_field=field, graduation_year=grad_year,
        location=location or find_location(text), preferred_locations=list(preferred_locations),
        open_to_remote=open_to_remote, work_authorization=work_authorization(text),
        specialisations=specialisations(text, ids), mlops_evidence=mlops_evidence(text),
        impact_evidence=impact_evidence(text), deployment_evidence=deployment_evidence(text),
    )  # fmt: skip
