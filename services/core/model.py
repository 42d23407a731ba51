"""Domain types shared by every core module: profiles of candidates and jobs.

Pure data (pydantic, for validation and JSON round-trips into the store's payload).
No broker, store or model imports belong here.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Archetype(StrEnum):
    """Role families. The first three are the ones AI/ML hiring most often confuses:
    insight & discovery, model creation & optimisation, production systems & MLOps."""

    DATA_SCIENTIST = "data_scientist"
    ML_ENGINEER = "ml_engineer"
    AI_ENGINEER = "ai_engineer"
    DATA_ENGINEER = "data_engineer"
    DATA_ANALYST = "data_analyst"
    SOFTWARE_ENGINEER = "software_engineer"
    OTHER = "other"


class Seniority(StrEnum):
    INTERN = "intern"
    NEW_GRAD = "new_grad"
    JUNIOR = "junior"
    MID = "mid"
    SENIOR = "senior"
    STAFF = "staff"

    @property
    def rank(self) -> int:
        return _SENIORITY_RANK[self]


class Degree(StrEnum):
    NONE = "none"
    ASSOCIATE = "associate"
    BACHELOR = "bachelor"
    MASTER = "master"
    PHD = "phd"

    @property
    def rank(self) -> int:
        return _DEGREE_RANK[self]


# Declaration order is the order; looked up, as scoring asks for ranks per candidate.
_SENIORITY_RANK = {level: i for i, level in enumerate(Seniority)}
_DEGREE_RANK = {degree: i for i, degree in enumerate(Degree)}


class RemotePolicy(StrEnum):
    ONSITE = "onsite"
    HYBRID = "hybrid"
    REMOTE = "remote"


class Section(StrEnum):
    """Where in a document a mention sits: skills shown in experience or projects
    count more than a bare skills list."""

    SUMMARY = "summary"
    EXPERIENCE = "experience"
    PROJECTS = "projects"
    EDUCATION = "education"
    SKILLS = "skills"
    REQUIREMENTS = "requirements"
    PREFERRED = "preferred"
    OTHER = "other"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Span(Frozen):
    start: int
    end: int
    text: str


class SkillMention(Frozen):
    """One canonical skill found in a document, with every place it was seen."""

    skill_id: str
    name: str
    category: str
    spans: list[Span] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)

    @property
    def evidence(self) -> str | None:
        return self.spans[0].text if self.spans else None

    @property
    def in_context(self) -> bool:
        """Seen in experience, projects or a summary, not only in a bare list."""
        return any(s in (Section.EXPERIENCE, Section.PROJECTS, Section.SUMMARY) for s in self.sections)


class ArchetypeGuess(Frozen):
    archetype: Archetype
    confidence: float = Field(ge=0, le=1)
    scores: dict[str, float] = Field(default_factory=dict)


class CandidateProfile(Frozen):
    candidate_id: str
    version: int = 0
    skills: list[SkillMention] = Field(default_factory=list)
    archetype: ArchetypeGuess
    seniority: Seniority | None = None
    years_experience: float | None = None
    education: Degree = Degree.NONE
    education_field: str | None = None
    graduation_year: int | None = None
    location: str | None = None
    preferred_locations: list[str] = Field(default_factory=list)
    open_to_remote: bool | None = None
    work_authorization: list[str] = Field(default_factory=list)
    specialisations: list[str] = Field(default_factory=list)
    mlops_evidence: list[str] = Field(default_factory=list)
    impact_evidence: list[str] = Field(default_factory=list)
    deployment_evidence: list[str] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list, description="Adversarial or hidden-text findings.")

    def skill_ids(self) -> set[str]:
        return {s.skill_id for s in self.skills}


class GatePolicy(Frozen):
    """Which requirements exclude a candidate outright; the others only lower the score."""

    strict_must_haves: bool = False
    location: bool = False
    work_authorization: bool = False
    degree: bool = False
    level: bool = False


class Requirement(Frozen):
    skill_id: str
    name: str
    evidence: str | None = None


class JobProfile(Frozen):
    job_id: str
    version: int = 0
    title: str
    skills: list[SkillMention] = Field(default_factory=list)
    must_have: list[Requirement] = Field(default_factory=list)
    nice_to_have: list[Requirement] = Field(default_factory=list)
    min_years: float | None = None
    degree: Degree = Degree.NONE
    degree_equivalent_ok: bool = True
    seniority: Seniority | None = None
    location: str | None = None
    remote_policy: RemotePolicy | None = None
    requires_work_authorization: bool = False
    offers_sponsorship: bool | None = None
    requires_clearance: bool = False
    archetype: ArchetypeGuess
    specialisations: list[str] = Field(default_factory=list)
    wants_mlops: bool = False
    wants_impact: bool = False
    clarity_warnings: list[str] = Field(default_factory=list)
    weights: dict[str, float] = Field(default_factory=dict, description="Per-job overrides of score weights.")
    gates: GatePolicy = GatePolicy()
    top_k: int | None = None
