"""The recruiter page, served by the matcher's ASGI app beside /health, /ready and /metrics.

Read-only and server-rendered: Jinja2 with autoescaping, so every job title, skill and reason
is text, never markup; a Content-Security-Policy without ``script-src`` backs that up. FastStream
routes match exact paths, so a job is addressed by query string (``/job?id=…``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from faststream.asgi import AsgiResponse, get
from faststream.asgi.types import ASGIApp, Scope
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.matcher.web_queries import JobView, RecruiterQueries, ShortlistsLoading
from services.platform.messaging import in_thread

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).with_name("web_templates")
# No scripts at all: the page needs none, so an injected <script> could not run even if escaping failed.
_HEADERS = {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",  # shortlists change with every candidate indexed
}
LABELS = {
    "semantic": "Semantic fit",
    "must_have": "Must-haves",
    "nice_to_have": "Nice-to-haves",
    "archetype": "Role family",
    "level": "Level",
    "location": "Location",
    "mlops": "MLOps",
    "impact": "Impact",
}
ARCHETYPES = {"ml_engineer": "ML engineer", "ai_engineer": "AI engineer"}


def _label(key: str) -> str:
    return LABELS.get(key, key.replace("_", " ").capitalize())


def _archetype(value: str | None) -> str:
    return "unknown" if not value else ARCHETYPES.get(value, value.replace("_", " ").capitalize())


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at.utcoffset() is not None else at.isoformat()


def breakdown(components: dict[str, float], weights: dict[str, float]) -> list[tuple[str, float, float]]:
    """(component, weight, value in [0, 1]) heaviest weight first: what moved the score most on top."""
    rows = [(key, weights.get(key, 0.0), min(max(value, 0.0), 1.0)) for key, value in components.items()]
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def _warning(text: str) -> tuple[str, str]:
    """``code: advice`` (services.core.clarity) → (readable code, advice)."""
    code, sep, advice = text.partition(": ")
    return (code.replace("_", " "), advice) if sep else ("", text)


_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,  # a misspelt field fails the tests instead of rendering blank
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(label=_label, archetype=_archetype, when=_when, warning=_warning)
_env.globals.update(breakdown=breakdown)


def render_jobs(jobs: list[JobView]) -> str:
    return _env.get_template("jobs.html").render(jobs=jobs)


def render_job(job: JobView) -> str:
    return _env.get_template("job.html").render(job=job)


def job_json(job: JobView) -> dict[str, Any]:
    p = job.profile
    return {
        "job_id": p.job_id,
        "version": p.version,
        "title": p.title,
        "archetype": p.archetype.archetype.value,
        "must_have": [r.name for r in p.must_have],
        "nice_to_have": [r.name for r in p.nice_to_have],
        "clarity_warnings": p.clarity_warnings,
        "weights": job.weights,
        "shortlist": job.shortlist.model_dump(mode="json") if job.shortlist else None,
    }


@dataclass(frozen=True)
class Problem:
    status: int
    title: str
    message: str

    def html(self) -> AsgiResponse:
        body = _env.get_template("message.html").render(title=self.title, message=self.message)
        return AsgiResponse(body.encode(), self.status, _HEADERS)


def _unavailable(exc: Exception) -> Problem:
    if isinstance(exc, ShortlistsLoading):  # just started: "none yet" would be a wrong answer
        return Problem(503, "Shortlists loading", "Still reading the published shortlists; reload shortly.")
    # Before ingest creates the collections the store raises; that is a readiness matter, not a 500.
    log.warning("recruiter page: store query failed", exc_info=exc)
    return Problem(
        503, "Jobs unavailable", f"The job store did not answer ({type(exc).__name__}). See /ready."
    )


def _job_id(scope: Scope) -> str:
    query = parse_qs(bytes(scope.get("query_string", b"")).decode("ascii", "replace"))
    return (query.get("id") or [""])[0].strip()


def _json(body: object, status: int = 200) -> AsgiResponse:
    return AsgiResponse(json.dumps(body).encode(), status, {"content-type": "application/json"})


def web_routes(queries: RecruiterQueries) -> list[tuple[str, ASGIApp]]:
    """``/`` open jobs; ``/job?id=ID`` a job's latest shortlist; ``/job.json?id=ID`` the same as JSON."""

    async def find(scope: Scope) -> JobView | Problem:
        job_id = _job_id(scope)
        if not job_id:
            return Problem(400, "No job given", "Open a job from the list, or add ?id=JOB_ID to the address.")
        try:
            job = await in_thread(queries.job, job_id)
        except Exception as exc:
            return _unavailable(exc)
        return job or Problem(404, "Job not found", f"No open job {job_id!r}: unknown, or closed.")

    @get(include_in_schema=False)
    async def jobs_page(scope: Scope) -> AsgiResponse:
        try:
            jobs = await in_thread(queries.open_jobs)
        except Exception as exc:
            return _unavailable(exc).html()
        return AsgiResponse(render_jobs(jobs).encode(), 200, _HEADERS)

    @get(include_in_schema=False)
    async def job_page(scope: Scope) -> AsgiResponse:
        found = await find(scope)
        if isinstance(found, Problem):
            return found.html()
        return AsgiResponse(render_job(found).encode(), 200, _HEADERS)

    @get(include_in_schema=False)
    async def job_data(scope: Scope) -> AsgiResponse:
        found = await find(scope)
        if isinstance(found, Problem):
            return _json({"error": found.title, "detail": found.message}, found.status)
        return _json(job_json(found))

    return [("/", jobs_page), ("/job", job_page), ("/job.json", job_data)]
