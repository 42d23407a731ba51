"""The recruiter page's read model: open jobs and the latest shortlist of each, read-only.

The page depends on ``RecruiterQueries`` only, so its tests use an in-memory fake. Jobs come
from the store (the profile ingest wrote, clarity warnings included); shortlists from the
``shortlist.published`` topic through the ``PublishedShortlists`` protocol
(services.matcher.shortlist_view), so every matcher process shows the same ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from schemas.events import ShortlistPublishedV1
from services.core.model import JobProfile
from services.core.weights import Weights
from services.platform.store import layout
from services.platform.store.layout import Collections
from services.platform.store.port import VectorStore


class ShortlistsLoading(RuntimeError):
    """The shortlists are still being read: the page answers 503 and asks to retry."""


@dataclass(frozen=True)
class JobView:
    profile: JobProfile
    weights: dict[str, float]  # the job's normalised weights: orders and labels the score bars
    shortlist: ShortlistPublishedV1 | None  # None: nothing published for it yet


class RecruiterQueries(Protocol):
    def open_jobs(self) -> list[JobView]: ...

    def job(self, job_id: str) -> JobView | None:
        """None when the job is unknown or closed."""


class PublishedShortlists(Protocol):
    """What the page needs to know of published shortlists. Both methods raise
    ``ShortlistsLoading`` until the implementation can answer for every job."""

    def latest_shortlist(self, job_id: str) -> ShortlistPublishedV1 | None: ...

    def is_closed(self, job_id: str) -> bool: ...


@dataclass(frozen=True)
class StoreQueries:
    store: VectorStore
    collections: Collections
    shortlists: PublishedShortlists

    def open_jobs(self) -> list[JobView]:
        points = self.store.scroll(self.collections.jobs, layout.OPEN_PROFILES)
        profiles = (layout.read_profile(p.payload, JobProfile)[0] for p in points)
        views = [self._view(p) for p in profiles if not self.shortlists.is_closed(p.job_id)]
        return sorted(views, key=lambda v: (v.profile.title.casefold(), v.profile.job_id))

    def job(self, job_id: str) -> JobView | None:
        found = self.store.retrieve(self.collections.jobs, [layout.point_id("job", job_id)])
        if not found or found[0].payload.get("status") != "open" or self.shortlists.is_closed(job_id):
            return None
        return self._view(layout.read_profile(found[0].payload, JobProfile)[0])

    def _view(self, profile: JobProfile) -> JobView:
        weights = Weights.for_job(profile).as_dict()
        return JobView(profile, weights, self.shortlists.latest_shortlist(profile.job_id))
