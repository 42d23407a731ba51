"""Ingest use-cases: event → text → profile → chunks → vectors → store → indexed event.

Synchronous and free of Kafka: handlers run them in a worker thread, and
``rolefit rank`` calls them directly.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from pydantic import BaseModel

from schemas.events import CandidateIndexedV1, CandidateSubmittedV1, JobIndexedV1, JobPostedV1
from services.core.adversarial import defuse
from services.core.candidates import build_candidate_profile
from services.core.documents import DocumentError, DocumentLimits, normalise_text, read_document
from services.core.model import CandidateProfile, RemotePolicy, Seniority
from services.core.redaction import redact
from services.core.requirements import parse_job
from services.core.taxonomy import Taxonomy
from services.ingest.erasure import ErasureLedger, erase
from services.platform.demographics import DemographicsStore
from services.platform.embedder import Embedder, mean_vector
from services.platform.store import layout
from services.platform.store.layout import Collections
from services.platform.store.port import VectorStore
from services.platform.store.scoring_view import scoring_view

_EVENT_NAMESPACE = uuid.UUID("0b6c0f4e-2a51-4f0e-8a43-7f1d2c9e5a11")


class PreparedResume(NamedTuple):
    """What indexing needs from a résumé before the model: the text to embed and its profile."""

    text: str
    profile: CandidateProfile


def prepare_candidate(
    event: CandidateSubmittedV1, taxonomy: Taxonomy, limits: DocumentLimits, blind: bool
) -> PreparedResume:
    """Document → text → profile. Pure and picklable in and out, so it can run in another process."""
    text, findings = _candidate_text(event, limits)
    defused = defuse(text)  # instructions to an AI reader and stuffed keywords: no text, no vector
    text, findings = defused.text, [*findings, *defused.findings]
    if blind:
        text = redact(text).text
    profile = build_candidate_profile(
        event.candidate_id,
        text,
        taxonomy=taxonomy,
        version=event.version,
        location=event.location,
        preferred_locations=event.preferred_locations,
        open_to_remote=event.open_to_remote,
    )
    return PreparedResume(text, profile.model_copy(update={"flags": [*profile.flags, *findings]}))


def _candidate_text(event: CandidateSubmittedV1, limits: DocumentLimits) -> tuple[str, list[str]]:
    if event.resume_file is not None:
        document = read_document(event.resume_file.filename, event.resume_file.content(), limits)
        return document.text, list(document.findings)
    raw = event.resume_text or ""
    if len(raw.encode("utf-8")) > limits.max_bytes:
        raise DocumentError("too_large", f"resume_text is over {limits.max_bytes} bytes")
    return normalise_text(raw)


@dataclass
class Ingest:
    store: VectorStore
    embedder: Embedder
    taxonomy: Taxonomy
    collections: Collections
    limits: DocumentLimits = field(default_factory=DocumentLimits)
    blind: bool = True
    ledger: ErasureLedger = field(init=False)
    demographics: DemographicsStore = field(init=False)

    def __post_init__(self) -> None:
        self.ledger = ErasureLedger(self.store, self.collections.erasures)
        self.demographics = DemographicsStore(self.store, self.collections.demographics)

    def index_candidate(
        self, event: CandidateSubmittedV1, at: datetime, prepared: Callable[[], PreparedResume] | None = None
    ) -> CandidateIndexedV1 | None:
        """Returns None when a newer version is already stored (late, older event). ``prepared``
        gives the résumé already prepared elsewhere (a parse process); by default it is prepared here."""
        if self._is_stale(self.collections.candidates, "candidate", event.candidate_id, event.version):
            return None
        if self.ledger.refuses(event.candidate_id, event.version, at):
            return None  # erased; see services/ingest/erasure.py for when a candidate may return
        text, profile = (
            prepared() if prepared else prepare_candidate(event, self.taxonomy, self.limits, self.blind)
        )
        skills = sorted(self.taxonomy.closure(profile.skill_ids()))
        chunks = self._write(
            "candidate", self.collections.candidates, event.candidate_id, event.version, text,
            profile, skills, profile.archetype.archetype.value, at,
        )  # fmt: skip
        self.demographics.record(event.candidate_id, event.version, event.demographics)  # never profiled
        return CandidateIndexedV1(
            candidate_id=event.candidate_id,
            version=event.version,
            event_id=event_id("candidate", event.candidate_id, event.version, text),
            indexed_at=at,
            chunks=chunks,
            skills=sorted(profile.skill_ids()),
            archetype=profile.archetype.archetype.value,
            seniority=profile.seniority.value if profile.seniority else None,
            model=self.embedder.name,
            taxonomy_version=self.taxonomy.version,
            flags=profile.flags,
        )

    def index_job(self, event: JobPostedV1, at: datetime) -> JobIndexedV1 | None:
        if self._is_stale(self.collections.jobs, "job", event.job_id, event.version):
            return None
        description, _ = normalise_text(event.description)
        job = parse_job(
            event.job_id,
            event.title,
            description,
            taxonomy=self.taxonomy,
            version=event.version,
            location=event.location,
            remote_policy=RemotePolicy(event.remote_policy) if event.remote_policy else None,
            must_have_skills=event.must_have_skills,
            nice_to_have_skills=event.nice_to_have_skills,
            seniority=Seniority(event.seniority) if event.seniority else None,
            min_years=event.min_years,
            weights=event.weights,
            gates=event.gates.model_dump() if event.gates else None,
            top_k=event.top_k,
        )
        text = f"{event.title}\n\n{description}"
        skills = sorted(self.taxonomy.closure(r.skill_id for r in job.must_have + job.nice_to_have))
        self._write(
            "job", self.collections.jobs, event.job_id, event.version, text,
            job, skills, job.archetype.archetype.value, at,
        )  # fmt: skip
        return JobIndexedV1(
            job_id=event.job_id,
            version=event.version,
            event_id=event_id("job", event.job_id, event.version, text),
            indexed_at=at,
            title=event.title,
            archetype=job.archetype.archetype.value,
            must_have_skills=[r.skill_id for r in job.must_have],
            nice_to_have_skills=[r.skill_id for r in job.nice_to_have],
            clarity_warnings=job.clarity_warnings,
            model=self.embedder.name,
            taxonomy_version=self.taxonomy.version,
        )

    def close_job(self, job_id: str) -> bool:
        """Marks the job closed so matching skips it; the profile stays for audit."""
        found = self.store.retrieve(
            self.collections.jobs, [layout.point_id("job", job_id)], with_vectors=True
        )
        if not found:
            return False
        point = found[0]
        self.store.upsert(
            self.collections.jobs,
            [type(point)(point.id, {**point.payload, "status": "closed"}, point.vector)],
        )
        return True

    def erase_candidate(self, candidate_id: str, at: datetime) -> bool:
        """Every point of the candidate goes; False when the erasure predates the stored profile."""
        erased = erase(self.store, self.collections.candidates, self.ledger, candidate_id, at)
        if erased:
            self.demographics.delete(candidate_id)
        return erased

    def _is_stale(self, collection: str, kind: layout.Kind, entity_id: str, version: int) -> bool:
        stored = self.store.retrieve(collection, [layout.point_id(kind, entity_id)])
        return bool(stored) and int(stored[0].payload.get("version", 0)) > version

    def _write(
        self, kind: layout.Kind, collection: str, entity_id: str, version: int, text: str,
        profile: BaseModel, skills: list[str], archetype: str, at: datetime,
    ) -> int:  # fmt: skip
        chunks = self.embedder.chunk(text)
        if not chunks:
            raise DocumentError("empty", "the document has no readable text")
        vectors = self.embedder.embed(chunks)
        produced_by = layout.fingerprint(self.embedder.name, self.taxonomy.version)
        points = layout.chunk_points(kind, entity_id, version, chunks, vectors.tolist(), produced_by)
        mean, submitted, profile_json = mean_vector(vectors), at.isoformat(), profile.model_dump_json()
        # The matcher reads candidates' scoring views: a parse done here once, not per matcher miss.
        scoring = scoring_view(profile_json, self.taxonomy) if kind == "candidate" else None
        points.append(layout.profile_point(kind, entity_id, version, mean, profile_json, skills, archetype,
                                           submitted_at=submitted, produced_by=produced_by,
                                           scoring_json=scoring))  # fmt: skip
        self.store.upsert(collection, points)
        self.store.delete(collection, layout.stale_chunks(entity_id, version))
        return len(chunks)


def event_id(kind: str, entity_id: str, version: int, text: str) -> str:
    """Same input, same id: replays are recognisable downstream."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"{kind}:{entity_id}:{version}:{digest}"))
