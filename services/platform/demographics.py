"""Self-reported demographics, kept apart from the profiles, for fairness audits only.

Special-category data (GDPR art. 9): one payload-only point per candidate in its own collection
(a constant 1-d vector, like the erasure ledger), holding the opaque candidate id, the version it
came with and the two self-reported answers. Ingest writes it and deletes it on erasure; only
``rolefit audit`` reads it. Profiles, vectors, shortlists and decision records never contain it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from schemas.events import DemographicsV1
from services.platform.store import layout
from services.platform.store.port import Point, VectorStore

_VECTOR = [1.0]
_DOC = "demographics"


@dataclass(frozen=True)
class StoredDemographics:
    candidate_id: str
    version: int
    sex: str | None
    race_ethnicity: str | None


class DemographicsStore:
    def __init__(self, store: VectorStore, collection: str) -> None:
        self._store = store
        self._collection = collection

    def record(self, candidate_id: str, version: int, reported: DemographicsV1 | None) -> None:
        """Stores what a submission reported; a submission without the field keeps earlier answers."""
        if reported is not None:
            self.put(candidate_id, version, reported.sex, reported.race_ethnicity)

    def put(self, candidate_id: str, version: int, sex: str | None, race_ethnicity: str | None) -> None:
        payload = {
            "entity_id": candidate_id,
            "doc": _DOC,
            "version": version,
            "sex": sex,
            "race_ethnicity": race_ethnicity,
        }
        self._store.upsert(self._collection, [Point(_point_id(candidate_id), payload, _VECTOR)])

    def delete(self, candidate_id: str) -> None:
        self._store.delete(self._collection, layout.entity(candidate_id))

    def get(self, candidate_id: str) -> StoredDemographics | None:
        found = self._store.retrieve(self._collection, [_point_id(candidate_id)])
        return _reported(found[0]) if found else None

    def all(self) -> Iterator[StoredDemographics]:
        for point in self._store.scroll(self._collection):
            yield _reported(point)


def _reported(point: Point) -> StoredDemographics:
    p = point.payload
    version = int(p.get("version", 0))
    return StoredDemographics(str(p["entity_id"]), version, p.get("sex"), p.get("race_ethnicity"))


def _point_id(candidate_id: str) -> str:
    return layout.point_id("candidate", candidate_id, _DOC)
