"""The ingest benchmark's clock: it stops when the store has the profiles, written from any thread."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from benchmarks.ingest_throughput import Watching
from services.platform.store.port import Point


class Inner:
    """A store that keeps what it was given, so the wrapper's pass-through can be checked."""

    def __init__(self) -> None:
        self.written: list[tuple[str, str]] = []

    def upsert(self, collection: str, points: list[Point]) -> None:
        self.written += [(collection, p.id) for p in points]

    def count(self, collection: str, where: Any = None) -> int:
        return sum(1 for c, _ in self.written if c == collection)


def profile(point_id: str) -> Point:
    return Point(point_id, {"doc": "profile"})


def chunk(point_id: str) -> Point:
    return Point(point_id, {"doc": "chunk"})


async def test_stops_once_enough_distinct_profiles_are_written_from_threads() -> None:
    store = Watching(Inner(), asyncio.get_running_loop())

    def write() -> None:
        for i in range(3):
            store.upsert("c", [chunk(f"x{i}"), profile(f"p{i}")])
        store.upsert("c", [profile("p0")])  # rewritten: still three profiles
        store.upsert("other", [profile("q0")])

    waiting = asyncio.create_task(store.until("c", 3, 5))
    await asyncio.sleep(0)
    assert not waiting.done()
    thread = threading.Thread(target=write)
    thread.start()
    await waiting
    thread.join()
    assert store.count("c") == 7  # everything reached the real store
    with pytest.raises(TimeoutError, match="3/4 indexed"):
        await store.until("c", 4, 0.05)


async def test_chunks_and_other_collections_do_not_count() -> None:
    store = Watching(Inner(), asyncio.get_running_loop())
    store.upsert("c", [chunk("x0"), chunk("x1")])
    store.upsert("other", [profile("p0"), profile("p1")])
    with pytest.raises(TimeoutError, match="0/1 indexed"):
        await store.until("c", 1, 0.05)
    await store.until("other", 2, 0.05)  # already there: returns at once
