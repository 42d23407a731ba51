"""Bundled sample data: fictional AI/ML job descriptions and résumés.

Everything here is invented (people, companies, e-mail addresses use ``example.com``). The samples
ship inside the wheel so the CLI, demos and tests can use them without network access.

Layout::

    jobs.jsonl            one JobPostedV1 payload per line
    candidates.json       manifest: candidate_id, file, location, preferred_locations, open_to_remote
    candidates/           résumé files (.txt, .pdf, .docx)
    sources/              plain-text sources of the .pdf/.docx résumés
                          (rebuilt by scripts/build_sample_documents.py)
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from schemas.events import CandidateSubmittedV1, JobPostedV1, ResumeFile

SAMPLES_DIR: Path = Path(__file__).resolve().parent
JOBS_FILE: Path = SAMPLES_DIR / "jobs.jsonl"
CANDIDATES_MANIFEST: Path = SAMPLES_DIR / "candidates.json"
CANDIDATES_DIR: Path = SAMPLES_DIR / "candidates"

TEXT_SUFFIXES = frozenset({".txt", ".md"})
BINARY_SUFFIXES = frozenset({".pdf", ".docx"})

__all__ = [
    "BINARY_SUFFIXES",
    "CANDIDATES_DIR",
    "CANDIDATES_MANIFEST",
    "JOBS_FILE",
    "SAMPLES_DIR",
    "TEXT_SUFFIXES",
    "candidate_from_file",
    "job_from_mapping",
    "load_candidates",
    "load_jobs",
]


def job_from_mapping(data: Mapping[str, Any], **overrides: Any) -> JobPostedV1:
    """Validate one job mapping (e.g. a line of ``jobs.jsonl``); keyword arguments override fields."""
    return JobPostedV1.model_validate({**data, **overrides})


def load_jobs(path: Path | None = None) -> list[JobPostedV1]:
    """Read a JSON-lines file of job payloads (default: the bundled ``jobs.jsonl``).

    Blank lines are skipped; a line that fails validation raises ``ValueError`` naming the line.
    """
    source = path or JOBS_FILE
    jobs: list[JobPostedV1] = []
    with source.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                jobs.append(job_from_mapping(json.loads(line)))
            except ValueError as exc:  # json.JSONDecodeError and pydantic.ValidationError
                raise ValueError(f"{source}:{number}: invalid job: {exc}") from exc
    return jobs


def candidate_from_file(path: Path, candidate_id: str | None = None, **fields: Any) -> CandidateSubmittedV1:
    """Build a CandidateSubmittedV1 from a résumé file.

    ``.txt``/``.md`` become ``resume_text``; ``.pdf``/``.docx`` become ``resume_file`` with base64
    content. The id defaults to the file stem. Extra keyword arguments (``location``,
    ``preferred_locations``, ``open_to_remote``, ``version``, ...) are passed to the payload.
    """
    suffix = path.suffix.lower()
    payload: dict[str, Any] = {"candidate_id": candidate_id or path.stem}
    if suffix in TEXT_SUFFIXES:
        payload["resume_text"] = path.read_text(encoding="utf-8")
    elif suffix in BINARY_SUFFIXES:
        payload["resume_file"] = ResumeFile(
            filename=path.name,
            content_base64=base64.b64encode(path.read_bytes()).decode("ascii"),
        )
    else:
        raise ValueError(f"unsupported résumé format {suffix!r}: {path}")
    payload.update(fields)
    return CandidateSubmittedV1.model_validate(payload)


def load_candidates(path: Path | None = None) -> list[CandidateSubmittedV1]:
    """Read a candidate manifest (default: the bundled ``candidates.json``) and load every résumé.

    File paths in the manifest are relative to the manifest's folder. Every key other than
    ``candidate_id`` and ``file`` is passed on to the payload.
    """
    manifest = path or CANDIDATES_MANIFEST
    entries = json.loads(manifest.read_text(encoding="utf-8"))
    if not isinstance(entries, list):
        raise ValueError(f"{manifest}: expected a JSON list of candidate entries")
    candidates: list[CandidateSubmittedV1] = []
    for entry in entries:
        fields = dict(entry)
        candidate_id = fields.pop("candidate_id")
        file = manifest.parent / fields.pop("file")
        candidates.append(candidate_from_file(file, candidate_id, **fields))
    return candidates
