"""Files ``rolefit ingest`` reads: résumés (.txt/.md/.pdf/.docx, id = file stem) and job
descriptions (.json: one payload or a list; .jsonl: one payload per line), as (topic, key, event)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

from schemas.topics import Topics
from services.samples import BINARY_SUFFIXES, TEXT_SUFFIXES, candidate_from_file, job_from_mapping

RESUME_SUFFIXES = TEXT_SUFFIXES | BINARY_SUFFIXES
JOB_SUFFIXES = frozenset({".json", ".jsonl"})
Event = tuple[str, str, BaseModel]  # topic, key, payload


def input_files(paths: list[Path]) -> Iterator[Path]:
    """Files as given; folders expanded (recursively) to their résumé and job files."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in RESUME_SUFFIXES | JOB_SUFFIXES
            )
        else:
            yield path


def events_of(path: Path, topics: Topics) -> list[Event]:
    """The events one file holds; raises OSError/ValueError/TypeError for an unreadable or invalid file."""
    suffix = path.suffix.lower()
    if suffix in RESUME_SUFFIXES:
        candidate = candidate_from_file(path)
        return [(topics.candidate_submitted, candidate.candidate_id, candidate)]
    if suffix not in JOB_SUFFIXES:
        raise ValueError(
            f"unsupported file type {suffix!r} (résumés: .txt .md .pdf .docx; jobs: .json .jsonl)"
        )
    text = path.read_text(encoding="utf-8")
    if suffix == ".jsonl":
        data = [json.loads(line) for line in text.splitlines() if line.strip()]
    else:
        loaded = json.loads(text)
        data = loaded if isinstance(loaded, list) else [loaded]
    jobs = [job_from_mapping(item) for item in data]
    return [(topics.job_posted, job.job_id, job) for job in jobs]
