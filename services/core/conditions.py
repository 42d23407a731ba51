"""Conditions a job description states besides skills: years, degree, level, location, remote
policy, work authorisation and security clearance.

Each finder reads the raw description; explicit fields of the job event win over what is found
here (see `requirements.parse_job`). `candidates` reuses the degree patterns and the level and
location readers on résumés.
"""

from __future__ import annotations

import re

from services.core.model import Degree, RemotePolicy, Section, Seniority
from services.core.requirement_cues import MUST_SECTIONS, clause_bounds, cue_verdict, cues, sentence_bounds
from services.core.sections import SectionRange, section_at

_NUMBERS = "zero one two three four five six seven eight nine ten"
_WORDS = {w: n for n, w in enumerate(_NUMBERS.split(" "))}
_YEARS = re.compile(
    r"\b(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)\s*(\+|plus)?\s*(?:(?:-|–|to)\s*\d{1,2}\s*)?"
    r"\+?\s*(?:years?|yrs?)\b(?:[^.\n;]{0,60}?\bexperience\b)?",
    re.I,
)
# The vocabulary tables keep a packed layout (fmt: skip): one alternative a line would triple them.
DEGREES = [  # "Scrum Master", "MS Excel" and "Jackson, MS" must not read as degrees; common Spanish,
    # Portuguese and Italian names count too ("Ingeniería en Computación", "Licenciatura", "Laurea")
    (Degree.PHD, r"ph\.?\s?d\b\.?|doctorate|doctoral"),
    (Degree.MASTER, r"master['’]?s\b|master of(?: science| arts| engineering)?|m\.s\.|m\.sc\.?|msc|"
     r"m\.eng|mba|ms(?=\s+(?:in|degree|or)\b|/)|(?<=/)ms|m[aá]ster en|maestr[ií]a|mestrado|"
     r"laurea magistrale"),
    (Degree.BACHELOR, r"bachelor['’]?s\b|bachelor of(?: science| arts| engineering| technology)?|b\.s\.|"
     r"b\.sc\.?|bsc|b\.a\.|b\.?tech|b\.e\.|undergraduate degree|bs(?=\s+(?:in|degree|or)\b|/)|(?<=/)bs|"
     r"(?:4|four)[- ]year degree|college degree|university degree|"
     r"ingenier[ií]a en|ingeniero en|licenciatura|licenciado en|grado en|bacharelado|laurea(?! magistrale)"),
    (Degree.ASSOCIATE, r"associate['’]?s? degree"),
]  # fmt: skip
_DEGREE_RE = [(d, cues(p)) for d, p in DEGREES]
_EQUIVALENT = cues("or equivalent", "equivalent (?:practical |work |professional )?experience", "in lieu of")
LEVELS = [  # title words, most specific first; "Associate Director" is caught by "director" first
    (Seniority.INTERN, r"intern(?:ship)?s?|co-?op"),
    (Seniority.NEW_GRAD, r"new grad\w*|recent grad\w*|entry[- ]level|college hire|campus|university grad\w*|"
     r"early career"),
    (Seniority.STAFF, r"staff|principal|distinguished|head of|director|vp|chief|lead"),
    (Seniority.SENIOR, r"senior|sr\.?|iii|iv"),
    (Seniority.MID, r"mid[- ]level|intermediate|ii"),
    (Seniority.JUNIOR, r"junior|jr\.?|associate|i"),
]  # fmt: skip
_LEVEL_RE = [(lv, cues(p)) for lv, p in LEVELS]
_REMOTE = [  # first hit wins: a negated "remote" is on-site, "hybrid" beats a bare "remote"
    (RemotePolicy.ONSITE, cues("not (?:a )?remote", "no remote", "on[- ]?site only", "fully on[- ]?site")),
    (RemotePolicy.HYBRID, cues("hybrid", r"\d days? (?:a|per) week in (?:the )?office", "partially remote")),
    (RemotePolicy.REMOTE, cues(
        "fully remote", "100% remote", "remote[- ](?:first|only|friendly|eligible)", "work(?:ing)? from home",
        "remote (?:position|role|opportunity|job)", "work remotely", r"\(remote\)", r"location\s*:\s*remote",
    )),
    (RemotePolicy.ONSITE, cues("on[- ]?site", "in[- ]office", "in the office", r"relocat\w+")),
]  # fmt: skip
_NO_SPONSOR = cues(
    "no (?:visa )?sponsorship", r"(?:unable|not able|cannot|can ?not|will not|won't|do(?:es)? not) (?:to )?"
    r"(?:provide |offer )?(?:visa )?sponsor\w*", "without (?:the need for )?(?:current or future )?(?:visa )?"
    r"sponsorship", "sponsorship (?:is )?not (?:available|provided|offered)",
    "not eligible for (?:visa )?sponsorship",
)  # fmt: skip
_AUTH = cues(
    "authori[sz]ed to work", "work authori[sz]ation", "eligible to work", "right to work", "green card",
    r"must be a u\.?s\.? citizen", r"(?:u\.?s\.? )?citizenship (?:is )?required",
    r"requires? u\.?s\.? citizenship",
)  # fmt: skip
_SPONSOR = cues(
    "(?:visa )?sponsorship (?:is )?(?:available|provided|offered)", "(?:will|can|we) sponsor",
    "h-?1b transfer",
)  # fmt: skip
_CLEARANCE = cues(
    "security clearance", "ts/sci", "top secret", "secret clearance", "(?:active|current) (?:secret|ts)",
    "clearance (?:is )?required", "dod secret", "public trust", "polygraph",
    "(?:obtain|maintain|hold) (?:a |an )?(?:active )?clearance",
)  # fmt: skip
# A figure after these is part of a larger one: "3+ years in MLOps, including one year with ML".
_PART_OF = re.compile(r"\b(?:including|incl\.|of which|of them)\s+(?:at least\s+|a minimum of\s+)?$", re.I)
_LOCATION = re.compile(
    r"^[^\S\n]*(?:job |office |work )?location[^\S\n]*[:\-][^\S\n]*([^\n]{2,80})$", re.I | re.M
)


def level_from_title(title: str) -> Seniority | None:
    return next((lv for lv, p in _LEVEL_RE if p.search(title)), None)


def level_from_years(years: float) -> Seniority:
    caps = ((1, Seniority.NEW_GRAD), (3, Seniority.JUNIOR), (5, Seniority.MID), (8, Seniority.SENIOR))
    return next((lv for cap, lv in caps if years < cap), Seniority.STAFF)


def find_location(text: str) -> str | None:
    m = _LOCATION.search(text)
    return m.group(1).strip(" .;,") if m else None


def find_min_years(text: str, ranges: list[SectionRange]) -> float | None:
    """Smallest years figure stated as required ("5-7 years" → 5): lenient when a JD lists several."""
    bounds = (clause_bounds(text), sentence_bounds(text))
    found = []
    for m in _YEARS.finditer(text):
        if _PART_OF.search(text[max(m.start() - 30, 0) : m.start()]):
            continue
        n = int(m.group(1)) if m.group(1).isdigit() else _WORDS[m.group(1).lower()]
        section = section_at(ranges, m.start())
        stated = "experience" in m.group(0).lower() or m.group(2) or section in MUST_SECTIONS
        # "N years of experience" states a requirement by itself, unless a cue marks it as preferred.
        if n <= 40 and stated and cue_verdict(text, m.start(), m.end(), bounds) is not False:
            found.append(float(n))
    return min(found) if found else None


def required_degree(text: str, ranges: list[SectionRange]) -> tuple[Degree, bool]:
    """Lowest degree required (not merely preferred), and whether equivalent experience may replace it."""
    clauses = (clause_bounds(text),)  # clause only: "Master's required. PhD preferred." is two verdicts
    required = [
        d for d, p in _DEGREE_RE for m in p.finditer(text)
        if section_at(ranges, m.start()) is not Section.PREFERRED
        and cue_verdict(text, m.start(), m.end(), clauses) is not False
    ]  # fmt: skip
    if not required:
        return Degree.NONE, True
    return min(required, key=lambda d: d.rank), bool(_EQUIVALENT.search(text))


def job_level(title: str, text: str, years: float | None) -> Seniority | None:
    if (level := level_from_title(title)) is not None:
        return level
    for lv, p in _LEVEL_RE[:2]:  # in the body only unambiguous phrases: "senior" there is often about others
        if p.search(text):
            return lv
    # A bare minimum of one or two years welcomes juniors and up: it states no level, and reading
    # "junior" into it would cap over-qualified people (components._seniority_fit) on no grounds.
    if years is None or 1 <= years < 3:
        return None
    return level_from_years(years)


def find_remote_policy(text: str) -> RemotePolicy | None:
    return next((rp for rp, p in _REMOTE if p.search(text)), None)


def work_authorization(text: str) -> tuple[bool, bool | None]:
    """(authorisation required, sponsorship offered: None when the JD does not say)."""
    no_sponsor = bool(_NO_SPONSOR.search(text))
    offers = False if no_sponsor else True if _SPONSOR.search(text) else None
    return no_sponsor or bool(_AUTH.search(text)), offers


def requires_clearance(text: str) -> bool:
    return bool(_CLEARANCE.search(text))
