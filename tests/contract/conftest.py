"""Backends the contract suite runs against; each test gets storage of its own.

A Qdrant server joins the matrix only when ``ROLEFIT_TEST_QDRANT_URL`` is set
(``ROLEFIT_TEST_QDRANT_API_KEY`` optional); its collections are dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pydantic import SecretStr
from qdrant_client import QdrantClient

from services.platform.store.edge import EdgeStore
from services.platform.store.port import CollectionSpec, VectorStore
from services.platform.store.qdrant import QdrantStore

SERVER_URL = os.environ.get("ROLEFIT_TEST_QDRANT_URL")
SERVER_KEY = os.environ.get("ROLEFIT_TEST_QDRANT_API_KEY")
SHM = Path("/dev/shm")


@dataclass
class Backend:
    name: str
    opener: Callable[[], VectorStore]
    persistent: bool  # a second open() sees what the first one wrote
    prefix: str
    opened: list[VectorStore] = field(default_factory=list)
    _names: int = 0

    def open(self) -> VectorStore:
        store = self.opener()
        self.opened.append(store)
        return store

    def spec(self, dim: int, keyword_fields: tuple[str, ...] = ()) -> CollectionSpec:
        self._names += 1
        return CollectionSpec(f"{self.prefix}{self._names}", dim, keyword_fields)


def _openers(tmp_path: Path, ram_path: Path) -> dict[str, Callable[[], VectorStore]]:
    key = SecretStr(SERVER_KEY) if SERVER_KEY else None
    return {
        "edge": lambda: EdgeStore(tmp_path / "edge"),
        "memory": QdrantStore.memory,
        "local": lambda: QdrantStore.local(ram_path / "local"),
        "server": lambda: QdrantStore.server(SERVER_URL or "", key),
    }


@pytest.fixture(
    params=[
        "edge",
        "memory",
        "local",
        pytest.param(
            "server",
            marks=pytest.mark.skipif(
                not SERVER_URL, reason="set ROLEFIT_TEST_QDRANT_URL to test a Qdrant server"
            ),
        ),
    ]
)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    name: str = request.param
    # Local mode commits to SQLite once per point; on a busy shared disk that fsync dominates the
    # suite. A RAM-backed folder still exercises every file it writes and reads back.
    ram_path = Path(tempfile.mkdtemp(dir=SHM)) if SHM.is_dir() and os.access(SHM, os.W_OK) else tmp_path
    b = Backend(
        name,
        _openers(tmp_path, ram_path)[name],
        persistent=name != "memory",
        prefix=f"contract_{uuid.uuid4().hex[:10]}_",
    )
    yield b
    for store in b.opened:
        store.close()
    if ram_path != tmp_path:
        shutil.rmtree(ram_path, ignore_errors=True)
    if name == "server":
        client = QdrantClient(url=SERVER_URL, api_key=SERVER_KEY)
        for c in client.get_collections().collections:
            if c.name.startswith(b.prefix):
                client.delete_collection(c.name)
        client.close()


@pytest.fixture
def store(backend: Backend) -> VectorStore:
    return backend.open()
