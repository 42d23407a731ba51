"""The recruiter page's shortlists: the latest one per open job, as read from the topics.

Every matcher process builds this from the whole ``shortlist.published`` and ``job.closed``
topics (services.matcher.shortlist_feed), so every replica, and a process that just restarted,
shows the same shortlists whichever process made them. The rules below give the same result
whatever order records arrive in across partitions and topics, so replaying is always safe:

* a shortlist replaces the job's current one unless it is older (``generated_at``, then the job
  version); on a tie the later record wins: same key, same partition, so log order decides;
* an erasure correction is just a newer shortlist, so it replaces the one naming the candidate;
* a close hides every shortlist generated up to the close; a later one (the job was posted
  again and matched) shows again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from schemas.events import ShortlistPublishedV1
from services.matcher.web_queries import ShortlistsLoading


def _utc(at: datetime) -> datetime:
    # A hand-made record may carry a naive time; comparing it with an aware one would raise.
    return at if at.utcoffset() is not None else at.replace(tzinfo=UTC)


def _age(shortlist: ShortlistPublishedV1) -> tuple[datetime, int]:
    return _utc(shortlist.generated_at), shortlist.job_version


@dataclass
class LatestShortlists:
    """Implements ``PublishedShortlists``. One task on the event loop writes; the page reads from
    worker threads. Each read or write is a single dict operation, atomic under the GIL: no lock."""

    _latest: dict[str, ShortlistPublishedV1] = field(default_factory=dict)
    _closed: dict[str, datetime] = field(default_factory=dict)  # job id → latest close time
    loaded: bool = False  # True once the topics were read up to their end offsets at start

    def apply_shortlist(self, shortlist: ShortlistPublishedV1) -> bool:
        """False when ignored: made before the job closed, or older than the one kept."""
        job_id, (at, _) = shortlist.job_id, _age(shortlist)
        closed_at = self._closed.get(job_id)
        if closed_at is not None and at <= closed_at:
            return False
        current = self._latest.get(job_id)
        if current is not None and _age(shortlist) < _age(current):
            return False  # a late record: a retry, or a lagging partition replayed
        self._latest[job_id] = shortlist
        return True

    def apply_closed(self, job_id: str, at: datetime) -> None:
        at = _utc(at)
        if job_id not in self._closed or self._closed[job_id] < at:
            self._closed[job_id] = at
        current = self._latest.get(job_id)
        if current is not None and _age(current)[0] <= at:
            self._latest.pop(job_id, None)

    def mark_loaded(self) -> None:
        self.loaded = True

    def latest_shortlist(self, job_id: str) -> ShortlistPublishedV1 | None:
        self._check_loaded()
        return self._latest.get(job_id)

    def is_closed(self, job_id: str) -> bool:
        self._check_loaded()
        # A shortlist kept after a close was generated after it: the job was posted again.
        return job_id in self._closed and job_id not in self._latest

    def _check_loaded(self) -> None:
        # Before the topics are read, "no shortlist" would be a wrong answer, not an empty one.
        if not self.loaded:
            raise ShortlistsLoading("the shortlist topic has not been read to its end yet")
