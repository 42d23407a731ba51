"""``VectorStore`` on qdrant-edge-py: one in-process ``EdgeShard`` per collection under ``root``.

Writes go through the shard's write-ahead log, so an upsert survives a crash once it returns;
we flush every few thousand writes so that reopening replays a short log and stays fast.
HNSW is only built by ``optimize()``; until then searches are exact scans, which is fast enough
at tens of thousands of points. Payload indexes are created with the collection, so they exist
before any HNSW graph and it gets the filter-aware links that filtered search relies on.

With ``warm``, opening a collection starts a background read of its segment files, so the
first searches find payloads and vectors in the page cache instead of on disk: at 1M
candidates a shortlist's first read of 220 stamps took 60-85 ms cold and 8-11 ms warm, and
reading the 3 GB of payload files took ~3 s (``posix_fadvise(WILLNEED)`` did not help here).
"""

from __future__ import annotations

import itertools
import os
import re
import threading
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import qdrant_edge as qe

from services.platform.store.common import Payload, Reads, best_first, hold_folder, where_terms
from services.platform.store.port import CollectionSpec, Hit, Point, Scalar, Where

_FLUSH_EVERY = 5_000  # pending point writes; bounds the log replayed on reopen
_PAGE = 256
_IDS_PAGE = 4096  # a page of ids alone
_ACORN = qe.SearchParams(acorn=qe.AcornSearchParams(enable=True))
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_OPENINGS = itertools.count()  # a shard removed and created again restarts its version numbers


def _value(v: Scalar) -> Any:
    # The binding reads a Python bool as int 1 (bool subclasses int); numpy.bool_ is no int,
    # so it reaches Qdrant as a real boolean.
    return np.bool_(v) if isinstance(v, bool) else v


def _match(key: str, values: tuple[Scalar, ...]) -> qe.FieldCondition | qe.Filter:
    if len(values) == 1:
        return qe.FieldCondition(key, match=qe.MatchValue(_value(values[0])))
    if all(isinstance(v, str) for v in values) or all(type(v) is int for v in values):
        return qe.FieldCondition(key, match=qe.MatchAny(list(values)))  # type: ignore[arg-type]
    return qe.Filter(should=[qe.FieldCondition(key, match=qe.MatchValue(_value(v))) for v in values])


def _filter(where: Where | None) -> qe.Filter | None:
    if where is None:
        return None
    must: list[Any] = [_match(k, vs) for k, vs in where_terms(where.must)]
    # "none of" = no single value matches, so each value is its own must_not clause
    must_not: list[Any] = [
        qe.FieldCondition(k, match=qe.MatchValue(_value(v)))
        for k, vs in where_terms(where.must_not)
        for v in vs
    ]
    if where.ids is not None:
        must.append(qe.HasIdCondition(point_ids=set(where.ids)))
    return qe.Filter(must=must or None, must_not=must_not or None)


def _read_data(file: Path, block: int = 1 << 22) -> int:
    """Reads the parts of ``file`` that hold data, skipping holes; bytes read."""
    read = 0
    with file.open("rb", buffering=0) as f:
        fd, end = f.fileno(), os.fstat(f.fileno()).st_size
        offset = 0
        while offset < end:
            try:
                start = os.lseek(fd, offset, os.SEEK_DATA)
            except OSError:  # ENXIO: only a hole is left
                break
            stop = os.lseek(fd, start, os.SEEK_HOLE)
            f.seek(start)
            while start < stop and (got := f.read(min(block, stop - start))):
                start += len(got)
                read += len(got)
            offset = stop
    return read


def edge_points(points: Sequence[Point]) -> list[qe.Point]:
    return [qe.Point(p.id, [float(x) for x in p.vector or ()], p.payload) for p in points]


def _vector(v: object) -> list[float] | None:
    return [float(x) for x in v] if isinstance(v, list) else None


class EdgeStore(Reads):
    revisioned = True  # a hit's revision: (this opening of the shard, the point's version)

    def __init__(self, root: Path, *, indexing_threshold_kb: int | None = None, warm: bool = False) -> None:
        """``indexing_threshold_kb``: segment size from which ``optimize()`` builds HNSW.
        ``warm``: read each collection's files once in the background when it is opened."""
        self._root = Path(root)
        # Edge locks a shard's log only when the shard opens: without this, a second process would
        # start, then fail at its first read on a log error no one can act on.
        self._folder = hold_folder(self._root)
        self._warm = warm
        self.warming: dict[str, threading.Thread] = {}
        self._optimizers = qe.EdgeOptimizersConfig(indexing_threshold=indexing_threshold_kb)
        self._shards: dict[str, qe.EdgeShard] = {}
        self._opening: dict[str, int] = {}
        self._pending: dict[str, int] = {}
        self._dims: dict[str, int] = {}  # collections whose config ensure_collection has checked
        self._lock = threading.RLock()  # guards the shard map and serialises calls into a shard

    def _path(self, name: str) -> Path:
        if not _NAME.fullmatch(name):
            raise ValueError(f"invalid collection name: {name!r}")
        return self._root / name

    def _shard(self, name: str) -> qe.EdgeShard:
        shard = self._shards.get(name)
        if shard is None:
            path = self._path(name)
            if not (path / "edge_config.json").exists():
                raise KeyError(f"no collection {name!r} under {self._root}")
            shard = qe.EdgeShard.load(str(path))
            self._opened(name, shard)
        return shard

    def _opened(self, name: str, shard: qe.EdgeShard) -> None:
        self._shards[name], self._pending[name] = shard, 0
        self._opening[name] = next(_OPENINGS)
        if self._warm and name not in self.warming:
            reader = threading.Thread(target=self.warm_up, args=(name,), name=f"warm-{name}", daemon=True)
            self.warming[name] = reader
            reader.start()

    def warm_up(self, name: str) -> int:
        """Reads the data in the collection's segment files once (into the page cache); bytes read.
        The files are mostly preallocated holes (76 MB for 500 small points), which are skipped."""
        read = 0
        try:
            files = sorted(p for p in (self._path(name) / "segments").rglob("*") if p.is_file())
        except OSError:  # the collection is being removed
            return read
        for file in files:
            try:
                read += _read_data(file)
            except OSError:  # merged away or removed meanwhile: nothing left to warm there
                continue
        return read

    def ensure_collection(self, spec: CollectionSpec) -> None:
        vectors = qe.EdgeVectorParams(size=spec.dim, distance=qe.Distance.Cosine)
        config = qe.EdgeConfig(vectors=vectors, optimizers=self._optimizers)
        with self._lock:
            if self._dims.get(spec.name, spec.dim) != spec.dim:
                raise ValueError(f"collection {spec.name!r} has dim {self._dims[spec.name]}, not {spec.dim}")
            if spec.name not in self._dims:  # first time here: (re)open with the config checked
                path = self._path(spec.name)
                if (old := self._shards.pop(spec.name, None)) is not None:
                    old.close()
                if (path / "edge_config.json").exists():
                    try:
                        shard = qe.EdgeShard.load(str(path), config)
                    except Exception as exc:
                        raise ValueError(f"collection {spec.name!r} does not fit {spec}: {exc}") from exc
                else:
                    shard = qe.EdgeShard.create(str(path), config)
                self._opened(spec.name, shard)
                self._dims[spec.name] = spec.dim
            shard = self._shards[spec.name]
            missing = set(spec.keyword_fields) - set(shard.info().payload_schema)
            for key in sorted(missing):
                shard.update(qe.UpdateOperation.create_field_index(key, qe.PayloadSchemaType.Keyword))
            if missing:
                shard.flush()

    def _wrote(self, name: str, shard: qe.EdgeShard, n: int) -> None:
        self._pending[name] += n
        if self._pending[name] >= _FLUSH_EVERY:
            shard.flush()
            self._pending[name] = 0

    def upsert(self, collection: str, points: Sequence[Point]) -> None:
        if any(p.vector is None for p in points):
            raise ValueError("every upserted point needs a vector")
        # Built under the lock, one thread at a time: converting a payload lets go of the GIL
        # and takes it back many times, so beside other busy threads (a batch's résumés, all
        # written as the model returns) each point waited out switch intervals. 32 writers at
        # once spent 2-5x the CPU of one, under the lock ~1.2x (store_write_contention.py); in
        # ingest, a batch's writes after its model call took 0.4 s, now 0.1 s.
        with self._lock:
            self._upsert_built(collection, edge_points(points))

    def _upsert_built(self, collection: str, batch: list[qe.Point]) -> None:
        """Called with the lock held."""
        shard = self._shard(collection)
        shard.update(qe.UpdateOperation.upsert_points(batch))
        self._wrote(collection, shard, len(batch))

    def delete(self, collection: str, where: Where) -> None:
        with self._lock:
            shard = self._shard(collection)
            shard.update(qe.UpdateOperation.delete_points_by_filter(_filter(where) or qe.Filter()))
            self._wrote(collection, shard, 1)

    def _search(
        self,
        collection: str,
        vector: Sequence[float],
        limit: int,
        where: Where | None,
        payload: Payload,
        with_vectors: bool,
    ) -> list[Hit]:
        query, flt = qe.Query.Nearest([float(x) for x in vector]), _filter(where)
        # Once optimize() built HNSW, a filter too broad for the exact path walks the graph;
        # ACORN keeps that walk from stranding (measured: recall@50 0.15 -> 0.83 at 50k points).
        params = _ACORN if flt is not None else None

        def fetch(n: int) -> list[Hit]:
            request = qe.QueryRequest(limit=n, query=query, filter=flt, params=params,
                                      with_payload=payload, with_vector=with_vectors)  # fmt: skip
            with self._lock:
                shard = self._shard(collection)
                opening = self._opening[collection]
                found = shard.query(request)
            # Each read of a scored point's id makes a UUID object: read once, outside the lock
            # (ranking by the binding's points read each id twice: ~3 ms per 400 hits at 1M).
            return [
                Hit(str(h.id), h.score, dict(h.payload or {}), _vector(h.vector), (opening, h.version))
                for h in found
            ]

        return best_first(fetch, limit, lambda h: h.score, lambda h: h.id)

    def _retrieve(
        self, collection: str, ids: Sequence[str], payload: Payload, with_vectors: bool
    ) -> list[Point]:
        with self._lock:
            records = self._shard(collection).retrieve(list(ids), payload, with_vectors)
        found = {str(r.id): r for r in records}
        wanted = (found.get(str(uuid.UUID(i))) for i in ids)
        return [Point(str(r.id), dict(r.payload or {}), _vector(r.vector)) for r in wanted if r]

    def _scroll(
        self, collection: str, where: Where | None, with_payload: bool, with_vectors: bool
    ) -> Iterator[Point]:
        offset: Any = None
        page = _PAGE if with_payload else _IDS_PAGE
        while True:
            request = qe.ScrollRequest(offset=offset, limit=page, filter=_filter(where),
                                       with_payload=with_payload, with_vector=with_vectors)  # fmt: skip
            with self._lock:
                records, offset = self._shard(collection).scroll(request)
            yield from (Point(str(r.id), dict(r.payload or {}), _vector(r.vector)) for r in records)
            if offset is None:
                return

    def count(self, collection: str, where: Where | None = None) -> int:
        with self._lock:
            return self._shard(collection).count(qe.CountRequest(exact=True, filter=_filter(where)))

    def optimize(self, collection: str) -> bool:
        """Merge segments and build HNSW. Blocks, and holds the GIL, for seconds per 10k points."""
        with self._lock:
            shard = self._shard(collection)
            changed = shard.optimize()
            shard.flush()
            return changed

    def close(self) -> None:
        with self._lock:
            for shard in self._shards.values():
                shard.flush()
                shard.close()
            self._shards.clear()
            self._dims.clear()
            self._folder.release()
