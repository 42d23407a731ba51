"""Pieces both store adapters share: filter terms and the id tie-break of the port."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from services.platform.store.port import Scalar

Terms = list[tuple[str, tuple[Scalar, ...]]]
T = TypeVar("T")


def where_terms(clauses: Mapping[str, Scalar | Sequence[Scalar]]) -> Terms:
    """(key, accepted values) pairs; a scalar becomes a one-value tuple (str is a Sequence too)."""
    return [(k, (v,) if isinstance(v, str | int) else tuple(v)) for k, v in clauses.items()]


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
