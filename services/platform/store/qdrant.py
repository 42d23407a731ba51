"""``VectorStore`` on qdrant-client: a Qdrant server, or the client's local (embedded) mode.

Local mode is plain Python over numpy (exact search, no payload indexes), so the adapter skips
index creation there and serialises calls, since that mode keeps its state in unlocked dicts.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from filelock import FileLock
from pydantic import SecretStr
from qdrant_client import QdrantClient
from qdrant_client import models as qm

from services.platform.store.common import Payload, Reads, best_first, hold_folder, where_terms
from services.platform.store.port import CollectionSpec, Hit, Point, Scalar, Where

_PAGE = 256
_IDS_PAGE = 4096  # a page of ids alone
_COSINE = qm.Distance.COSINE
_BATCH = 256  # points per upsert request; keeps server requests well under the size limit


def _match(key: str, values: tuple[Scalar, ...]) -> qm.Condition:
    if len(values) == 1:
        return qm.FieldCondition(key=key, match=qm.MatchValue(value=values[0]))
    if all(isinstance(v, str) for v in values) or all(type(v) is int for v in values):
        return qm.FieldCondition(key=key, match=qm.MatchAny(any=list(values)))  # type: ignore[arg-type]
    # MatchAny takes only all-str or all-int lists; anything else becomes an OR of exact matches
    return qm.Filter(should=[qm.FieldCondition(key=key, match=qm.MatchValue(value=v)) for v in values])


def _filter(where: Where | None) -> qm.Filter | None:
    if where is None:
        return None
    must = [_match(k, vs) for k, vs in where_terms(where.must)]
    if where.ids is not None:
        must.append(qm.HasIdCondition(has_id=list(where.ids)))
    must_not: list[qm.Condition] = [
        qm.FieldCondition(key=k, match=qm.MatchValue(value=v))
        for k, vs in where_terms(where.must_not)
        for v in vs
    ]
    return qm.Filter(must=must or None, must_not=must_not or None)


def _vector(v: Any) -> list[float] | None:
    return [float(x) for x in v] if isinstance(v, list) else None


def _point(r: qm.Record) -> Point:
    return Point(str(r.id), dict(r.payload or {}), _vector(r.vector))


class QdrantStore(Reads):
    def __init__(
        self, client: QdrantClient, *, embedded: bool = False, folder: FileLock | None = None
    ) -> None:
        self._client = client
        self._embedded = embedded
        self._folder = folder  # local mode's, held until close
        self._lock: contextlib.AbstractContextManager[Any] = (
            threading.RLock() if embedded else contextlib.nullcontext()
        )

    @classmethod
    def server(cls, url: str, api_key: SecretStr | None) -> QdrantStore:
        key = api_key.get_secret_value() if api_key is not None else None
        return cls(QdrantClient(url=url, api_key=key))

    @classmethod
    def local(cls, path: Path) -> QdrantStore:
        folder = hold_folder(Path(path))
        try:
            return cls(QdrantClient(path=str(path)), embedded=True, folder=folder)
        except BaseException:
            folder.release()
            raise

    @classmethod
    def memory(cls) -> QdrantStore:
        return cls(QdrantClient(location=":memory:"), embedded=True)

    def ensure_collection(self, spec: CollectionSpec) -> None:
        params = qm.VectorParams(size=spec.dim, distance=_COSINE)
        with self._lock:
            if not self._client.collection_exists(spec.name):
                try:
                    self._client.create_collection(spec.name, vectors_config=params)
                except Exception:
                    if not self._client.collection_exists(spec.name):  # lost a creation race: fine
                        raise
            info = self._client.get_collection(spec.name)
            have = info.config.params.vectors  # a dict when the collection uses named vectors
            if not isinstance(have, qm.VectorParams) or (have.size, have.distance) != (spec.dim, _COSINE):
                raise ValueError(f"collection {spec.name!r} has vectors {have}, expected {params}")
            if self._embedded:
                return
            for key in spec.keyword_fields:
                if key not in info.payload_schema:
                    self._client.create_payload_index(spec.name, key, qm.PayloadSchemaType.KEYWORD, wait=True)

    def upsert(self, collection: str, points: Sequence[Point]) -> None:
        if any(p.vector is None for p in points):
            raise ValueError("every upserted point needs a vector")
        structs = [
            qm.PointStruct(id=p.id, vector=[float(x) for x in p.vector or ()], payload=p.payload)
            for p in points
        ]
        with self._lock:
            for i in range(0, len(structs), _BATCH):
                self._client.upsert(collection, structs[i : i + _BATCH], wait=True)

    def delete(self, collection: str, where: Where) -> None:
        selector = qm.FilterSelector(filter=_filter(where) or qm.Filter())
        with self._lock:
            self._client.delete(collection, selector, wait=True)

    def _search(
        self,
        collection: str,
        vector: Sequence[float],
        limit: int,
        where: Where | None,
        payload: Payload,
        with_vectors: bool,
    ) -> list[Hit]:
        query, flt = [float(x) for x in vector], _filter(where)

        def fetch(n: int) -> list[qm.ScoredPoint]:
            with self._lock:
                return self._client.query_points(
                    collection,
                    query=query,
                    query_filter=flt,
                    limit=n,
                    with_payload=payload,
                    with_vectors=with_vectors,
                ).points

        ranked = best_first(fetch, limit, lambda h: h.score, lambda h: str(h.id))
        return [Hit(str(h.id), h.score, dict(h.payload or {}), _vector(h.vector)) for h in ranked]

    def _retrieve(
        self, collection: str, ids: Sequence[str], payload: Payload, with_vectors: bool
    ) -> list[Point]:
        with self._lock:
            records = self._client.retrieve(
                collection, list(ids), with_payload=payload, with_vectors=with_vectors
            )
        found = {str(r.id): r for r in records}
        keys = (str(uuid.UUID(i)) for i in ids)  # the server answers with canonical UUID strings
        return [_point(found[k]) for k in keys if k in found]

    def _scroll(
        self, collection: str, where: Where | None, with_payload: bool, with_vectors: bool
    ) -> Iterator[Point]:
        offset: Any = None
        while True:
            with self._lock:
                records, offset = self._client.scroll(
                    collection,
                    _filter(where),
                    limit=_PAGE if with_payload else _IDS_PAGE,
                    offset=offset,
                    with_payload=with_payload,
                    with_vectors=with_vectors,
                )
            yield from map(_point, records)
            if offset is None:
                return

    def count(self, collection: str, where: Where | None = None) -> int:
        with self._lock:
            return self._client.count(collection, _filter(where), exact=True).count

    def close(self) -> None:
        with self._lock:
            self._client.close()
            if self._folder is not None:
                self._folder.release()
