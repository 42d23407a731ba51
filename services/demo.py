"""``rolefit demo``: a local broker, both services in one process, the bundled samples
in, shortlists out — then everything stops."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from faststream.kafka import KafkaBroker

from schemas.events import MatchRequestedV1, ShortlistPublishedV1
from schemas.topics import Topics
from services import samples
from services.ingest.app import attach_ingest, build_ingest
from services.matcher.app import attach_matcher, build_matcher
from services.platform.embedder import SentenceTransformerEmbedder
from services.platform.kafka import create_topics, make_broker
from services.platform.local_broker import LocalBroker, tansu_client
from services.platform.messaging import key
from services.platform.settings import Settings
from services.platform.store import layout
from services.platform.store.factory import open_store
from services.platform.store.port import VectorStore


@dataclass(frozen=True)
class DemoResult:
    shortlists: list[ShortlistPublishedV1]
    candidates: int
    jobs: int
    seconds: float


async def run_demo(settings: Settings, timeout_s: float = 150.0) -> DemoResult:
    started = time.monotonic()
    jobs, candidates = samples.load_jobs(), samples.load_candidates()
    with (
        LocalBroker() as local,
        tempfile.TemporaryDirectory(prefix="rolefit-demo-") as folder,
        contextlib.ExitStack() as cleanup,  # last in, first out: the parse processes, then the store
    ):
        settings = _local(settings, local.bootstrap, Path(folder))
        topics = Topics(settings.kafka.topic_prefix)
        await create_topics(settings.kafka, topics.all())
        store = open_store(settings.qdrant)
        cleanup.callback(store.close)
        broker = make_broker(settings.kafka, logger=None)  # the tables are the output
        ingest = build_ingest(settings, store, SentenceTransformerEmbedder(settings.model))
        cleanup.callback(attach_ingest(broker, settings, ingest))
        attach_matcher(broker, settings, build_matcher(settings, store))
        received = _watch_shortlists(broker, topics, want=len(jobs))
        async with broker:
            await broker.start()
            for candidate in candidates:
                await broker.publish(candidate, topics.candidate_submitted, key=key(candidate.candidate_id))
            for job in jobs:
                await broker.publish(job, topics.job_posted, key=key(job.job_id))
            await _until_indexed(store, ingest.collections, len(candidates), len(jobs), timeout_s)
            # Everyone is indexed: ask once more, so every shortlist sees the whole pool.
            for job in jobs:
                await broker.publish(
                    MatchRequestedV1(job_id=job.job_id), topics.match_requested, key=key(job.job_id)
                )
            shortlists = await asyncio.wait_for(received.done(), timeout_s)
    order = {job.job_id: i for i, job in enumerate(jobs)}
    return DemoResult(
        sorted(shortlists, key=lambda s: order[s.job_id]),
        len(candidates),
        len(jobs),
        time.monotonic() - started,
    )


def _local(settings: Settings, bootstrap: str, folder: Path) -> Settings:
    settings = settings.model_copy(deep=True)
    tansu_client(settings.kafka, bootstrap)
    settings.qdrant.url = None
    settings.qdrant.path = folder / "qdrant"
    return settings


class _Shortlists:
    def __init__(self, want: int) -> None:
        self.by_job: dict[str, ShortlistPublishedV1] = {}
        self.want = want
        self._complete = asyncio.Event()

    def add(self, shortlist: ShortlistPublishedV1) -> None:
        if shortlist.trigger == "match_requested":
            self.by_job[shortlist.job_id] = shortlist
        if len(self.by_job) >= self.want:
            self._complete.set()

    async def done(self) -> list[ShortlistPublishedV1]:
        await self._complete.wait()
        return list(self.by_job.values())


def _watch_shortlists(broker: KafkaBroker, topics: Topics, want: int) -> _Shortlists:
    received = _Shortlists(want)

    @broker.subscriber(
        topics.shortlist_published, group_id="rolefit-demo-watch", auto_offset_reset="earliest"
    )
    async def watch(shortlist: ShortlistPublishedV1) -> None:
        received.add(shortlist)

    return received


async def _until_indexed(
    store: VectorStore, collections: layout.Collections, candidates: int, jobs: int, timeout_s: float
) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        have = (
            store.count(collections.candidates, layout.PROFILES),
            store.count(collections.jobs, layout.PROFILES),
        )
        if have[0] >= candidates and have[1] >= jobs:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"indexed {have[0]}/{candidates} candidates and {have[1]}/{jobs} jobs in {timeout_s:.0f} s"
            )
        await asyncio.sleep(0.5)
