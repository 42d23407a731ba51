"""Pick the ``VectorStore`` adapter that ``QdrantSettings`` describe."""

from __future__ import annotations

from services.platform.settings import QdrantSettings
from services.platform.store.edge import EdgeStore
from services.platform.store.port import VectorStore
from services.platform.store.qdrant import QdrantStore


def open_store(settings: QdrantSettings) -> VectorStore:
    """A server when ``url`` is set, else the embedded backend under ``path``.

    Each embedded backend gets its own subfolder: their on-disk layouts differ, and switching
    ``embedded_backend`` must not make one read the other's files.
    """
    if settings.url:
        return QdrantStore.server(settings.url, settings.api_key)
    if settings.embedded_backend == "local":
        return QdrantStore.local(settings.path / "local")
    return EdgeStore(settings.path / "edge", warm=settings.warm_page_cache)


def collection_name(settings: QdrantSettings, base: str) -> str:
    return f"{settings.collection_prefix}{base}"
