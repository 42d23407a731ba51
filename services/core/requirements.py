"""Job description → JobProfile: must-haves vs nice-to-haves, years, degree, level and conditions.

Each skill occurrence is judged by the nearest cue in its clause, then in its sentence ("Python
required, Spark a plus"), and only then by its section (see `requirement_cues`); one must-have
occurrence makes the skill a must-have. The other conditions are read by `conditions`. Explicit
fields from the job event always win over anything parsed here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from services.core.archetypes import classify_archetype
from services.core.clarity import clarity_warnings
from services.core.conditions import (
    find_location,
    find_min_years,
    find_remote_policy,
    job_level,
    required_degree,
    requires_clearance,
    work_authorization,
)
from services.core.evidence import asks_for_impact, mlops_evidence, specialisations
from services.core.model import GatePolicy, JobProfile, RemotePolicy, Requirement, Seniority, SkillMention
from services.core.requirement_cues import clause_bounds, is_required, sentence_bounds
from services.core.sections import SectionRange, section_at, split_sections
from services.core.taxonomy import Taxonomy


def split_requirements(
    text: str, mentions: list[SkillMention], ranges: list[SectionRange]
) -> tuple[list[Requirement], list[Requirement]]:
    bounds = (clause_bounds(text), sentence_bounds(text))
    must: list[Requirement] = []
    nice: list[Requirement] = []
    for m in mentions:
        votes = [is_required(text, s.start, s.end, section_at(ranges, s.start), bounds) for s in m.spans]
        first = votes.index(True) if True in votes else 0
        evidence = m.spans[first].text if m.spans else None
        req = Requirement(skill_id=m.skill_id, name=m.name, evidence=evidence)
        (must if True in votes else nice).append(req)
    return must, nice


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
        requires_clearance=requires_clearance(description),
        archetype=classify_archetype(f"{title}\n{description}", ids),
        specialisations=specialisations(description, ids),
        wants_mlops=bool(mlops_evidence(description)) or any(m.category == "mlops" for m in skills),
        wants_impact=asks_for_impact(description),
        weights=dict(weights or {}), gates=GatePolicy.model_validate(gates or {}), top_k=top_k,
    )  # fmt: skip
    return job.model_copy(update={"clarity_warnings": clarity_warnings(job, description)})
