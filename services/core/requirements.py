"""Job description → JobProfile: must-haves vs nice-to-haves, years, degree, level and conditions.

Each skill occurrence is judged by the nearest cue in its clause, then in its sentence ("Python
required, Spark a plus"), and only then by its section; one must-have occurrence makes the skill a
must-have. Explicit fields from the job event always win over anything parsed here.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping

from services.core.archetypes import classify_archetype
from services.core.clarity import clarity_warnings
from services.core.evidence import asks_for_impact, mlops_evidence, specialisations
from services.core.model import (
    Degree,
    GatePolicy,
    JobProfile,
    RemotePolicy,
    Requirement,
    Section,
    Seniority,
    SkillMention,
)
from services.core.sections import SectionRange, section_at, split_sections
from services.core.taxonomy import Taxonomy


def _cues(*alternatives: str, flags: re.RegexFlag = re.I) -> re.Pattern[str]:
    return re.compile(r"(?<![\w.])(?:" + "|".join(alternatives) + r")(?!\w)", flags)


_STRONG = _cues(
    r"require[sd]?", "must", "mandatory", "minimum", "at least", "essential", "need to have",
    r"\d+\+?\s*years",
    r"(?:strong|solid|deep|proven|extensive|demonstrated) (?:experience|knowledge|background|proficiency|"
    r"understanding|skills?)", r"proficien\w+", r"expert(?:ise)? (?:in|with)",
)
_NICE = _cues(
    "preferred", "preferably", "prefer", "bonus", "nice[- ]to[- ]have", r"(?:a |big )?plus(?! plus)",
    "familiarity", "familiar with", "desired", "desirable", "ideally", "exposure to", "good to have",
    r"advantage\w*", "optional", "not required", "helpful", "beneficial",
)
_WEAK = _cues(
    "experience (?:with|in|using)", "knowledge of", "skills? in", "background in", "understanding of"
)
_MUST_SECTIONS = {Section.REQUIREMENTS, Section.SKILLS, Section.EXPERIENCE, Section.EDUCATION}
_PARENS = re.compile(r"\([^()\n]*\)")
_SENTENCE = re.compile(r"\n|[.!?](?=\s|$)|[;•]")
_CLAUSE = re.compile(r"\n|[.!?](?=\s|$)|[;•,(]")


class _Bounds:
    """Sentence or clause around an offset, by bisecting precomputed boundary offsets."""

    def __init__(self, text: str, pattern: re.Pattern[str]) -> None:
        self.end, self.cuts = len(text), [m.end() for m in pattern.finditer(text)]

    def around(self, start: int, end: int) -> tuple[int, int]:
        i, j = bisect_right(self.cuts, start), bisect_right(self.cuts, end - 1)
        return (self.cuts[i - 1] if i else 0), (self.cuts[j] if j < len(self.cuts) else self.end)


def _verdict(text: str, lo: int, hi: int, start: int, end: int) -> bool | None:
    """True must, False nice, None no cue in text[lo:hi]; the cue nearest the mention wins.
    A cue inside brackets speaks only for the bracket: "Master's (PhD preferred)"."""
    brackets = [(m.start(), m.end()) for m in _PARENS.finditer(text, lo, hi)]
    asides = [(a, b) for a, b in brackets if not a <= start < b]

    def cues(pattern: re.Pattern[str]) -> list[tuple[int, int]]:
        found = ((m.start(), m.end()) for m in pattern.finditer(text, lo, hi))
        return [c for c in found if not any(a0 <= c[0] < a1 for a0, a1 in asides)]

    nice = cues(_NICE)
    strong = [s for s in cues(_STRONG) if not any(n0 <= s[0] < n1 for n0, n1 in nice)]  # "not required"
    if not nice or not strong:
        return bool(strong) if nice or strong else None

    def gap(c: tuple[int, int]) -> int:
        return max(c[0] - end, start - c[1], 0)

    return min(map(gap, strong)) < min(map(gap, nice))


def _cue_verdict(text: str, start: int, end: int, bounds: tuple[_Bounds, ...]) -> bool | None:
    for b in bounds:  # clause first, then sentence
        if (verdict := _verdict(text, *b.around(start, end), start, end)) is not None:
            return verdict
    return None


def is_required(text: str, start: int, end: int, section: Section, bounds: tuple[_Bounds, _Bounds]) -> bool:
    if (verdict := _cue_verdict(text, start, end, bounds)) is not None:
        return verdict
    if section is not Section.PREFERRED and _WEAK.search(text, *bounds[1].around(start, end)):
        return True
    return section in _MUST_SECTIONS  # responsibilities and blurbs only make a nice-to-have


def split_requirements(
    text: str, mentions: list[SkillMention], ranges: list[SectionRange]
) -> tuple[list[Requirement], list[Requirement]]:
    bounds = (_Bounds(text, _CLAUSE), _Bounds(text, _SENTENCE))
    must: list[Requirement] = []
    nice: list[Requirement] = []
    for m in mentions:
        votes = [is_required(text, s.start, s.end, section_at(ranges, s.start), bounds) for s in m.spans]
        first = votes.index(True) if True in votes else 0
        evidence = m.spans[first].text if m.spans else None
        req = Requirement(skill_id=m.skill_id, name=m.name, evidence=evidence)
        (must if True in votes else nice).append(req)
    return must, nice


_NUMBERS = "zero one two three four five six seven eight nine ten"
_WORDS = {w: n for n, w in enumerate(_NUMBERS.split(" "))}
_YEARS = re.compile(
    r"\b(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)\s*(\+|plus)?\s*(?:(?:-|–|to)\s*\d{1,2}\s*)?"
    r"\+?\s*(?:years?|yrs?)\b(?:[^.\n;]{0,60}?\bexperience\b)?",
    re.I,
)
DEGREES = [  # "Scrum Master", "MS Excel" and "Jackson, MS" must not read as degrees
    (Degree.PHD, r"ph\.?\s?d\b\.?|doctorate|doctoral"),
    (Degree.MASTER, r"master['’]?s\b|master of(?: science| arts| engineering)?|m\.s\.|m\.sc\.?|msc|"
     r"m\.eng|mba|ms(?=\s+(?:in|degree|or)\b|/)|(?<=/)ms"),
    (Degree.BACHELOR, r"bachelor['’]?s\b|bachelor of(?: science| arts| engineering| technology)?|b\.s\.|"
     r"b\.sc\.?|bsc|b\.a\.|b\.?tech|b\.e\.|undergraduate degree|bs(?=\s+(?:in|degree|or)\b|/)|(?<=/)bs|"
     r"(?:4|four)[- ]year degree|college degree|university degree"),
    (Degree.ASSOCIATE, r"associate['’]?s? degree"),
]
_DEGREE_RE = [(d, _cues(p)) for d, p in DEGREES]
_EQUIVALENT = _cues("or equivalent", "equivalent (?:practical |work |professional )?experience", "in lieu of")
LEVELS = [  # title words, most specific first; "Associate Director" is caught by "director" first
    (Seniority.INTERN, r"intern(?:ship)?s?|co-?op"),
    (Seniority.NEW_GRAD, r"new grad\w*|recent grad\w*|entry[- ]level|college hire|campus|university grad\w*|"
     r"early career"),
    (Seniority.STAFF, r"staff|principal|distinguished|head of|director|vp|chief|lead"),
    (Seniority.SENIOR, r"senior|sr\.?|iii|iv"),
    (Seniority.MID, r"mid[- ]level|intermediate|ii"),
    (Seniority.JUNIOR, r"junior|jr\.?|associate|i"),
]
_LEVEL_RE = [(lv, _cues(p)) for lv, p in LEVELS]
_REMOTE = [  # first hit wins: a negated "remote" is on-site, "hybrid" beats a bare "remote"
    (RemotePolicy.ONSITE, _cues("not (?:a )?remote", "no remote", "on[- ]?site only", "fully on[- ]?site")),
    (RemotePolicy.HYBRID, _cues("hybrid", r"\d days? (?:a|per) week in (?:the )?office", "partially remote")),
    (RemotePolicy.REMOTE, _cues(
        "fully remote", "100% remote", "remote[- ](?:first|only|friendly|eligible)", "work(?:ing)? from home",
        "remote (?:position|role|opportunity|job)", "work remotely", r"\(remote\)", r"location\s*:\s*remote",
    )),
    (RemotePolicy.ONSITE, _cues("on[- ]?site", "in[- ]office", "in the office", r"relocat\w+")),
]
_NO_SPONSOR = _cues(
    "no (?:visa )?sponsorship", r"(?:unable|not able|cannot|can ?not|will not|won't|do(?:es)? not) (?:to )?"
    r"(?:provide |offer )?(?:visa )?sponsor\w*", "without (?:the need for )?(?:current or future )?(?:visa )?"
    r"sponsorship", "sponsorship (?:is )?not (?:available|provided|offered)",
    "not eligible for (?:visa )?sponsorship",
)
_AUTH = _cues(
    "authori[sz]ed to work", "work authori[sz]ation", "eligible to work", "right to work", "green card",
    r"must be a u\.?s\.? citizen", r"(?:u\.?s\.? )?citizenship (?:is )?required",
    r"requires? u\.?s\.? citizenship",
)
_SPONSOR = _cues(
    "(?:visa )?sponsorship (?:is )?(?:available|provided|offered)", "(?:will|can|we) sponsor",
    "h-?1b transfer",
)
_CLEARANCE = _cues(
    "security clearance", "ts/sci", "top secret", "secret clearance", "(?:active|current) (?:secret|ts)",
    "clearance (?:is )?required", "dod secret", "public trust", "polygraph",
    "(?:obtain|maintain|hold) (?:a |an )?(?:active )?clearance",
)
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
    bounds = (_Bounds(text, _CLAUSE), _Bounds(text, _SENTENCE))
    found = []
    for m in _YEARS.finditer(text):
        n = int(m.group(1)) if m.group(1).isdigit() else _WORDS[m.group(1).lower()]
        section = section_at(ranges, m.start())
        stated = "experience" in m.group(0).lower() or m.group(2) or section in _MUST_SECTIONS
        # "N years of experience" states a requirement by itself, unless a cue marks it as preferred.
        if n <= 40 and stated and _cue_verdict(text, m.start(), m.end(), bounds) is not False:
            found.append(float(n))
    return min(found) if found else None


def required_degree(text: str, ranges: list[SectionRange]) -> tuple[Degree, bool]:
    """Lowest degree required (not merely preferred), and whether equivalent experience may replace it."""
    clauses = (_Bounds(text, _CLAUSE),)  # clause only: "Master's required. PhD preferred." is two verdicts
    required = [
        d for d, p in _DEGREE_RE for m in p.finditer(text)
        if section_at(ranges, m.start()) is not Section.PREFERRED
        and _cue_verdict(text, m.start(), m.end(), clauses) is not False
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
    return level_from_years(years) if years is not None else None


def find_remote_policy(text: str) -> RemotePolicy | None:
    return next((rp for rp, p in _REMOTE if p.search(text)), None)


def work_authorization(text: str) -> tuple[bool, bool | None]:
    """(authorisation required, sponsorship offered: None when the JD does not say)."""
    no_sponsor = bool(_NO_SPONSOR.search(text))
    offers = False if no_sponsor else True if _SPONSOR.search(text) else None
    return no_sponsor or bool(_AUTH.search(text)), offers


def _explicit(names: Iterable[str], taxonomy: Taxonomy) -> list[SkillMention]:
    """Event-given skill names; unknown ones keep a slug of their own so that they still count."""
    out: dict[str, SkillMention] = {}
    for name in names:
        sid = taxonomy.resolve(name)
        skill = taxonomy.get(sid) if sid else None
        slug = sid or re.sub(r"[^a-z0-9+#]+", "-", name.lower()).strip("-") or "unnamed"
        name, category = (skill.name, skill.category) if skill else (name.strip(), "unknown")
        out.setdefault(slug, SkillMention(skill_id=slug, name=name, category=category))
    return list(out.values())


def parse_job(
    job_id: str,
    title: str,
    description: str,
    *,
    taxonomy: Taxonomy,
    version: int = 0,
    location: str | None = None,
    remote_policy: RemotePolicy | None = None,
    must_have_skills: Iterable[str] | None = None,
    nice_to_have_skills: Iterable[str] | None = None,
    seniority: Seniority | None = None,
    min_years: float | None = None,
    weights: Mapping[str, float] | None = None,
    gates: GatePolicy | Mapping[str, bool] | None = None,
    top_k: int | None = None,
) -> JobProfile:
    ranges = split_sections(description)
    skills = taxonomy.extract(description, ranges)
    must, nice = split_requirements(description, skills, ranges)
    for names, is_must in ((must_have_skills, True), (nice_to_have_skills, False)):
        if names is not None:
            given = _explicit(names, taxonomy)
            known = {m.skill_id for m in skills}
            skills += [m for m in given if m.skill_id not in known]
            reqs = [Requirement(skill_id=m.skill_id, name=m.name) for m in given]
            must, nice = (reqs, nice) if is_must else (must, reqs)
    must_ids = {r.skill_id for r in must}
    nice = [r for r in nice if r.skill_id not in must_ids]  # in both lists: a must-have
    ids = [m.skill_id for m in skills]
    years = find_min_years(description, ranges)
    degree, equivalent_ok = required_degree(description, ranges)
    needs_auth, sponsorship = work_authorization(description)
    job = JobProfile(
        job_id=job_id, version=version, title=title, skills=skills, must_have=must, nice_to_have=nice,
        min_years=min_years if min_years is not None else years,
        degree=degree, degree_equivalent_ok=equivalent_ok,
        seniority=seniority or job_level(title, description, years),
        location=location or find_location(description),
        remote_policy=remote_policy or find_remote_policy(description),
        requires_work_authorization=needs_auth, offers_sponsorship=sponsorship,
        requires_clearance=bool(_CLEARANCE.search(description)),
        archetype=classify_archetype(f"{title}\n{description}", ids),
        specialisations=specialisations(description, ids),
        wants_mlops=bool(mlops_evidence(description)) or any(m.category == "mlops" for m in skills),
        wants_impact=asks_for_impact(description),
        weights=dict(weights or {}), gates=GatePolicy.model_validate(gates or {}), top_k=top_k,
    )  # fmt: skip
    return job.model_copy(update={"clarity_warnings": clarity_warnings(job, description)})
