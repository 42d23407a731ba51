"""The storage port: what the services need from a vector store, and nothing more.

Adapters: ``edge`` (qdrant-edge-py, in-process) and ``qdrant`` (qdrant-client: server,
or its local mode). One contract suite (``tests/contract``) runs against each.
Methods are synchronous; async callers run them in a worker thread.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

Scalar = str | int | bool
Payload = dict[str, Any]


class StoreInUse(RuntimeError):
    """An embedded store's folder is open in another process: embedded stores are single-process."""


@dataclass(frozen=True)
class Where:
    """Conjunction of exact matches on top-level payload keys (and, with ``ids``, of point ids).

    A list value matches when the stored value (or any element of a stored list)
    equals any of the listed values.
    """

    must: Mapping[str, Scalar | Sequence[Scalar]] = field(default_factory=dict)
    must_not: Mapping[str, Scalar | Sequence[Scalar]] = field(default_factory=dict)
    ids: Sequence[str] | None = None  # only these points; None: any


@dataclass(frozen=True)
class Point:
    id: str  # a UUID string; callers derive it deterministically from entity ids
    payload: Payload
    vector: list[float] | None = None


@dataclass(frozen=True)
class Hit:
    id: str
    score: float  # cosine similarity
    payload: Payload
    vector: list[float] | None = None
    # Set only by a store that vouches for it: changes on every write of the point and never
    # names other content of it while this store object is open (see ``KeyedSearch.revisioned``).
    revision: Hashable | None = None


@dataclass(frozen=True)
class CollectionSpec:
    name: str
    dim: int
    keyword_fields: tuple[str, ...] = ()  # payload fields to index for filtering


class VectorStore(Protocol):
    def ensure_collection(self, spec: CollectionSpec) -> None: ...

    def upsert(self, collection: str, points: Sequence[Point]) -> None:
        """Durable when it returns (server: ``wait=True``)."""

    def delete(self, collection: str, where: Where) -> None: ...

    def search(
        self,
        collection: str,
        vector: Sequence[float],
        limit: int,
        where: Where | None = None,
        with_vectors: bool = False,
    ) -> list[Hit]:
        """Best first; ties broken by id so results are deterministic."""

    def retrieve(self, collection: str, ids: Sequence[str], with_vectors: bool = False) -> list[Point]: ...

    def scroll(
        self, collection: str, where: Where | None = None, with_vectors: bool = False
    ) -> Iterator[Point]: ...

    def count(self, collection: str, where: Where | None = None) -> int: ...

    def close(self) -> None: ...


@runtime_checkable
class KeyedSearch(Protocol):
    """Optional: ``search`` and ``retrieve`` that bring back only the named top-level payload keys.

    Reading a stored payload and turning it into Python costs more than the vector scan once
    profiles are large, so a reader that caches parsed payloads searches for ids and scores only,
    then reads the few keys that tell whether its copies are current. Both adapters have it; a
    wrapper that lacks it makes callers fall back to ``search``.

    ``revisioned``: every search hit carries a ``revision``, so a reader needs no payload key at
    all to tell whether its copy is current. Qdrant Edge has one: the point's version (the number
    of the write that last touched it, kept across reopening) within this opening of the shard.
    A server's numbers restart when anyone recreates the collection, so its adapter has none."""

    revisioned: bool

    def search_keys(
        self, collection: str, vector: Sequence[float], limit: int, where: Where | None, keys: Sequence[str]
    ) -> list[Hit]:
        """As ``search`` (best first, ties by id); ``Hit.payload`` holds only ``keys`` (those present)."""

    def retrieve_keys(self, collection: str, ids: Sequence[str], keys: Sequence[str]) -> list[Point]:
        """As ``retrieve`` without vectors; ``Point.payload`` holds only ``keys`` (those present)."""

    def matching_ids(self, collection: str, where: Where) -> list[str]:
        """The ids of the points ``where`` matches, in no set order: no vector scored, nothing read."""
