"""Ranking metrics over one ranked list of ids and graded judgements (grade 0 = not relevant).

Conventions, shared by every system so that numbers compare:
- an id the system did not rank contributes nothing (it sits "below the list");
- an id without a judgement has grade 0;
- nDCG gains are ``2**grade - 1`` with a ``log2(rank + 1)`` discount, and the ideal ordering is
  built from every judged id of the query, not only from those the system returned.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence


def dcg(grades: Iterable[int]) -> float:
    """Discounted cumulative gain of grades listed in rank order (rank 1 first)."""
    return sum((2**g - 1) / math.log2(rank + 1) for rank, g in enumerate(grades, start=1))


def ndcg_at_k(ranked: Sequence[str], grades: Mapping[str, int], k: int) -> float:
    """nDCG@k in [0, 1]; 0.0 when nothing is relevant (callers skip such queries)."""
    ideal = dcg(sorted(grades.values(), reverse=True)[:k])
    if ideal <= 0:
        return 0.0
    return dcg(grades.get(i, 0) for i in ranked[:k]) / ideal


def average_precision(ranked: Sequence[str], relevant: Iterable[str]) -> float:
    """Mean of precision@r over the ranks r of relevant ids; unranked relevant ids count as 0."""
    wanted = set(relevant)
    if not wanted:
        return 0.0
    hits, total = 0, 0.0
    for rank, item in enumerate(ranked, start=1):
        if item in wanted:
            hits += 1
            total += hits / rank
    return total / len(wanted)


def precision_at_k(ranked: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """Share of the first k slots holding relevant ids; a list shorter than k is padded with misses."""
    if k <= 0:
        raise ValueError("k must be positive")
    wanted = set(relevant)
    return sum(1 for item in ranked[:k] if item in wanted) / k


def relevant_ids(grades: Mapping[str, int], min_grade: int) -> set[str]:
    return {item for item, g in grades.items() if g >= min_grade}


def mean(values: Iterable[float]) -> float:
    """Macro average; 0.0 for no values, so an empty set never divides by zero."""
    items = list(values)
    return sum(items) / len(items) if items else 0.0
