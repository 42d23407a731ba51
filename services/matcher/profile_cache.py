"""Parsed candidate profiles, kept between shortlists so a stored payload is parsed once.

A shortlist scores a few hundred candidates; turning each stored payload into Python and
validating it cost more than scoring it. The store stays the authority on *who* is in a pool
(its search returns the points that exist, each with a stamp); the cache only supplies the
parsed copy of a point it has seen with exactly that stamp. The stamp is the store's revision of
the point where the store vouches for one (Qdrant Edge), else the version, submission time and
model and taxonomy stored with it; a new version, a resubmission after an erasure (which the
ledger only lets through with a newer version and a later submission), a reindex under a new
model or taxonomy or, with revisions, any rewrite has another stamp and replaces the old
entry. ``evict`` drops a candidate on erasure, so no copy of an erased profile outlives the
tombstone in this process: a reader takes a ``mark`` before it searches or reads, and ``parse``
keeps nothing evicted after that mark (else a read racing the erasure could cache the copy again).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from services.core.scoring import ImpliedSkills
from services.core.taxonomy import Taxonomy
from services.platform.store import layout
from services.platform.store.scoring_view import Parsed, read_payload

Stamp = Hashable  # the store's revision of a point, or what ``stamp_of`` reads from its payload
# What a search asks a store without revisions for. What produced the point is part of it: a
# reindex under a new model or taxonomy rewrites a profile under the same version and time.
STAMP_KEYS = ("version", "submitted_at", layout.MODEL_KEY, layout.TAXONOMY_KEY)


def stamp_of(payload: dict[str, Any]) -> Stamp:
    return int(payload.get("version", 0)), *(payload.get(key) for key in STAMP_KEYS[1:])


class ProfileCache:
    """Bounded LRU of parsed profiles by point id, one stamp per point; thread-safe."""

    ERASURES_KEPT = 10_000  # recent evictions remembered for ``mark``; a reader's window sees few

    def __init__(self, taxonomy: Taxonomy, capacity: int = 50_000) -> None:
        if capacity < 0:
            raise ValueError("capacity must be >= 0")
        self._implied, self._taxonomy_version = ImpliedSkills(taxonomy), taxonomy.version
        self.capacity = capacity
        self._entries: OrderedDict[str, tuple[Stamp, Parsed]] = OrderedDict()
        self._evictions = 0
        self._evicted: OrderedDict[str, int] = OrderedDict()  # point id -> its eviction's number
        self._lock = threading.Lock()

    @property
    def full(self) -> bool:
        return len(self._entries) >= self.capacity

    def mark(self) -> int:
        """Taken before searching or reading the points to ``parse``: see ``parse``."""
        with self._lock:
            return self._evictions

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, point_id: str, stamp: Stamp) -> Parsed | None:
        with self._lock:
            entry = self._entries.get(point_id)
            if entry is None or entry[0] != stamp:
                return None
            self._entries.move_to_end(point_id)
            return entry[1]

    def parse(self, point_id: str, stamp: Stamp, payload: dict[str, Any], mark: int) -> Parsed | None:
        """Parses a stored profile point's payload (``read_payload``: None when it holds neither
        a current scoring view nor the profile) and keeps the result under ``stamp``: the one the
        search that found the point gave (a payload read later can only be newer, which costs one
        more read, never a stale copy). Nothing is kept if the point was evicted since ``mark``
        (taken before the search): its candidate may have been erased after the read."""
        parsed = read_payload(payload, self._implied, self._taxonomy_version)
        if parsed is not None:
            self.put(point_id, stamp, parsed, mark)
        return parsed

    def put(self, point_id: str, stamp: Stamp, parsed: Parsed, mark: int) -> None:
        with self._lock:
            # Evictions are remembered for a while: past that, a reader is too old to trust.
            if self._evicted.get(point_id, -1) >= mark or self._evictions - mark >= self.ERASURES_KEPT:
                return
            self._entries[point_id] = (stamp, parsed)
            self._entries.move_to_end(point_id)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def evict(self, candidate_id: str) -> None:
        point_id = layout.point_id("candidate", candidate_id)
        with self._lock:
            self._entries.pop(point_id, None)
            self._evicted[point_id] = self._evictions
            self._evicted.move_to_end(point_id)
            self._evictions += 1
            if len(self._evicted) > self.ERASURES_KEPT:
                self._evicted.popitem(last=False)
