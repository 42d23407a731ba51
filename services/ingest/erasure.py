"""Right to erasure, and the ledger that keeps erased candidates erased.

Deleting a candidate's points is not enough: the input topic still holds their older
submissions, and a redelivery, a consumer-group reset or a replay would index them again.
So every erasure is recorded in a ledger that ingest checks before each candidate write.

Policy: erasure is final for everything submitted before it. A candidate comes back only
when the ATS re-submits *after* the erasure (broker time) with a version greater than the
last one seen when they were erased. An erasure older than the stored profile (a replayed
or redelivered erasure that predates a re-submission) removes nothing.

The ledger is payload-only points (a constant 1-d vector) in its own collection, so it is
as durable as the profiles with either store adapter. It holds the opaque candidate id, the
erasure's broker time and a version number: no personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.platform.store import layout
from services.platform.store.port import Point, VectorStore

_VECTOR = [1.0]
NOTHING_STORED = -1


@dataclass(frozen=True)
class Erasure:
    candidate_id: str
    erased_at: datetime
    last_version: int  # the highest version stored when erased; NOTHING_STORED if none

    def refuses(self, version: int, submitted_at: datetime) -> bool:
        """True unless this is a re-submission made after the erasure, with a newer version."""
        return not (version > self.last_version and submitted_at > self.erased_at)


class ErasureLedger:
    def __init__(self, store: VectorStore, collection: str) -> None:
        self._store = store
        self._collection = collection

    def get(self, candidate_id: str) -> Erasure | None:
        found = self._store.retrieve(self._collection, [_point_id(candidate_id)])
        if not found:
            return None
        payload = found[0].payload
        return Erasure(
            candidate_id, datetime.fromisoformat(payload["erased_at"]), int(payload["last_version"])
        )

    def refuses(self, candidate_id: str, version: int, submitted_at: datetime) -> bool:
        erasure = self.get(candidate_id)
        return erasure is not None and erasure.refuses(version, submitted_at)

    def record(self, candidate_id: str, erased_at: datetime, last_version: int) -> Erasure:
        """Merges with an earlier erasure: the latest time and the highest version win, so
        recording the same erasure twice (a redelivery) changes nothing."""
        erasure = Erasure(candidate_id, erased_at, last_version)
        if (earlier := self.get(candidate_id)) is not None:
            erasure = Erasure(
                candidate_id,
                max(earlier.erased_at, erased_at),
                max(earlier.last_version, last_version),
            )
        payload = {
            "entity_id": candidate_id,
            "doc": "erasure",
            "erased_at": erasure.erased_at.isoformat(),
            "last_version": erasure.last_version,
        }
        self._store.upsert(self._collection, [Point(_point_id(candidate_id), payload, _VECTOR)])
        return erasure


def erase(
    store: VectorStore, candidates: str, ledger: ErasureLedger, candidate_id: str, at: datetime
) -> bool:
    """Records the erasure, then deletes every point of the candidate. False (nothing done)
    when the stored profile was submitted after this erasure."""
    stored = store.retrieve(candidates, [layout.point_id("candidate", candidate_id)])
    payload = stored[0].payload if stored else {}
    submitted = payload.get("submitted_at")
    if submitted is not None and datetime.fromisoformat(submitted) > at:
        return False
    # Ledger first: a crash between the two steps leaves the candidate erased on redelivery,
    # never a deleted candidate that an old upsert could bring back.
    ledger.record(candidate_id, at, int(payload.get("version", NOTHING_STORED)))
    store.delete(candidates, layout.entity(candidate_id))
    return True


def _point_id(candidate_id: str) -> str:
    return layout.point_id("candidate", candidate_id, "erasure")
