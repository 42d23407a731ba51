"""A store holding N synthetic candidates and M jobs, for the matcher benchmarks.

Candidates: the bundled résumés go through the real ``Ingest`` once (with ``RandomEmbedder``);
their stored profile payloads are then copied under new ids, each with a random unit vector, and
written straight into the store — profile points only, no chunk points (matching reads profiles).
Jobs: the bundled job descriptions, varied by id, indexed through ``Ingest.index_job``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from benchmarks.perf import RandomEmbedder, unit_vectors
from services import samples
from services.core.model import CandidateProfile
from services.core.scoring import ImpliedSkills
from services.core.taxonomy import Taxonomy
from services.ingest.app import build_ingest
from services.ingest.usecases import Ingest
from services.platform.settings import Settings
from services.platform.store import layout
from services.platform.store.factory import open_store
from services.platform.store.port import Payload, Point, VectorStore, Where
from services.platform.store.scoring_view import Parsed

AT = datetime(2024, 1, 1, tzinfo=UTC)
_BATCH = 5_000  # points per upsert: one store call (and WAL append) each


def bench_settings(folder: Path) -> Settings:
    settings = Settings()
    settings.qdrant.url, settings.qdrant.path = None, folder
    return settings


def templates(ingest: Ingest) -> list[Payload]:
    for candidate in samples.load_candidates():
        ingest.index_candidate(candidate, AT)
    points = ingest.store.scroll(ingest.collections.candidates, layout.PROFILES)
    return [p.payload for p in sorted(points, key=lambda p: p.id)]


def synthetic_points(
    payloads: list[Payload], first: int, vectors: np.ndarray, taxonomy: Taxonomy
) -> list[Point]:
    profiles = [layout.read_profile(p, CandidateProfile)[0] for p in payloads]
    indexes = [Parsed.read(p[layout.PROFILE_JSON], ImpliedSkills(taxonomy)).index for p in payloads]
    points = []
    for offset, vector in enumerate(vectors):
        candidate_id = f"syn-{first + offset:07d}"
        template = (first + offset) % len(payloads)
        profile = profiles[template].model_copy(update={"candidate_id": candidate_id})
        text = profile.model_dump_json()
        # What ingest stores as the scoring view, the template's skill index reused (ids do not change it).
        bare = profile.model_copy(update={"skills": []})
        parsed = Parsed(bare, layout.text_sha256(text), indexes[template])
        payload = {**payloads[template], "entity_id": candidate_id, layout.PROFILE_JSON: text,
                   layout.SCORING_JSON: parsed.view(taxonomy.version)}  # fmt: skip
        points.append(Point(layout.point_id("candidate", candidate_id), payload, vector.tolist()))
    return points


def prepare(folder: Path, seed: int = 3) -> tuple[Settings, Ingest, list[Payload]]:
    """The fixed part: store open, collections made, template profiles built (then removed)."""
    settings = bench_settings(folder)
    store = open_store(settings.qdrant)
    ingest = build_ingest(settings, store, RandomEmbedder(seed=seed))
    payloads = templates(ingest)
    store.delete(ingest.collections.candidates, layout.PROFILES)
    store.delete(ingest.collections.candidates, Where(must={"doc": "chunk"}))
    return settings, ingest, payloads


def fill(ingest: Ingest, payloads: list[Payload], candidates: int, jobs: int, seed: int = 3) -> list[str]:
    """Writes the candidates and indexes the jobs; returns the job ids."""
    rng = np.random.default_rng(seed)
    for first in range(0, candidates, _BATCH):
        vectors = unit_vectors(min(_BATCH, candidates - first), 384, rng)
        points = synthetic_points(payloads, first, vectors, ingest.taxonomy)
        ingest.store.upsert(ingest.collections.candidates, points)
    bundled = samples.load_jobs()
    job_ids = []
    for i in range(jobs):
        job = bundled[i % len(bundled)].model_copy(update={"job_id": f"job-{i:04d}"})
        ingest.index_job(job, AT)
        job_ids.append(job.job_id)
    return job_ids


def build(folder: Path, candidates: int, jobs: int) -> tuple[Settings, VectorStore, list[str]]:
    """Returns the settings, the open store and the job ids."""
    settings, ingest, payloads = prepare(folder)
    return settings, ingest.store, fill(ingest, payloads, candidates, jobs)
