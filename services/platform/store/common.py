"""Pieces both store adapters share: filter terms, the id tie-break of the port, the read methods,
which differ only in what payload they ask the adapter's ``_search``/``_retrieve``/``_scroll``
for, and the lock that keeps an embedded store's folder to one process."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from filelock import FileLock, Timeout

from services.platform.store.port import Hit, Point, Scalar, StoreInUse, Where

Terms = list[tuple[str, tuple[Scalar, ...]]]
T = TypeVar("T")


def where_terms(clauses: Mapping[str, Scalar | Sequence[Scalar]]) -> Terms:
    """(key, accepted values) pairs; a scalar becomes a one-value tuple (str is a Sequence too)."""
    return [(k, (v,) if isinstance(v, str | int) else tuple(v)) for k, v in clauses.items()]


def hold_folder(folder: Path) -> FileLock:
    """Takes ``folder`` (created if missing) for this process until the lock's ``release()``.
    Embedded stores are single-process: a second one is refused when it opens, with the remedy."""
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder / ".rolefit.lock", thread_local=False)  # released by close(), any thread
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise StoreInUse(
            f"the embedded store at {folder} is open in another process, and it is single-process: "
            "stop that process, or point every process at a Qdrant server (ROLEFIT_QDRANT__URL)"
        ) from None
    return lock


def best_first(
    fetch: Callable[[int], list[T]], limit: int, score: Callable[[T], float], ident: Callable[[T], str]
) -> list[T]:
    """Top ``limit`` by score, ties by id: widen the fetch until no tie straddles the cut."""
    if limit <= 0:
        return []
    n = limit + 1
    while True:
        got = fetch(n)
        if len(got) < n or score(got[-1]) < score(got[limit - 1]):
            break
        n *= 2
    return sorted(got, key=lambda h: (-score(h), ident(h)))[:limit]


Payload = bool | list[str]  # True: all of it; False: none; a list: only these top-level keys


class Reads(ABC):
    """``search``/``retrieve``/``scroll`` of the port and their ``KeyedSearch`` variants."""

    revisioned = False  # an adapter whose hits carry ``Hit.revision`` says so

    def search(
        self,
        collection: str,
        vector: Sequence[float],
        limit: int,
        where: Where | None = None,
        with_vectors: bool = False,
    ) -> list[Hit]:
        return self._search(collection, vector, limit, where, True, with_vectors)

    def search_keys(
        self, collection: str, vector: Sequence[float], limit: int, where: Where | None, keys: Sequence[str]
    ) -> list[Hit]:
        return self._search(collection, vector, limit, where, list(keys) or False, False)

    def retrieve(self, collection: str, ids: Sequence[str], with_vectors: bool = False) -> list[Point]:
        return self._retrieve(collection, ids, True, with_vectors)

    def retrieve_keys(self, collection: str, ids: Sequence[str], keys: Sequence[str]) -> list[Point]:
        return self._retrieve(collection, ids, list(keys) or False, False)

    def scroll(
        self, collection: str, where: Where | None = None, with_vectors: bool = False
    ) -> Iterator[Point]:
        return self._scroll(collection, where, True, with_vectors)

    def matching_ids(self, collection: str, where: Where) -> list[str]:
        return [point.id for point in self._scroll(collection, where, False, False)]

    @abstractmethod
    def _search(
        self,
        collection: str,
        vector: Sequence[float],
        limit: int,
        where: Where | None,
        payload: Payload,
        with_vectors: bool,
    ) -> list[Hit]: ...

    @abstractmethod
    def _retrieve(
        self, collection: str, ids: Sequence[str], payload: Payload, with_vectors: bool
    ) -> list[Point]: ...

    @abstractmethod
    def _scroll(
        self, collection: str, where: Where | None, with_payload: bool, with_vectors: bool
    ) -> Iterator[Point]:
        """Every matching point, in pages (larger ones when no payload is read)."""
