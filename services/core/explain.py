"""Plain-language explanations of a match: one line for shortlists, a block for the CLI.

Everything is read back from the MatchResult (plus the two profiles for names and
evidence), so an explanation can never disagree with the score it explains.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.core.model import Archetype, CandidateProfile, JobProfile

if TYPE_CHECKING:  # scoring imports this module to fill MatchResult.reason
    from services.core.scoring import GateResult, MatchResult

_ROLE = {Archetype.ML_ENGINEER: "ML engineer", Archetype.AI_ENGINEER: "AI engineer"}
_MIN_GAP = 0.02  # a shortfall costing less score than this is not worth a mention


def _role(a: Archetype) -> str:
    return _ROLE.get(a, a.value.replace("_", " "))


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _names(names: list[str], limit: int = 3) -> str:
    extra = len(names) - limit
    return ", ".join(names[:limit]) + (f" +{extra} more" if extra > 0 else "")


def _gate(result: MatchResult, name: str) -> GateResult | None:
    return next((g for g in result.gates if g.gate == name), None)


def _phrase(key: str, result: MatchResult, job: JobProfile, cand: CandidateProfile) -> str:
    """What one component says about this pair, worded so it reads as praise or as a gap."""
    v = result.components[key]
    if key == "semantic":
        return f"{'strong' if v >= 0.66 else 'moderate' if v >= 0.33 else 'weak'} semantic match"
    if key == "must_have":
        n, missing = len(job.must_have), result.missing_must_have
        if missing:
            return f"{len(result.matched_must_have)}/{n} must-haves (missing {_names(missing)})"
        return f"all {n} must-haves" + ("" if v >= 0.999 else " (some only in a skills list)")
    if key == "nice_to_have":
        return f"{len(result.matched_nice_to_have)}/{len(job.nice_to_have)} nice-to-haves"
    if key == "archetype":
        seen = cand.archetype.archetype
        if seen is not job.archetype.archetype:
            return f"reads as {_role(seen)}"
        return f"{'clear' if v >= 0.8 else 'tentative'} {_role(seen)} profile"
    if key in ("level", "location"):
        related = ("level", "degree") if key == "level" else ("location", "work_authorization")
        found = [g for name in related if (g := _gate(result, name)) and (name == key or not g.passed)]
        return "; ".join(g.detail for g in found) or f"{key} fit"
    evidence = [*cand.mlops_evidence, *cand.deployment_evidence] if key == "mlops" else cand.impact_evidence
    label = "MLOps evidence" if key == "mlops" else "quantified impact"
    return f"{label}: {_short(evidence[0])}" if evidence else f"no {label}"


def reason(result: MatchResult, job: JobProfile, candidate: CandidateProfile) -> str:
    """One line: the role fit, must-have coverage, the strongest contributions, the biggest gap."""
    counted = sorted((k for k, w in result.weights.items() if w > 0),
                     key=lambda k: (-result.contributions[k], k))
    wanted, seen = job.archetype.archetype, candidate.archetype.archetype
    same = wanted is seen or "archetype" not in counted
    head = f"{_role(wanted)} fit" if same else f"{_role(wanted)} role, candidate reads as {_role(seen)}"
    picks = [k for k in counted if k == "must_have"]
    picks += [k for k in counted if k not in picks and k != "archetype"][:2]
    # The biggest gap not already on show (must-haves list their own misses; the head
    # already names an archetype mismatch).
    losses = {k: result.weights[k] * (1.0 - result.components[k])
              for k in counted if k not in picks and (k != "archetype" or same)}
    gap = max(sorted(losses), key=lambda k: losses[k], default=None)
    if gap is not None and losses[gap] >= _MIN_GAP:
        picks.append(gap)
    line = head + ": " + ", ".join(_phrase(k, result, job, candidate) for k in picks)
    failed = [g for g in result.gates if g.enforced and not g.passed]
    if failed:
        line = "Excluded (" + "; ".join(f"{g.gate}: {g.detail}" for g in failed) + ") - " + line
    return line[0].upper() + line[1:]


def explain_text(result: MatchResult, job: JobProfile, candidate: CandidateProfile) -> str:
    """A multi-line breakdown: summary, each component, evidence, and every gate checked."""
    status = "EXCLUDED" if result.excluded else "eligible"
    lines = [
        f"{candidate.candidate_id} for {job.title} ({job.job_id}): score {result.score:.3f}, {status}",
        f"Summary: {result.reason or reason(result, job, candidate)}",
        "Score breakdown (component value x weight = contribution):",
    ]
    for k in sorted(result.components, key=lambda k: (-result.contributions.get(k, 0.0), k)):
        w = result.weights.get(k, 0.0)
        if w <= 0:
            lines.append(f"  {k:<13} not counted for this job")
            continue
        v, c = result.components[k], result.contributions[k]
        lines.append(f"  {k:<13} {v:.2f} x {w:.2f} = {c:.3f}  {_phrase(k, result, job, candidate)}")
    if result.matched_must_have:
        lines.append("Must-haves met:")
        lines += [f"  - {r.name}: {_short(r.evidence or '', 80)}" for r in result.matched_must_have]
    if result.missing_must_have:
        lines.append(f"Must-haves missing: {', '.join(result.missing_must_have)}")
    if result.matched_nice_to_have:
        lines.append(f"Nice-to-haves met: {', '.join(r.name for r in result.matched_nice_to_have)}")
    if result.gates:
        lines.append("Checks:")
        lines += [f"  {'pass' if g.passed else 'FAIL'}  {g.gate} ({'enforced' if g.enforced else 'advisory'})"
                  f": {g.detail}" for g in result.gates]
    if candidate.flags:
        lines.append(f"Flags on this résumé: {', '.join(candidate.flags)}")
    return "\n".join(lines)
