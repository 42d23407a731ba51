"""The report a candidate may read about their own assessment for one job.

Only this candidate's data: requirements met (with the candidate's own evidence), requirements
not found, checks, and what they could add. Never a rank, a pool size, a cut-off or anything
about other candidates. Suggestions are phrased "if true": the aim is a fair reading of real
experience, not coaching anyone to claim what they do not have.
"""

from __future__ import annotations

from services.core.match_result import MatchResult
from services.core.model import CandidateProfile, JobProfile

_GATE_NAMES = {
    "strict_must_haves": "Required skills",
    "location": "Location",
    "work_authorization": "Work authorisation",
    "degree": "Degree",
    "level": "Experience level",
}


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _listed_only(job: JobProfile, candidate: CandidateProfile, result: MatchResult) -> list[str]:
    """Matched requirements the résumé names only in a skills list, never in a role or project."""
    matched = {r.skill_id for r in result.matched_must_have + result.matched_nice_to_have}
    mentions = {m.skill_id: m for m in candidate.skills}
    return [
        r.name
        for r in job.must_have + job.nice_to_have
        if r.skill_id in matched and r.skill_id in mentions and not mentions[r.skill_id].in_context
    ]


def _suggestions(job: JobProfile, candidate: CandidateProfile, result: MatchResult) -> list[str]:
    tips = [
        f"{name}: if you have used it, say where and how (a role or a project)."
        for name in result.missing_must_have
    ]
    tips += [
        f"{name}: you list it; showing where you used it (a role or a project) counts fully."
        for name in _listed_only(job, candidate, result)
    ]
    met = {r.skill_id for r in result.matched_nice_to_have}
    tips += [
        f"{r.name} (nice to have): if you have used it, say where."
        for r in job.nice_to_have
        if r.skill_id not in met
    ]
    if job.min_years and candidate.years_experience is None:
        tips.append("Experience: we could not read your years of experience; give each role its dates.")
    counted = {k for k, w in result.weights.items() if w > 0}
    if "mlops" in counted and result.components.get("mlops", 1.0) < 0.5:
        tips.append("Production work: the role asks for it; say what you deployed, monitored or automated.")
    if "impact" in counted and not candidate.impact_evidence:
        tips.append("Results: where you can, state outcomes with numbers (time saved, accuracy, revenue).")
    if job.location and not (candidate.location or candidate.preferred_locations):
        tips.append(f"Location: the role is based in {job.location}; say where you are or would work.")
    return tips


def candidate_report(
    result: MatchResult,
    job: JobProfile,
    candidate: CandidateProfile,
    shortlisted: bool,
    decided_on: str,
    blind: bool = True,
) -> str:
    outcome = "shortlisted for review" if shortlisted else "not shortlisted"
    lines = [
        f"Your application: {job.title} (job {job.job_id}), résumé version {candidate.version}",
        f"Assessed on {decided_on}. Outcome: {outcome}.",
        "",
        "How it was assessed: software compared your résumé with this job's requirements.",
        *(
            ["Names, contact details, pronouns, age markers and school names were removed first."]
            if blind
            else []
        ),
        "Self-reported demographic answers are never used. A recruiter reviews shortlists; you can ask for a",
        "human review.",
        "",
        f"Match score: {result.score:.2f} of 1.",
    ]
    if result.matched_must_have:
        lines += ["", "Requirements you meet:"]
        lines += [f'  - {r.name}: "{_short(r.evidence or r.name)}"' for r in result.matched_must_have]
    if result.missing_must_have:
        lines += ["", "Requirements we could not find in your résumé:"]
        lines += [f"  - {name}" for name in result.missing_must_have]
    if result.matched_nice_to_have:
        nice = ", ".join(r.name for r in result.matched_nice_to_have)
        lines += ["", f"Nice-to-have skills you show: {nice}"]
    if result.gates:
        lines += ["", "Checks:"]
        lines += [
            f"  - {_GATE_NAMES.get(g.gate, g.gate)}: {'met' if g.passed else 'not met'} ({g.detail})"
            for g in result.gates
        ]
    if tips := _suggestions(job, candidate, result):
        lines += ["", "What you could add, if it is true:"] + [f"  - {tip}" for tip in tips]
    if candidate.flags:
        lines += ["", "Parts of your document were not read (hidden, invisible or repeated text):"]
        lines += [f"  - {flag}" for flag in candidate.flags]
        lines.append("  If that was not intended, submit a corrected version; it will be assessed again.")
    lines += ["", "To correct anything, submit an updated résumé: the new version replaces the old one."]
    return "\n".join(lines)
