"""Decision records: the published shortlist plus the whole scored pool, for audits and ``explain``.

Each considered candidate is kept at full precision with the raw semantic similarity, so a score
can be recomputed from the stored profiles with ``score_match`` and compared exactly; the profile
digests say whether the stored profiles are still the ones that were scored. The pool, not only
the top-k, is what a selection-rate audit needs. No demographics, résumé text or evidence goes in.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from pydantic import BaseModel, TypeAdapter

from schemas.events import ConsideredCandidateV1, DecisionRecordedV1, ShortlistPublishedV1
from services.core.match_result import MatchResult, Rating
from services.core.model import CandidateProfile, JobProfile
from services.core.weights import Weights
from services.platform.decision_log import DecisionFile
from services.platform.model_fingerprint import model_sha256
from services.platform.settings import Settings
from services.platform.store.layout import text_sha256

_POOL = TypeAdapter(list[ConsideredCandidateV1])  # a decision's pool, validated in one call


@dataclass(frozen=True)
class Scored:
    semantic: float  # the raw cosine the score was computed from
    profile: CandidateProfile
    result: MatchResult | Rating  # a pool's candidates are rated (``JobScorer.rate``)
    profile_sha256: str | None = None  # the profile's digest, if the caller has it already


def profile_sha256(profile: BaseModel) -> str:
    """Digest of a profile's JSON (fields in model order), the text ingest stores it as; a stored
    profile's digest is taken over its stored text (``layout.read_profile``), which is the same
    unless the model gained fields since: explain then refuses (safe), it never reproduces wrongly."""
    return text_sha256(profile.model_dump_json())


def to_decision(
    job: JobProfile,
    scored: Sequence[Scored],
    shortlist: ShortlistPublishedV1,
    weights: Weights,
    model_sha256: str,
    job_sha256: str | None = None,
) -> DecisionRecordedV1:
    """``job_sha256``: the stored job profile's digest, if the caller has it already.

    The pool is laid out as the JSON its records carry and validated in one call: building ~200
    nested models one by one and dumping each again for the id was ~4 of the record's ~21 ms at
    100k candidates, on a box without AVX-512 (half of the rest is the id's ``json.dumps``)."""
    ranks = {entry.candidate_id: entry.rank for entry in shortlist.candidates}
    considered = [
        {
            "candidate_id": (r := s.result).candidate_id,
            "candidate_version": r.candidate_version,
            "profile_sha256": s.profile_sha256 or profile_sha256(s.profile),
            "semantic": float(s.semantic),
            "score": r.score,
            "components": dict(sorted(r.components.items())),
            "gates": [{"gate": g.gate, "passed": g.passed, "enforced": g.enforced} for g in r.gates],
            "excluded": r.excluded,
            "shortlisted": r.candidate_id in ranks,
            "rank": ranks.get(r.candidate_id),
        }
        for s in sorted(scored, key=lambda s: s.result.candidate_id)
    ]
    # Replays of one trigger record give the same id (and Kafka key); any other decision a new one.
    # The id is over each considered candidate's JSON as recorded (a test holds the two equal).
    identity = [shortlist.shortlist_id, shortlist.trigger, shortlist.generated_at.isoformat(), considered]
    return DecisionRecordedV1(
        decision_id=hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:32],
        shortlist_id=shortlist.shortlist_id,
        job_id=job.job_id,
        job_version=job.version,
        job_profile_sha256=job_sha256 or profile_sha256(job),
        trigger=shortlist.trigger,
        generated_at=shortlist.generated_at,
        model=shortlist.model,
        model_sha256=model_sha256,
        taxonomy_version=shortlist.taxonomy_version,
        top_k=shortlist.top_k,
        weights=weights.as_dict(),
        # Effective weights depend on the job only (which components it asks about).
        effective_weights=dict(scored[0].result.weights) if scored else {},
        considered=_POOL.validate_python(considered),
    )


def decision_key(record: DecisionRecordedV1) -> bytes:
    return f"{record.job_id}:{record.decision_id}".encode()


class DecisionBook:
    """The decisions behind shortlists computed but not yet recorded, a few per job.

    A decision is found again by what its shortlist says (id, trigger, time), so two handlers
    computing the same job at once each get their own. Shortlists computed but never published
    (a re-match the candidate does not enter) are never taken: only the last ``PER_JOB`` are kept,
    which bounds memory by the number of jobs."""

    PER_JOB = 4

    def __init__(
        self, model_sha256: Callable[[], str] = lambda: "unrecorded", log: DecisionFile | None = None
    ):
        self._model_sha256 = model_sha256
        self._digest: str | None = None
        self.log = log
        self._pending: dict[str, OrderedDict[tuple[str, str, datetime], DecisionRecordedV1]] = {}
        self._lock = threading.Lock()

    def model_sha256(self) -> str:
        if self._digest is None:
            self._digest = self._model_sha256()
        return self._digest

    def add(self, record: DecisionRecordedV1) -> None:
        with self._lock:
            waiting = self._pending.setdefault(record.job_id, OrderedDict())
            waiting[(record.shortlist_id, record.trigger, record.generated_at)] = record
            while len(waiting) > self.PER_JOB:
                waiting.popitem(last=False)

    def take(self, shortlist: ShortlistPublishedV1) -> DecisionRecordedV1:
        """The decision behind `shortlist`; LookupError (a retry recomputes it) if it was dropped."""
        key = (shortlist.shortlist_id, shortlist.trigger, shortlist.generated_at)
        with self._lock:
            record = self._pending.get(shortlist.job_id, OrderedDict()).pop(key, None)
        if record is None:
            raise LookupError(f"no pending decision for shortlist {shortlist.shortlist_id}")
        return record

    def write(self, *records: DecisionRecordedV1) -> list[tuple[DecisionRecordedV1, bytes]]:
        """Appends the records' JSON to the local log, if any, with one fsync (blocking: run in a
        thread). Returns each record and that JSON, which the topic gets byte for byte:
        serialising a record of ~220 candidates once more took ~0.7 ms of the event loop per
        shortlist."""
        written = [(record, record.model_dump_json().encode()) for record in records]
        if self.log is not None and written:
            self.log.append(*(record_json for _, record_json in written))
        return written


def decision_book(settings: Settings) -> DecisionBook:
    """The book a matcher process records with: the model digest, and a local log in embedded mode."""
    path = settings.audit.decision_log_path(settings.qdrant)
    return DecisionBook(partial(model_sha256, settings.model), DecisionFile(path) if path else None)
