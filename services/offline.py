"""``rolefit rank``: batch ranking through the same use-cases, an embedded store and no Kafka."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from schemas.events import CandidateSubmittedV1, JobPostedV1
from services.core.documents import DocumentError
from services.ingest.app import build_ingest
from services.matcher.app import build_matcher
from services.matcher.usecases import to_entry
from services.platform.dead_letters import describe
from services.platform.embedder import Embedder, SentenceTransformerEmbedder
from services.platform.settings import Settings
from services.platform.store.factory import open_store

M = TypeVar("M", bound=BaseModel)
# Outputs carry no wall-clock time: the same input gives byte-identical output.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class InputError(ValueError):
    """One or more input lines are unusable; the message names each file and line."""


@dataclass(frozen=True)
class RankRequest:
    jobs: Path
    candidates: Path
    top_k: int
    reverse: bool = False


def read_events(path: Path, model: type[M]) -> list[tuple[int, M]]:
    events: list[tuple[int, M]] = []
    errors: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            events.append((number, model.model_validate_json(line)))
        except ValidationError as exc:
            errors.append(f"{path}:{number}: {describe(exc)}")
    if errors:
        raise InputError("\n".join(errors))
    return events


def rank_files(
    request: RankRequest, settings: Settings, embedder: Embedder | None = None
) -> Iterator[dict[str, Any]]:
    jobs = read_events(request.jobs, JobPostedV1)
    candidates = read_events(request.candidates, CandidateSubmittedV1)
    with tempfile.TemporaryDirectory(prefix="rolefit-rank-") as folder:
        settings = settings.model_copy(deep=True)
        settings.qdrant.url = None
        settings.qdrant.path = Path(folder)
        # top-k 0 means everyone: retrieve the whole pool.
        settings.matcher.retrieve_limit = max(settings.matcher.retrieve_limit, len(candidates))
        store = open_store(settings.qdrant)
        try:
            ingest = build_ingest(settings, store, embedder or SentenceTransformerEmbedder(settings.model))
            errors = [
                *_index_all(request.candidates, candidates, lambda e: ingest.index_candidate(e, EPOCH)),
                *_index_all(request.jobs, jobs, lambda e: ingest.index_job(e, EPOCH)),
            ]
            if errors:
                raise InputError("\n".join(errors))
            matcher = build_matcher(settings, store)
            yield from (
                _reverse(matcher, candidates, request.top_k)
                if request.reverse
                else _forward(matcher, jobs, request.top_k)
            )
        finally:
            store.close()


def _index_all(path: Path, events: list[tuple[int, M]], index: Callable[[M], object]) -> list[str]:
    """Index every event; a document that cannot be read is reported with its line."""
    errors = []
    for number, event in events:
        try:
            index(event)
        except DocumentError as exc:
            errors.append(f"{path}:{number}: {exc}")
    return errors


def _forward(matcher: Any, jobs: list[tuple[int, JobPostedV1]], top_k: int) -> Iterator[dict[str, Any]]:
    for _, job in jobs:
        shortlist = matcher.shortlist(job.job_id, "match_requested", EPOCH, top_k or 1_000_000)
        if shortlist is None:
            continue
        yield {
            "job_id": job.job_id,
            "clarity_warnings": shortlist.clarity_warnings,
            "candidates": [entry.model_dump(mode="json") for entry in shortlist.candidates],
        }


def _reverse(
    matcher: Any, candidates: list[tuple[int, CandidateSubmittedV1]], top_k: int
) -> Iterator[dict[str, Any]]:
    for _, candidate in candidates:
        ranked = matcher.jobs_for_candidate(candidate.candidate_id, top_k or None)
        jobs = []
        for item in ranked:
            entry = to_entry(item).model_dump(mode="json")
            entry.pop("candidate_id")
            jobs.append({"job_id": item.result.job_id, **entry})
        yield {"candidate_id": candidate.candidate_id, "jobs": jobs}


def write_jsonl(lines: Iterator[dict[str, Any]], output: Path) -> int:
    """All lines or nothing: ``lines`` is computed as it is written, and a ranking that fails
    midway must not leave a partial file where a finished one is expected."""
    partial = output.with_name(f".{output.name}.partial")
    count = 0
    try:
        with partial.open("w", encoding="utf-8") as handle:
            for line in lines:
                handle.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
                count += 1
        partial.replace(output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return count
