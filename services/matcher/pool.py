"""Hybrid retrieval of the candidates a job's shortlist is chosen from, with parsed profiles.

The pool is the dense neighbours of the job's vector plus the nearest candidates holding at least
one must-have skill (taxonomy closure, so implied skills count), in point-id order.

One scan usually finds both: the nearest ``WIDEN`` x ``limit`` profiles hold the nearest ``limit``
holders whenever that many are among them (anyone outside is farther than all of them). The store
says which of them hold a must-have: a scroll restricted to their ids and filtered by the payload
index, which reads no payloads and scores no vectors (at 100k, reading each hit's skill list
took ~9 ms per 400 hits; the scroll takes ~7.6 ms, a search restricted the same way ~8). Only when
must-haves are rarer than that does a filtered search over the whole collection run; the
payload index makes it fast for rare skills. A broad filter is what is slow: at 1M candidates
a search filtered to the 92% holding "python, pytorch or sql" took 375 ms against 95 ms
unfiltered.

The searches bring back ids, scores and stamps only: where the store vouches for revisions
(Qdrant Edge), the stamp is the hit's revision and no payload is read at all (reading the
stamp keys made Edge read each hit's whole payload, profile text included: ~9 ms of a
shortlist at 100k); elsewhere the version stamps stored with each point. The stamps tell which
parsed profiles the cache holds current copies of, and one read fetches the scoring views of the
rest (``_parse``). On a store without ``KeyedSearch`` the searches bring back whole payloads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from services.matcher.profile_cache import STAMP_KEYS, Parsed, ProfileCache, Stamp, stamp_of
from services.platform.store import layout
from services.platform.store.port import Hit, KeyedSearch, Payload, Point, VectorStore, Where


@dataclass
class Pool:
    store: VectorStore
    collection: str
    profiles: ProfileCache
    limit: int  # per search

    WIDEN = 2  # the one scan's depth, in multiples of ``limit``

    def __call__(self, vector: list[float], must: Sequence[str]) -> list[tuple[float, Parsed]]:
        """(similarity, parsed profile) of each candidate; ``must``: the job's must-have skill ids."""
        mark = self.profiles.mark()  # before the search: a point found may be erased meanwhile
        hits = self._hits(vector, sorted(must))
        stamps = {h.id: hit_stamp(h) for h in hits}
        found = {i: self.profiles.get(i, stamp) for i, stamp in stamps.items()}
        if missing := [i for i, parsed in found.items() if parsed is None]:
            found.update(self._parse(missing, stamps, {h.id: h.payload for h in hits}, mark))
        return [(h.score, parsed) for h in hits if (parsed := found.get(h.id)) is not None]

    def _parse(
        self, ids: list[str], stamps: dict[str, Stamp], payloads: dict[str, Payload], mark: int
    ) -> dict[str, Parsed]:
        """The points' profiles, each from the first payload that holds one: the search's (a
        store without ``KeyedSearch`` sends all), else the point's scoring view, else its full
        profile (a view is a third of it; points written before views, or under another
        taxonomy, need the profile). A point erased since the search is read as nothing: it is
        not in the pool."""
        parsed: dict[str, Parsed] = {}
        for keys in ((), (layout.SCORING_JSON,), layout.PROFILE_KEYS):
            if keys:
                payloads = {p.id: p.payload for p in self._read(ids, keys)}
            for i in ids:
                if (profile := self.profiles.parse(i, stamps[i], payloads.get(i, {}), mark)) is not None:
                    parsed[i] = profile
            if not (ids := [i for i in ids if i not in parsed]):
                break
        return parsed

    def _hits(self, vector: list[float], must: list[str]) -> list[Hit]:
        depth = self.limit * self.WIDEN if must else self.limit
        nearest = self._search(vector, layout.PROFILES, depth)
        hits = {h.id: h for h in nearest[: self.limit]}
        if must:
            holding = layout.holding_any(must)
            held = self._matching(replace(holding, ids=[h.id for h in nearest]), vector)
            holders = [h for h in nearest if h.id in held]
            if len(holders) < self.limit and len(nearest) == depth:  # rarer than that: ask the index
                holders = self._search(vector, holding, self.limit)
            for hit in holders[: self.limit]:
                hits.setdefault(hit.id, hit)
        return sorted(hits.values(), key=lambda h: h.id)

    def _matching(self, where: Where, vector: list[float]) -> set[str]:
        """Ids of the points ``where`` (restricted to ids) matches: a filtered scroll where the
        store has one, which scores no vector. At 100k and 400 ids the gain is small (~7.6 against
        ~8.0 ms median): Edge's filtered scroll takes ~2.3 ms, but building the filter of 400
        ids takes ~1.8 ms either way."""
        if isinstance(self.store, KeyedSearch):
            return set(self.store.matching_ids(self.collection, where))
        return {h.id for h in self.store.search(self.collection, vector, len(where.ids or ()), where)}

    def _read(self, ids: list[str], keys: tuple[str, ...]) -> list[Point]:
        """The points' ``keys`` only, where the store can: the rest of a payload is read for
        nothing (reading the whole took ~30% longer than the profile alone)."""
        if isinstance(self.store, KeyedSearch):
            return self.store.retrieve_keys(self.collection, ids, keys)
        return self.store.retrieve(self.collection, ids)

    def _search(self, vector: list[float], where: Where, limit: int) -> list[Hit]:
        """Ids and scores, and what ``hit_stamp`` needs."""
        if not isinstance(self.store, KeyedSearch):
            return self.store.search(self.collection, vector, limit, where)
        keys = () if self.store.revisioned else STAMP_KEYS
        return self.store.search_keys(self.collection, vector, limit, where, keys)


def hit_stamp(hit: Hit) -> Stamp:
    """What the cache checks its copy of the hit's profile against."""
    return hit.revision if hit.revision is not None else stamp_of(hit.payload)
