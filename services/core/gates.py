"""Gate checks: the hard conditions a job may enforce (must-haves, location, work authorisation,
degree, level).

Each check returns (passed, detail), or None when the job asks nothing. Missing candidate data
never fails a gate: parsers miss things, so it passes with a "verify" note instead. Whether a
failure excludes the match is up to the job's GatePolicy, which `scoring` applies.
"""

from __future__ import annotations

import re
from enum import Enum

from services.core.components import NEUTRAL
from services.core.model import Archetype, CandidateProfile, Degree, JobProfile, RemotePolicy

Check = tuple[bool, str] | None

# Applied roles: a PhD asked there is a preference, not a requirement (unless the degree gate is on).
_APPLIED = frozenset(set(Archetype) - {Archetype.DATA_SCIENTIST, Archetype.OTHER})
_DEGREE_YEARS = {Degree.NONE: 0, Degree.ASSOCIATE: 2, Degree.BACHELOR: 4, Degree.MASTER: 6, Degree.PHD: 9}
_PLACE_ALIASES = {
    "united states": "us",
    "usa": "us",
    "america": "us",
    "united kingdom": "uk",
    "britain": "uk",
    "england": "uk",
    "gb": "uk",
}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_AUTH_NOISE = _words(
    "authorized authorised to work in the a citizen citizenship permanent resident "
    "residency visa permit holder status eligible right of"
)
_US_STATES = _words(
    "al ak az ar ca co ct de fl ga hi id il in ia ks ky la me md ma mi mn ms mo mt ne nv "
    "nh nj nm ny nc nd oh ok or pa ri sc sd tn tx ut vt va wa wv wi wy dc"
)


def _label(x: Enum) -> str:
    return x.value.replace("_", " ")


def must_have_gate(job: JobProfile, missing: list[str]) -> Check:
    if not job.must_have:
        return None
    return (
        not missing,
        f"missing {', '.join(missing)}" if missing else f"all {len(job.must_have)} must-haves present",
    )


def level_gate(job: JobProfile, cand: CandidateProfile) -> Check:
    years = cand.years_experience
    if job.min_years and years is not None:
        return years >= job.min_years, f"{years:g} yrs vs {job.min_years:g}+ asked"
    if job.seniority is not None and cand.seniority is not None:
        ok = cand.seniority.rank >= job.seniority.rank
        return ok, f"{_label(cand.seniority)} vs {_label(job.seniority)} asked"
    if job.min_years or job.seniority is not None:
        return True, "experience level not stated - verify"
    return None


def degree_gate(job: JobProfile, cand: CandidateProfile) -> Check:
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


def location_fit_and_gate(job: JobProfile, cand: CandidateProfile) -> tuple[float, Check]:
    """The location component and the location gate, read off the same comparison."""
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


def work_authorization_gate(job: JobProfile, cand: CandidateProfile) -> Check:
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
