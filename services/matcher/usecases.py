"""Matcher use-cases: retrieve candidates for a job, score, rank, and shape the shortlist.

Retrieval is hybrid: the dense neighbours of the job's vector, plus every candidate
holding at least one must-have skill (taxonomy closure, so implied skills count),
ranked within that set by the same vector. Scoring is the explainable domain function.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import numpy as np

from schemas.events import GateResultV1, ShortlistEntryV1, ShortlistPublishedV1, SkillEvidenceV1
from services.core.model import JobProfile
from services.core.scoring import (
    JobScorer,
    RankedMatch,
    Rated,
    Weights,
    best_for_job,
    rank_jobs,
    score_match,
)
from services.core.taxonomy import Taxonomy
from services.matcher.decisions import DecisionBook, Scored, to_decision
from services.matcher.heap import Heap
from services.matcher.pool import Pool
from services.matcher.profile_cache import Parsed, ProfileCache, stamp_of
from services.platform.store import layout
from services.platform.store.layout import Collections
from services.platform.store.port import Point, VectorStore

Trigger = Literal["job_indexed", "match_requested", "candidate_indexed", "candidate_erased"]


@dataclass(frozen=True)
class StoredJob:
    profile: JobProfile
    vector: list[float]
    open: bool
    text: str  # the stored profile's JSON text

    @property
    def sha256(self) -> str:
        """The stored profile's digest; only a decision record needs it."""
        return layout.text_sha256(self.text)


@dataclass
class Matcher:
    store: VectorStore
    taxonomy: Taxonomy
    collections: Collections
    model_name: str
    top_k: int = 10
    retrieve_limit: int = 200
    profile_cache_size: int = 100_000  # parsed profiles kept, ~11 KB each (~1.1 GB full); 0: none
    # Last published shortlist per job: lets a new candidate skip jobs it cannot enter.
    _published: dict[str, ShortlistPublishedV1] = field(default_factory=dict)
    _closed: set[str] = field(default_factory=set)
    decisions: DecisionBook = field(default_factory=DecisionBook)  # the pool behind each shortlist
    profiles: ProfileCache = field(init=False)
    heap: Heap = field(default_factory=Heap)  # keeps full GC passes over the cache off the hot path

    def __post_init__(self) -> None:
        self.profiles = ProfileCache(self.taxonomy, self.profile_cache_size)

    def shortlist(
        self, job_id: str, trigger: Trigger, at: datetime, top_k: int | None = None
    ) -> ShortlistPublishedV1 | None:
        """None when the job is unknown or closed."""
        job = self._job(job_id)
        if job is None or not job.open or job_id in self._closed:
            return None
        k = top_k or job.profile.top_k or self.top_k
        scorer, pool = JobScorer(job.profile, self.taxonomy), self._pool(job)
        # Each candidate's numbers (all the decision record carries); the shortlisted few are
        # scored again in full, with evidence, gate details and reasons: validating those models
        # for all ~220 candidates was ~30% of scoring a pool.
        scored = [Scored(cos, p.profile, scorer.rate(p.profile, cos, p.index), p.sha256) for cos, p in pool]
        ranked = _in_full(scorer, pool, best_for_job([s.result for s in scored], k))
        shortlist = to_shortlist(job.profile, ranked, trigger, at, k, self.model_name, self.taxonomy.version)
        self._published[job_id] = shortlist
        model_sha256 = self.decisions.model_sha256()
        self.decisions.add(
            to_decision(job.profile, scored, shortlist, scorer.weights, model_sha256, job.sha256)
        )
        return shortlist

    def rematch_candidate(self, candidate_id: str, at: datetime) -> list[ShortlistPublishedV1]:
        """Updated shortlists for every open job whose top-k the candidate enters (or leaves)."""
        stored = self._candidate(candidate_id)
        if stored is None:
            return []
        parsed, vector = stored
        updates = []
        for job in self._open_jobs():
            result = JobScorer(job.profile, self.taxonomy).rate(
                parsed.profile, _cosine(job.vector, vector), parsed.index
            )
            previous = self._published.get(job.profile.job_id)
            if previous is not None and not _may_change(previous, result):
                continue
            shortlist = self.shortlist(job.profile.job_id, "candidate_indexed", at)
            if shortlist and (
                _contains(shortlist, candidate_id) or (previous and _contains(previous, candidate_id))
            ):
                updates.append(shortlist)
        return updates

    def forget_candidate(self, candidate_id: str, at: datetime) -> list[ShortlistPublishedV1]:
        """After an erasure (the points are gone): fresh shortlists for every open job whose last
        shortlist held the candidate. Jobs this process has published nothing for yet (it
        restarted) are redone too: their last shortlist on the topic may hold the candidate."""
        self.profiles.evict(candidate_id)  # the parsed copy goes with the points
        updates = []
        for job in self._open_jobs():
            previous = self._published.get(job.profile.job_id)
            if previous is not None and not _contains(previous, candidate_id):
                continue
            shortlist = self.shortlist(job.profile.job_id, "candidate_erased", at)
            if shortlist is not None:
                updates.append(shortlist)
        return updates

    def _candidate(self, candidate_id: str) -> tuple[Parsed, list[float]] | None:
        mark = self.profiles.mark()
        found = self.store.retrieve(
            self.collections.candidates, [layout.point_id("candidate", candidate_id)], True
        )
        if not found:
            return None
        point = found[0]
        parsed = self.profiles.parse(point.id, stamp_of(point.payload), point.payload, mark)
        return (parsed, point.vector or []) if parsed is not None else None

    def close(self, job_id: str) -> None:
        self._closed.add(job_id)
        self._published.pop(job_id, None)

    def jobs_for_candidate(self, candidate_id: str, top_k: int | None) -> list[RankedMatch]:
        """The reverse direction: open jobs ranked for one candidate."""
        stored = self._candidate(candidate_id)
        if stored is None:
            return []
        parsed, vector = stored
        results = [
            score_match(
                job.profile,
                parsed.profile,
                _cosine(job.vector, vector),
                self.taxonomy,
                Weights.for_job(job.profile),
                parsed.index,
            )
            for job in self._open_jobs()
        ]
        return rank_jobs(results, top_k)

    def warm_up(self, stop: threading.Event | None = None) -> int:
        """Reads the pools of the open jobs into the profile cache, job by job, until the cache is
        full or ``stop`` is set; returns how many profiles the cache holds. A matcher starts with
        an empty cache, so each job's first shortlist would read and parse its ~220 profiles
        (~30 ms of ~120 at 100k candidates, on the box without AVX-512); the service runs this in
        the background as it starts (``MatcherSettings.warm_up``)."""
        for job in self._open_jobs():
            if (stop is not None and stop.is_set()) or self.profiles.full:
                break
            self._pool(job)
        return len(self.profiles)

    def _pool(self, job: StoredJob) -> list[tuple[float, Parsed]]:
        pool = Pool(self.store, self.collections.candidates, self.profiles, self.retrieve_limit)
        candidates = pool(job.vector, [r.skill_id for r in job.profile.must_have])
        self.heap.settle(len(self.profiles))  # before scoring allocates: new profiles are long-lived
        return candidates

    def _job(self, job_id: str) -> StoredJob | None:
        found = self.store.retrieve(
            self.collections.jobs, [layout.point_id("job", job_id)], with_vectors=True
        )
        return _stored_job(found[0]) if found else None

    def _open_jobs(self) -> list[StoredJob]:
        points = self.store.scroll(self.collections.jobs, layout.OPEN_PROFILES, with_vectors=True)
        jobs = (_stored_job(p) for p in points)
        return sorted(
            (j for j in jobs if j.profile.job_id not in self._closed), key=lambda j: j.profile.job_id
        )


def _in_full(scorer: JobScorer, pool: list[tuple[float, Parsed]], best: list[Rated]) -> list[RankedMatch]:
    """The ``best`` of ``pool``, in their order, as ``scorer.score`` gives them (same numbers)."""
    by_id = {parsed.profile.candidate_id: (cos, parsed) for cos, parsed in pool}
    return [
        RankedMatch(rank=i, result=scorer.score(p.profile, cos, p.index))
        for i, (cos, p) in enumerate((by_id[r.candidate_id] for r in best), start=1)
    ]


def _stored_job(point: Point) -> StoredJob:
    profile, text = layout.read_profile(point.payload, JobProfile)
    return StoredJob(profile, point.vector or [], point.payload.get("status") == "open", text)


def _cosine(a: list[float], b: list[float]) -> float:
    return float(np.dot(np.asarray(a, dtype=np.float32), np.asarray(b, dtype=np.float32))) if a and b else 0.0


def _contains(shortlist: ShortlistPublishedV1, candidate_id: str) -> bool:
    return any(entry.candidate_id == candidate_id for entry in shortlist.candidates)


def _may_change(previous: ShortlistPublishedV1, result: Rated) -> bool:
    if _contains(previous, result.candidate_id):
        return True
    if result.excluded:
        return False
    return len(previous.candidates) < previous.top_k or result.score >= previous.candidates[-1].score


def to_shortlist(
    job: JobProfile,
    ranked: list[RankedMatch],
    trigger: Trigger,
    at: datetime,
    top_k: int,
    model: str,
    taxonomy_version: str,
) -> ShortlistPublishedV1:
    entries = [to_entry(r) for r in ranked]
    identity = json.dumps(
        [
            job.job_id,
            job.version,
            model,
            taxonomy_version,
            [(e.candidate_id, e.candidate_version, e.score) for e in entries],
        ]
    )
    return ShortlistPublishedV1(
        shortlist_id=hashlib.sha256(identity.encode()).hexdigest()[:32],
        job_id=job.job_id,
        job_version=job.version,
        generated_at=at,
        trigger=trigger,
        model=model,
        taxonomy_version=taxonomy_version,
        top_k=top_k,
        candidates=entries,
        clarity_warnings=job.clarity_warnings,
    )


def to_entry(ranked: RankedMatch) -> ShortlistEntryV1:
    r = ranked.result
    return ShortlistEntryV1(
        candidate_id=r.candidate_id,
        rank=ranked.rank,
        score=round(r.score, 6),
        components={k: round(v, 6) for k, v in sorted(r.components.items())},
        matched_must_have=[SkillEvidenceV1(skill=q.name, evidence=q.evidence) for q in r.matched_must_have],
        matched_nice_to_have=[
            SkillEvidenceV1(skill=q.name, evidence=q.evidence) for q in r.matched_nice_to_have
        ],
        missing_must_have=list(r.missing_must_have),
        gates=[
            GateResultV1(gate=g.gate, passed=g.passed, enforced=g.enforced, detail=g.detail) for g in r.gates
        ],
        archetype=r.candidate_archetype,
        reason=r.reason,
        candidate_version=r.candidate_version,
    )
