"""Store wrappers that fail or refuse on purpose, around a real store."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any

from services.platform.store.port import CollectionSpec, Hit, Point, VectorStore, Where

WRITES = ("ensure_collection", "upsert", "delete")


class StoreDown(ConnectionError):
    """What a network blip or a restarting Qdrant looks like to the adapter's caller."""


class FlakyStore:
    """Every call fails while ``down`` is set, and the next ``fail_next`` calls fail after it."""

    def __init__(self, inner: VectorStore, fail_next: int = 0) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self.fail_next = fail_next
        self.down = threading.Event()
        self.failures = 0

    def _gate(self) -> None:
        with self._lock:
            if self.down.is_set() or self.fail_next > 0:
                self.fail_next = max(0, self.fail_next - 1)
                self.failures += 1
                raise StoreDown("store unreachable (test)")

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if not callable(attribute) or name == "close":
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            self._gate()
            return attribute(*args, **kwargs)

        return call


class GatedStore:
    """Writes wait while ``gate`` is closed (cleared): holds records in flight, at a known point,
    for as long as a test needs. ``held`` counts the writes waiting now."""

    def __init__(self, inner: VectorStore, max_wait_s: float = 60.0) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self._max_wait_s = max_wait_s  # a failing test must not leave threads blocked forever
        self.gate = threading.Event()
        self.gate.set()
        self.held = 0

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if name not in WRITES:
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.held += 1
            try:
                self.gate.wait(self._max_wait_s)
            finally:
                with self._lock:
                    self.held -= 1
            return attribute(*args, **kwargs)

        return call


class ReadOnlyStore:
    """What a read-only Qdrant API key allows: reads pass through, any write raises (and is noted)."""

    def __init__(self, inner: VectorStore) -> None:
        self._inner = inner
        self.attempted: list[str] = []

    def _refuse(self, name: str) -> None:
        self.attempted.append(name)
        raise PermissionError(f"read-only store: {name} refused")

    def ensure_collection(self, spec: CollectionSpec) -> None:
        self._refuse("ensure_collection")

    def upsert(self, collection: str, points: Sequence[Point]) -> None:
        self._refuse("upsert")

    def delete(self, collection: str, where: Where) -> None:
        self._refuse("delete")

    def search(
        self, collection: str, vector: Sequence[float], limit: int, where: Where | None = None,
        with_vectors: bool = False,
    ) -> list[Hit]:  # fmt: skip
        return self._inner.search(collection, vector, limit, where, with_vectors)

    def retrieve(self, collection: str, ids: Sequence[str], with_vectors: bool = False) -> list[Point]:
        return self._inner.retrieve(collection, ids, with_vectors)

    def scroll(
        self, collection: str, where: Where | None = None, with_vectors: bool = False
    ) -> Iterator[Point]:
        return self._inner.scroll(collection, where, with_vectors)

    def count(self, collection: str, where: Where | None = None) -> int:
        return self._inner.count(collection, where)

    def close(self) -> None:
        """The inner store belongs to whoever opened it."""
