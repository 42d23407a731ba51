"""Hybrid retrieval of the candidates a job's shortlist is chosen from, with parsed profiles.

The pool is the dense neighbours of the job's vector plus the nearest candidates holding at least
one must-have skill (taxonomy closure, so implied skills count), in point-id order. The searches
bring back ids and scores only; one read of the union's stamps tells which parsed profiles the
cache holds current copies of, and one more read fetches the whole payloads of the rest. On a
store without ``KeyedSearch`` the searches bring back whole payloads, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.matcher.profile_cache import STAMP_KEYS, Parsed, ProfileCache, stamp_of
from services.platform.store import layout
from services.platform.store.port import Hit, KeyedSearch, VectorStore, Where


@dataclass
class Pool:
    store: VectorStore
    collection: str
    profiles: ProfileCache
    limit: int  # per search

    def __call__(self, vector: list[float], must: Sequence[str]) -> list[tuple[float, Parsed]]:
        """(similarity, parsed profile) of each candidate; ``must``: the job's must-have skill ids."""
        hits = self._hits(vector, sorted(must))
        if isinstance(self.store, KeyedSearch):
            stamps = self.store.retrieve_keys(self.collection, [h.id for h in hits], STAMP_KEYS)
            payloads = {p.id: p.payload for p in stamps}
        else:
            payloads = {h.id: h.payload for h in hits}
        # A point erased after the search has no payload left: it is not in the pool.
        found = {i: self.profiles.get(p["entity_id"], stamp_of(p)) for i, p in payloads.items()}
        if missing := [i for i, parsed in found.items() if parsed is None]:
            full = {i: payloads[i] for i in missing if layout.holds_profile(payloads[i])}  # search sent all
            if unread := [i for i in missing if i not in full]:
                full.update((p.id, p.payload) for p in self.store.retrieve(self.collection, unread))
            found.update((i, self.profiles.parse(payload)) for i, payload in full.items())
        return [(h.score, parsed) for h in hits if (parsed := found.get(h.id)) is not None]

    def _hits(self, vector: list[float], must: list[str]) -> list[Hit]:
        hits = {h.id: h for h in self._search(vector, layout.PROFILES)}
        if must:
            for hit in self._search(vector, layout.holding_any(must)):
                hits.setdefault(hit.id, hit)
        return sorted(hits.values(), key=lambda h: h.id)

    def _search(self, vector: list[float], where: Where) -> list[Hit]:
        if isinstance(self.store, KeyedSearch):
            return self.store.search_keys(self.collection, vector, self.limit, where, ())
        return self.store.search(self.collection, vector, self.limit, where)
