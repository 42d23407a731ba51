"""Event payloads, version 1.

Every model ignores unknown fields so producers can add fields before consumers
know them. Kafka keys are the entity ids (``candidate_id`` / ``job_id``), which keeps
all events of one entity on one partition, in order.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

EntityId = Annotated[
    str,
    Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$"),
]
RemotePolicy = Literal["onsite", "hybrid", "remote"]
Seniority = Literal["intern", "new_grad", "junior", "mid", "senior", "staff"]


class Event(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ResumeFile(Event):
    filename: str = Field(min_length=1, max_length=255)
    content_base64: str

    @field_validator("content_base64")
    @classmethod
    def _is_base64(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("content_base64 is not valid base64") from exc
        return value

    def content(self) -> bytes:
        return base64.b64decode(self.content_base64)


Sex = Literal["Male", "Female", "Decline to answer"]
RaceEthnicity = Literal[
    "Hispanic or Latino",
    "White",
    "Black or African American",
    "Native Hawaiian or Pacific Islander",
    "Asian",
    "Native American or Alaska Native",
    "Two or More Races",
    "Decline to answer",
]


class DemographicsV1(Event):
    """Self-reported, voluntary, for bias audits only (NYC LL144 categories). Ingest stores it
    apart from the profile; it is never embedded, scored or shown to recruiters."""

    sex: Sex | None = None
    race_ethnicity: RaceEthnicity | None = None


class CandidateSubmittedV1(Event):
    """A new or updated résumé. A higher ``version`` replaces a lower one."""

    candidate_id: EntityId
    resume_text: str | None = None
    resume_file: ResumeFile | None = None
    location: str | None = None
    preferred_locations: list[str] = Field(default_factory=list)
    open_to_remote: bool | None = None
    version: int = Field(default=0, ge=0, description="Monotonic per candidate; older versions are ignored.")
    occurred_at: datetime | None = None
    demographics: DemographicsV1 | None = Field(
        default=None, description="Optional self-reported data for bias audits; never used for matching."
    )

    @model_validator(mode="after")
    def _has_resume(self) -> CandidateSubmittedV1:
        if not (self.resume_text and self.resume_text.strip()) and self.resume_file is None:
            raise ValueError("one of resume_text or resume_file is required")
        return self


class CandidateErasedV1(Event):
    """Right to erasure: remove every trace of the candidate."""

    candidate_id: EntityId
    occurred_at: datetime | None = None


class JobGates(Event):
    """Which requirements exclude a candidate (True) rather than lower the score."""

    strict_must_haves: bool = False
    location: bool = False
    work_authorization: bool = False
    degree: bool = False
    level: bool = False


class JobPostedV1(Event):
    """A new or updated job description. Explicit fields override what is parsed from the text."""

    job_id: EntityId
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(min_length=1)
    location: str | None = None
    remote_policy: RemotePolicy | None = None
    must_have_skills: list[str] | None = None
    nice_to_have_skills: list[str] | None = None
    seniority: Seniority | None = None
    min_years: float | None = Field(default=None, ge=0, le=50)
    weights: dict[str, float] | None = Field(default=None, description="Per-job score weights by component.")
    gates: JobGates | None = None
    top_k: int | None = Field(default=None, ge=1, le=1000)
    version: int = Field(default=0, ge=0)
    occurred_at: datetime | None = None


class JobClosedV1(Event):
    job_id: EntityId
    occurred_at: datetime | None = None


class MatchRequestedV1(Event):
    """Ask for a fresh shortlist for a job."""

    job_id: EntityId
    top_k: int | None = Field(default=None, ge=1, le=1000)
    request_id: str | None = None
    occurred_at: datetime | None = None


class CandidateIndexedV1(Event):
    candidate_id: EntityId
    version: int
    event_id: str
    indexed_at: datetime
    chunks: int
    skills: list[str]
    archetype: str
    seniority: str | None = None
    model: str
    taxonomy_version: str
    flags: list[str] = Field(default_factory=list)


class JobIndexedV1(Event):
    job_id: EntityId
    version: int
    event_id: str
    indexed_at: datetime
    title: str
    archetype: str
    must_have_skills: list[str]
    nice_to_have_skills: list[str]
    clarity_warnings: list[str] = Field(default_factory=list)
    model: str
    taxonomy_version: str


class SkillEvidenceV1(Event):
    skill: str
    evidence: str | None = None


class GateResultV1(Event):
    gate: str
    passed: bool
    enforced: bool
    detail: str


class ShortlistEntryV1(Event):
    candidate_id: EntityId
    rank: int = Field(ge=1)
    score: float
    components: dict[str, float]
    matched_must_have: list[SkillEvidenceV1] = Field(default_factory=list)
    matched_nice_to_have: list[SkillEvidenceV1] = Field(default_factory=list)
    missing_must_have: list[str] = Field(default_factory=list)
    gates: list[GateResultV1] = Field(default_factory=list)
    archetype: str | None = None
    reason: str
    candidate_version: int = 0


class ShortlistPublishedV1(Event):
    shortlist_id: str = Field(description="Deterministic: the same inputs give the same id.")
    job_id: EntityId
    job_version: int
    generated_at: datetime
    trigger: Literal["job_indexed", "match_requested", "candidate_indexed", "candidate_erased"]
    model: str
    taxonomy_version: str
    top_k: int
    candidates: list[ShortlistEntryV1]
    clarity_warnings: list[str] = Field(default_factory=list)


class GateOutcomeV1(Event):
    gate: str
    passed: bool
    enforced: bool


class ConsideredCandidateV1(Event):
    """One scored candidate of a decision, shortlisted or not, at full precision."""

    candidate_id: EntityId
    candidate_version: int
    profile_sha256: str = Field(description="Digest of the stored profile that was scored.")
    semantic: float = Field(description="Raw cosine similarity of the job and candidate vectors.")
    score: float
    components: dict[str, float]
    gates: list[GateOutcomeV1] = Field(default_factory=list)
    excluded: bool
    shortlisted: bool
    rank: int | None = Field(default=None, ge=1)


class DecisionRecordedV1(Event):
    """What the matcher decided for one job: the published shortlist plus the whole scored pool,
    with everything needed to reproduce each score (``rolefit explain``) and audit selection rates."""

    decision_id: str = Field(description="Deterministic over the shortlist, trigger, time and pool.")
    shortlist_id: str
    job_id: EntityId
    job_version: int
    job_profile_sha256: str
    trigger: Literal["job_indexed", "match_requested", "candidate_indexed", "candidate_erased"]
    generated_at: datetime
    model: str
    model_sha256: str = Field(description="Digest of the embedding model's files (see model_fingerprint).")
    taxonomy_version: str
    top_k: int
    weights: dict[str, float] = Field(description="The job's weights after its overrides, normalised.")
    effective_weights: dict[str, float] = Field(default_factory=dict)
    considered: list[ConsideredCandidateV1]


ALL_EVENTS: tuple[type[Event], ...] = (
    CandidateSubmittedV1,
    CandidateErasedV1,
    JobPostedV1,
    JobClosedV1,
    MatchRequestedV1,
    CandidateIndexedV1,
    JobIndexedV1,
    ShortlistPublishedV1,
    DecisionRecordedV1,
)
