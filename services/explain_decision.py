"""``rolefit explain``: reproduce one recorded score from the decision log and the stored profiles.

The recorded raw semantic similarity and weights go back into ``score_match`` with the profiles
now in the store. That is only the same computation if those profiles are the ones that were
scored, so versions and digests are checked first; then score, components, exclusion, gate
outcomes and effective weights must agree (score to ``TOLERANCE``). Anything else is reported as
not reproducible, with the reason, never papered over.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from schemas.events import ConsideredCandidateV1, DecisionRecordedV1
from services.core.match_result import MatchResult
from services.core.model import CandidateProfile, JobProfile
from services.core.scoring import Weights, score_match
from services.core.taxonomy import Taxonomy
from services.platform.store import layout
from services.platform.store.layout import Collections, M
from services.platform.store.port import VectorStore

TOLERANCE = 1e-9


class NotReproducible(Exception):
    """The recorded score cannot be (or was not) reproduced; the message says why."""


@dataclass(frozen=True)
class Reproduced:
    decision: DecisionRecordedV1
    entry: ConsideredCandidateV1
    result: MatchResult
    job: JobProfile
    candidate: CandidateProfile

    @property
    def delta(self) -> float:
        return abs(self.result.score - self.entry.score)


def find(
    decisions: Sequence[DecisionRecordedV1], job_id: str, candidate_id: str, decision_id: str | None = None
) -> tuple[DecisionRecordedV1, ConsideredCandidateV1]:
    """The latest decision for the job that considered the candidate (or the one whose id starts
    with `decision_id`)."""
    for decision in sorted(decisions, key=lambda d: d.generated_at, reverse=True):
        if decision.job_id != job_id or (decision_id and not decision.decision_id.startswith(decision_id)):
            continue
        entry = next((c for c in decision.considered if c.candidate_id == candidate_id), None)
        if entry is not None:
            return decision, entry
    which = f"decision {decision_id}" if decision_id else "any recorded decision"
    raise NotReproducible(f"{candidate_id} was not considered for {job_id} in {which}")


def _stored(
    store: VectorStore, collection: str, kind: layout.Kind, entity_id: str, model: type[M]
) -> tuple[M, str]:
    """The stored profile and its digest."""
    found = store.retrieve(collection, [layout.point_id(kind, entity_id)])
    if not found:
        raise NotReproducible(f"{kind} {entity_id} is no longer stored (closed and purged, or erased)")
    profile, text = layout.read_profile(found[0].payload, model)
    return profile, layout.text_sha256(text)


def _check_same(kind: str, entity_id: str, version: int, digest: str, recorded: tuple[int, str]) -> None:
    if (version, digest) != recorded:
        raise NotReproducible(
            f"the stored {kind} profile of {entity_id} (version {version}, digest {digest[:12]}) is not "
            f"the one scored (version {recorded[0]}, digest {recorded[1][:12]}): it changed since"
        )


def reproduce(
    decision: DecisionRecordedV1,
    entry: ConsideredCandidateV1,
    store: VectorStore,
    collections: Collections,
    taxonomy: Taxonomy,
) -> Reproduced:
    if taxonomy.version != decision.taxonomy_version:
        used = decision.taxonomy_version
        raise NotReproducible(f"taxonomy {taxonomy.version} is loaded; the decision used {used}")
    job, job_sha256 = _stored(store, collections.jobs, "job", decision.job_id, JobProfile)
    _check_same("job", job.job_id, job.version, job_sha256,
                (decision.job_version, decision.job_profile_sha256))  # fmt: skip
    candidate, candidate_sha256 = _stored(
        store, collections.candidates, "candidate", entry.candidate_id, CandidateProfile
    )
    _check_same("candidate", candidate.candidate_id, candidate.version, candidate_sha256,
                (entry.candidate_version, entry.profile_sha256))  # fmt: skip
    result = score_match(job, candidate, entry.semantic, taxonomy, Weights(**decision.weights))
    problems = _differences(result, entry, decision)
    if problems:
        raise NotReproducible("recomputed score differs from the record: " + "; ".join(problems))
    return Reproduced(decision, entry, result, job, candidate)


def _differences(
    result: MatchResult, entry: ConsideredCandidateV1, decision: DecisionRecordedV1
) -> list[str]:
    problems = []
    if abs(result.score - entry.score) > TOLERANCE:
        problems.append(f"score {result.score!r} vs {entry.score!r} recorded")
    for key in sorted(set(result.components) | set(entry.components)):
        a, b = result.components.get(key), entry.components.get(key)
        if a is None or b is None or abs(a - b) > TOLERANCE:
            problems.append(f"{key} {a!r} vs {b!r} recorded")
    if result.excluded != entry.excluded:
        problems.append(f"excluded {result.excluded} vs {entry.excluded} recorded")
    gates = [(g.gate, g.passed, g.enforced) for g in result.gates]
    if gates != [(g.gate, g.passed, g.enforced) for g in entry.gates]:
        problems.append("gate outcomes differ")
    weights = decision.effective_weights
    if weights and any(abs(result.weights.get(k, 0.0) - w) > TOLERANCE for k, w in weights.items()):
        problems.append("effective weights differ")
    return problems
