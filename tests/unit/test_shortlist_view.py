"""The page's shortlist read model (services.matcher.shortlist_view) and how the feed decodes
records into it (services.matcher.shortlist_feed.apply_record): no broker."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import ConsumerRecord

from schemas.events import JobClosedV1, ShortlistPublishedV1
from schemas.topics import Topics
from services.matcher.shortlist_feed import apply_record
from services.matcher.shortlist_view import LatestShortlists
from services.matcher.web_queries import ShortlistsLoading

T0 = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
TOPICS = Topics("t.")


def made(job_id: str, minutes: int, version: int = 1, shortlist_id: str = "") -> ShortlistPublishedV1:
    return ShortlistPublishedV1(
        shortlist_id=shortlist_id or f"{job_id}@{minutes}v{version}",
        job_id=job_id,
        job_version=version,
        generated_at=T0 + timedelta(minutes=minutes),
        trigger="match_requested",
        model="m",
        taxonomy_version="1",
        top_k=5,
        candidates=[],
    )


def loaded(*shortlists: ShortlistPublishedV1) -> LatestShortlists:
    view = LatestShortlists()
    for shortlist in shortlists:
        view.apply_shortlist(shortlist)
    view.mark_loaded()
    return view


def latest_id(view: LatestShortlists, job_id: str) -> str | None:
    found = view.latest_shortlist(job_id)
    return found.shortlist_id if found else None


def test_nothing_is_answered_before_the_topics_are_read() -> None:
    view = LatestShortlists()
    view.apply_shortlist(made("job-1", 0))
    with pytest.raises(ShortlistsLoading):
        view.latest_shortlist("job-1")
    with pytest.raises(ShortlistsLoading):
        view.is_closed("job-1")
    view.mark_loaded()
    assert latest_id(view, "job-1") == "job-1@0v1" and latest_id(view, "job-2") is None


def test_a_newer_shortlist_replaces_and_a_late_older_one_is_ignored() -> None:
    view = loaded(made("job-1", 5), made("job-2", 1))
    assert view.apply_shortlist(made("job-1", 9))
    assert not view.apply_shortlist(made("job-1", 7))  # a late record: a retry, a lagging replay
    assert latest_id(view, "job-1") == "job-1@9v1" and latest_id(view, "job-2") == "job-2@1v1"


def test_ties_go_to_the_newer_job_version_then_to_the_later_record() -> None:
    view = loaded(made("job-1", 5, version=2))
    assert not view.apply_shortlist(made("job-1", 5, version=1))
    # An erasure correction made at the same record time: the later record (log order) wins.
    assert view.apply_shortlist(made("job-1", 5, version=2, shortlist_id="corrected"))
    assert latest_id(view, "job-1") == "corrected"


def test_a_closed_job_is_dropped_until_a_shortlist_made_after_the_close() -> None:
    view = loaded(made("job-1", 5), made("job-2", 5))
    view.apply_closed("job-1", T0 + timedelta(minutes=6))
    assert view.is_closed("job-1") and latest_id(view, "job-1") is None
    assert not view.apply_shortlist(made("job-1", 6))  # made up to the close: stays hidden
    assert view.is_closed("job-1") and not view.is_closed("job-2")
    assert view.apply_shortlist(make := made("job-1", 8))  # posted again and matched
    assert not view.is_closed("job-1") and view.latest_shortlist("job-1") == make


def test_the_result_does_not_depend_on_the_order_records_arrive_in() -> None:
    """Partitions and topics interleave in any order: every order gives the same view."""
    close = ("job-1", T0 + timedelta(minutes=6))
    events: list[ShortlistPublishedV1 | tuple[str, datetime]] = [
        made("job-1", 5), made("job-1", 8), close, made("job-2", 3), made("job-2", 1),
    ]  # fmt: skip
    seen = set()
    for order in itertools.permutations(events):
        view = LatestShortlists()
        for event in order:
            if isinstance(event, tuple):
                view.apply_closed(*event)
            else:
                view.apply_shortlist(event)
        view.mark_loaded()
        seen.add((latest_id(view, "job-1"), latest_id(view, "job-2"), view.is_closed("job-1")))
    assert seen == {("job-1@8v1", "job-2@3v1", False)}


def test_a_naive_time_is_read_as_utc() -> None:
    view = loaded(made("job-1", 5))
    naive = made("job-1", 6).model_copy(update={"generated_at": datetime(2024, 6, 1, 9, 6)})
    assert view.apply_shortlist(naive)
    view.apply_closed("job-1", datetime(2024, 6, 1, 9, 7))
    assert view.is_closed("job-1")


def record(topic: str, value: bytes | None, timestamp: datetime = T0, offset: int = 0) -> ConsumerRecord:
    return ConsumerRecord(
        topic, 0, offset, int(timestamp.timestamp() * 1000), 0, b"job-1", value, None, 0, 0, []
    )  # fmt: skip


def test_the_feed_applies_both_topics_and_skips_bad_records(caplog: pytest.LogCaptureFixture) -> None:
    view, published = loaded(), made("job-1", 5).model_dump_json().encode()
    apply_record(view, TOPICS, record(TOPICS.shortlist_published, published))
    apply_record(view, TOPICS, record(TOPICS.shortlist_published, b"{not json", offset=1))
    apply_record(view, TOPICS, record(TOPICS.shortlist_published, None, offset=2))
    assert latest_id(view, "job-1") == "job-1@5v1"
    assert [r.levelname for r in caplog.records] == ["WARNING", "WARNING"]
    closed = JobClosedV1(job_id="job-1").model_dump_json().encode()
    apply_record(view, TOPICS, record(TOPICS.job_closed, closed, T0 + timedelta(minutes=5)))  # broker time
    assert view.is_closed("job-1")
