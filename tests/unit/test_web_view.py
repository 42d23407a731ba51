"""The recruiter page (services.matcher.web): rendering over an in-memory fake, called as ASGI,
plus the read model over the real use-cases' store and shortlists, and the mount in the matcher's app."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from schemas.events import (
    GateResultV1,
    JobPostedV1,
    ShortlistEntryV1,
    ShortlistPublishedV1,
    SkillEvidenceV1,
)
from services import samples
from services.core.model import JobProfile
from services.matcher.app import create_asgi_app
from services.matcher.shortlist_view import LatestShortlists
from services.matcher.web import breakdown, web_routes
from services.matcher.web_queries import JobView, ShortlistsLoading, StoreQueries
from services.platform.settings import QdrantSettings, Settings
from tests.unit.pipeline_harness import AT, pipeline

XSS = "<script>alert('x')</script>"
WEIGHTS = {"must_have": 0.3, "semantic": 0.2, "archetype": 0.15, "level": 0.1, "location": 0.05}


def profile(job_id: str = "job-1", title: str = "ML Engineer, Ranking", **extra: Any) -> JobProfile:
    return JobProfile.model_validate({
        "job_id": job_id,
        "version": 2,
        "title": title,
        "archetype": {"archetype": "ml_engineer", "confidence": 0.8},
        "must_have": [{"skill_id": "python", "name": "Python"}, {"skill_id": "pytorch", "name": "PyTorch"}],
        "clarity_warnings": ["laundry_list: 12 must-have skills; keep the few that truly gate the job"],
        **extra,
    })  # fmt: skip


def entry(
    candidate_id: str, rank: int, score: float, reason: str = "strong semantic match"
) -> ShortlistEntryV1:
    return ShortlistEntryV1(
        candidate_id=candidate_id,
        rank=rank,
        score=score,
        components={"must_have": 0.5, "semantic": 0.9, "level": 0.25},
        matched_must_have=[SkillEvidenceV1(skill="Python", evidence="Built ranking models in Python.")],
        missing_must_have=["PyTorch"],
        gates=[GateResultV1(gate="degree", passed=False, enforced=False, detail="has bachelor vs phd asked")],
        archetype="ml_engineer",
        reason=reason,
    )


def shortlist(job_id: str = "job-1", *entries: ShortlistEntryV1) -> ShortlistPublishedV1:
    return ShortlistPublishedV1(
        shortlist_id="abc123def4567890",
        job_id=job_id,
        job_version=2,
        generated_at=datetime(2024, 6, 1, 9, 30, tzinfo=UTC),
        trigger="match_requested",
        model="all-MiniLM-L6-v2@fp32",
        taxonomy_version="1.1.0",
        top_k=5,
        candidates=list(entries),
    )


@dataclass
class FakeQueries:
    jobs: list[JobView] = field(default_factory=list)
    fails: Exception | None = None

    def open_jobs(self) -> list[JobView]:
        if self.fails:
            raise self.fails
        return self.jobs

    def job(self, job_id: str) -> JobView | None:
        if self.fails:
            raise self.fails
        return next((j for j in self.jobs if j.profile.job_id == job_id), None)


def view(job: JobProfile, published: ShortlistPublishedV1 | None) -> JobView:
    return JobView(job, WEIGHTS, published)


def one_job(**kw: Any) -> FakeQueries:
    published = shortlist("job-1", entry("cand-007", 1, 0.8125), entry("cand-003", 2, 0.61))
    return FakeQueries([view(profile(**kw), published)])


async def get(queries: Any, path: str, query: str = "") -> tuple[int, dict[str, str], str]:
    return await asgi_get(dict(web_routes(queries))[path], path, query)


async def asgi_get(app: Any, path: str, query: str = "") -> tuple[int, dict[str, str], str]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "headers": [], "query_string": query.encode()}
    await app(scope, receive, send)
    headers = {k.decode(): v.decode() for k, v in sent[0]["headers"]}
    return sent[0]["status"], headers, b"".join(m.get("body", b"") for m in sent[1:]).decode()


async def test_job_list_shows_each_open_job_with_its_latest_shortlist() -> None:
    status, headers, body = await get(one_job(), "/")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert 'href="/job?id=job-1"' in body and "ML Engineer, Ranking" in body
    assert "2024-06-01 09:30 UTC" in body and "2 / 5" in body and "0.81" in body
    assert "1 warning" in body


async def test_a_job_without_a_shortlist_says_so() -> None:
    _, _, body = await get(FakeQueries([view(profile(), None)]), "/")
    assert "none yet" in body
    _, _, body = await get(FakeQueries([view(profile(), None)]), "/job", "id=job-1")
    assert "No shortlist published" in body and 'class="candidate"' not in body


async def test_job_page_explains_every_shortlisted_candidate() -> None:
    status, _, body = await get(one_job(), "/job", "id=job-1")
    assert status == 200
    assert body.count('<tr class="candidate"') == 2
    assert body.index("cand-007") < body.index("cand-003")
    assert '<span class="chip missing">PyTorch</span>' in body
    assert 'title="Built ranking models in Python.">Python</span>' in body  # evidence on hover
    assert "<b>laundry list</b> — 12 must-have skills" in body
    assert 'Must-haves</span><span class="w">30%</span>' in body and "width: 25.0%" in body
    assert "degree: has bachelor vs phd asked" in body
    assert "strong semantic match" in body and "0.81" in body


def test_breakdown_puts_the_heaviest_components_first_and_clamps_values() -> None:
    rows = breakdown({"semantic": 1.4, "must_have": 0.5, "impact": -0.1}, WEIGHTS)
    assert rows == [("must_have", 0.3, 0.5), ("semantic", 0.2, 1.0), ("impact", 0.0, 0.0)]


async def test_user_text_renders_as_text_never_as_markup() -> None:
    published = shortlist("job-x", entry("cand-1", 1, 0.5, reason=f"evidence: {XSS}"))
    job = profile(
        "job-x", title=XSS, clarity_warnings=[f"vague: {XSS}"], location='"><img src=x onerror=alert(1)>'
    )
    queries = FakeQueries([view(job, published)])
    for path, query in (("/", ""), ("/job", "id=job-x")):
        status, headers, body = await get(queries, path, query)
        assert status == 200
        assert "<script>" not in body and "<img" not in body
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in body
        assert "script-src" not in headers["content-security-policy"]  # default-src 'none': no scripts


async def test_missing_unknown_and_failing_lookups_answer_with_a_page() -> None:
    assert (await get(one_job(), "/job"))[0] == 400
    status, _, body = await get(one_job(), "/job", "id=job-404")
    assert status == 404 and "job-404" in body
    status, _, body = await get(one_job(), "/job", "id=%3Cscript%3E")
    assert status == 404 and "<script>" not in body
    down = FakeQueries(fails=KeyError("no collection"))
    for path, query in (("/", ""), ("/job", "id=job-1"), ("/job.json", "id=job-1")):
        status, _, body = await get(down, path, query)
        assert status == 503 and "KeyError" in body


async def test_job_json_carries_the_shortlist_as_published() -> None:
    queries = one_job()
    published = queries.jobs[0].shortlist
    assert published is not None
    status, headers, body = await get(queries, "/job.json", "id=job-1")
    data = json.loads(body)
    assert status == 200 and headers["content-type"] == "application/json"
    assert data["shortlist"] == published.model_dump(mode="json")
    assert (data["title"], data["must_have"], data["weights"]) == (
        "ML Engineer, Ranking",
        ["Python", "PyTorch"],
        WEIGHTS,
    )
    assert (await get(queries, "/job.json", "id=nope"))[0] == 404


def test_read_model_over_the_real_matcher(tmp_path: Path) -> None:
    jobs = {j.job_id: j for j in samples.load_jobs()}
    with pipeline(tmp_path) as p:
        for candidate in samples.load_candidates()[:6]:
            p.submit(candidate)
        for job_id in ("job-mle-recsys", "job-unclear-ai-rockstar", "job-backend-java"):
            p.post(jobs[job_id])
        published = p.matcher.shortlist("job-unclear-ai-rockstar", "match_requested", AT, 3)
        assert published is not None
        shortlists = LatestShortlists()  # as the feed fills it from the topic
        queries = StoreQueries(p.store, p.matcher.collections, shortlists)
        with pytest.raises(ShortlistsLoading):
            queries.open_jobs()
        shortlists.apply_shortlist(published)
        shortlists.mark_loaded()
        listed = {v.profile.job_id: v for v in queries.open_jobs()}
        assert set(listed) == {"job-mle-recsys", "job-unclear-ai-rockstar", "job-backend-java"}
        rockstar = queries.job("job-unclear-ai-rockstar")
        assert rockstar is not None and rockstar.shortlist == published
        assert any(w.startswith("laundry_list") for w in rockstar.profile.clarity_warnings)
        assert listed["job-mle-recsys"].shortlist is None
        assert sum(rockstar.weights.values()) == pytest.approx(1.0)
        shortlists.apply_closed("job-backend-java", AT + timedelta(hours=1))  # before ingest marks the store
        assert p.ingest.close_job("job-mle-recsys")
        assert [v.profile.job_id for v in queries.open_jobs()] == ["job-unclear-ai-rockstar"]
        assert queries.job("job-backend-java") is None and queries.job("job-mle-recsys") is None
        assert queries.job("job-nobody") is None


async def test_the_matcher_app_serves_the_page(tmp_path: Path) -> None:
    settings = Settings(qdrant=QdrantSettings(path=tmp_path / "store"))
    app = create_asgi_app(settings)
    status, _, body = await asgi_get(app, "/")
    assert status == 503  # ingest has not created the collections yet: not an error page
    with pipeline(tmp_path / "filled") as p:
        p.post(JobPostedV1(job_id="job-1", title="Data Scientist", description="Python, SQL and A/B tests."))
    app = create_asgi_app(Settings(qdrant=QdrantSettings(path=tmp_path / "filled" / "store")))
    status, _, body = await asgi_get(app, "/")  # its feed has not read the shortlist topic yet
    assert status == 503 and "Shortlists loading" in body
    status, _, body = await asgi_get(app, "/job.json", "id=job-1")
    assert status == 503 and json.loads(body)["error"] == "Shortlists loading"
    assert (await asgi_get(app, "/health"))[0] == 200


async def test_a_page_asked_while_shortlists_load_says_so(caplog: pytest.LogCaptureFixture) -> None:
    loading = FakeQueries(fails=ShortlistsLoading("not read yet"))
    for path, query in (("/", ""), ("/job", "id=job-1")):
        status, _, body = await get(loading, path, query)
        assert status == 503 and "Shortlists loading" in body and "reload shortly" in body
    assert not caplog.records  # expected after every start: no warning, no traceback
