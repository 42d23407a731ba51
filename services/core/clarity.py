"""Job-description clarity: the patterns that make AI/ML hiring fail before a candidate applies.

Each warning is one sentence led by a stable code ("hybrid_role: …") so that dashboards can
count codes while recruiters read the sentence.
"""

from __future__ import annotations

import re

from services.core.model import Archetype, Degree, JobProfile

CODES = ("hybrid_role", "phd_for_applied_role", "laundry_list", "every_cloud", "vague_requirements")
LAUNDRY_LIST = 15  # must-haves beyond this are a wish list, whatever else the JD says
LAUNDRY_NO_IMPACT = 10  # fewer suffice when the JD never says what success looks like
HYBRID_SECOND = 0.25  # the runner-up archetype's probability must reach this...
HYBRID_GAP = 0.25  # ...and trail the top one by no more than this
_APPLIED = {Archetype.ML_ENGINEER, Archetype.AI_ENGINEER, Archetype.DATA_ANALYST, Archetype.DATA_ENGINEER,
            Archetype.SOFTWARE_ENGINEER}
_PRODUCTION = re.compile(
    r"\b(?:production|deploy\w*|ship\w*|customer-facing|product features?|end users)\b", re.I
)
_CLOUDS = {"aws": "AWS", "azure": "Azure", "gcp": "GCP", "google-cloud": "GCP"}
# Umbrella terms that tell a candidate nothing about the actual work, and soft skills.
_BROAD = {
    "machine-learning", "artificial-intelligence", "data-analysis", "data-science", "big-data", "statistics",
    "cloud-computing", "software-engineering", "deep-learning", "programming",
}
_LABELS = {
    Archetype.DATA_SCIENTIST: "data scientist", Archetype.ML_ENGINEER: "ML engineer",
    Archetype.AI_ENGINEER: "AI engineer", Archetype.DATA_ENGINEER: "data engineer",
    Archetype.DATA_ANALYST: "data analyst", Archetype.SOFTWARE_ENGINEER: "software engineer",
}


def _hybrid(job: JobProfile) -> str | None:
    scores = job.archetype.scores
    ranked = sorted(((p, Archetype(a)) for a, p in scores.items() if a != Archetype.OTHER), reverse=True)
    if len(ranked) < 2:
        return None
    (p1, a1), (p2, a2) = ranked[:2]
    if p2 >= HYBRID_SECOND and p1 - p2 <= HYBRID_GAP:
        return f"hybrid_role: blends {_LABELS[a1]} and {_LABELS[a2]} duties; consider splitting the role"
    return None


def _phd(job: JobProfile, description: str) -> str | None:
    if job.degree is not Degree.PHD:
        return None
    if job.archetype.archetype in _APPLIED:
        return f"phd_for_applied_role: requires a PhD for an applied {_LABELS[job.archetype.archetype]} role"
    if _PRODUCTION.search(description):
        return "phd_for_applied_role: requires a PhD for production work; shipped systems are a better signal"
    return None


def _laundry(job: JobProfile) -> str | None:
    n = len(job.must_have)
    if n >= LAUNDRY_LIST:
        return f"laundry_list: {n} must-have skills; keep the few that truly gate the job"
    if n >= LAUNDRY_NO_IMPACT and not job.wants_impact:
        return f"laundry_list: {n} must-have skills and no business outcome; say what success looks like"
    return None


def _clouds(job: JobProfile) -> str | None:
    names = sorted({_CLOUDS[r.skill_id] for r in job.must_have if r.skill_id in _CLOUDS})
    if len(names) >= 2:
        listed = ", ".join(names[:-1]) + " and " + names[-1]
        return f"every_cloud: demands {listed}; experience on one cloud transfers to the others"
    return None


def _vague(job: JobProfile) -> str | None:
    if not job.must_have:
        return "vague_requirements: no must-have skills stated; candidates cannot tell what is required"
    soft = {m.skill_id for m in job.skills if m.category == "soft_skill"}
    if all(r.skill_id in _BROAD or r.skill_id in soft for r in job.must_have):
        return "vague_requirements: must-haves are only broad concepts; name the tools and outcomes needed"
    return None


def clarity_warnings(job: JobProfile, description: str) -> list[str]:
    found = [_hybrid(job), _phd(job, description), _laundry(job), _clouds(job), _vague(job)]
    return [w for w in found if w is not None]
