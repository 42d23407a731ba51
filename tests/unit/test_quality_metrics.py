"""Ranking metrics of the quality benchmark, against cases worked out by hand."""

from __future__ import annotations

import math

import pytest

from benchmarks.metrics import average_precision, dcg, mean, ndcg_at_k, precision_at_k, relevant_ids


def test_dcg_uses_exponential_gain_and_log2_discount() -> None:
    # (2^3-1)/log2(2) + (2^0-1)/log2(3) + (2^1-1)/log2(4) = 7 + 0 + 0.5
    assert dcg([3, 0, 1]) == pytest.approx(7.5)


def test_ndcg_of_a_misordered_list() -> None:
    grades = {"a": 0, "b": 3, "c": 1}
    # DCG of b at rank 2, c at rank 3; ideal puts b first, then c.
    expected = (7 / math.log2(3) + 1 / 2) / (7 + 1 / math.log2(3))
    assert ndcg_at_k(["a", "b", "c"], grades, 3) == pytest.approx(expected)
    assert expected == pytest.approx(0.644287, abs=1e-6)


def test_ndcg_ideal_order_is_one_and_cut_at_k() -> None:
    grades = {"a": 2, "b": 1, "c": 0, "d": 2}
    assert ndcg_at_k(["a", "d", "b", "c"], grades, 10) == pytest.approx(1.0)
    # At k=1 only the top slot counts: grade 1 where a grade 2 was possible -> 1/3.
    assert ndcg_at_k(["b", "a", "d"], grades, 1) == pytest.approx(1 / 3)


def test_ndcg_ideal_counts_judged_items_the_system_never_returned() -> None:
    grades = {"a": 1, "z": 2}
    assert ndcg_at_k(["a"], grades, 10) == pytest.approx(1 / (3 + 1 / math.log2(3)))


def test_ndcg_unjudged_ids_are_grade_zero_and_no_relevant_is_zero() -> None:
    assert ndcg_at_k(["x", "a"], {"a": 1}, 2) == pytest.approx(1 / math.log2(3))
    assert ndcg_at_k(["a", "b"], {"a": 0, "b": 0}, 2) == 0.0


def test_average_precision_counts_unranked_relevant_as_zero() -> None:
    # Hits at ranks 1 and 3 (precision 1 and 2/3); "f" never ranked; 3 relevant in all.
    assert average_precision(["a", "b", "c", "d", "e"], {"a", "c", "f"}) == pytest.approx(5 / 9)


def test_average_precision_perfect_and_empty() -> None:
    assert average_precision(["a", "b", "c"], {"a", "b"}) == pytest.approx(1.0)
    assert average_precision(["a", "b"], set()) == 0.0
    # One relevant item at rank 4 -> 1/4.
    assert average_precision(["w", "x", "y", "a"], ["a"]) == pytest.approx(0.25)


def test_precision_at_k_pads_short_lists_with_misses() -> None:
    assert precision_at_k(["a", "b", "c", "d", "e", "f"], {"a", "c", "f"}, 5) == pytest.approx(2 / 5)
    assert precision_at_k(["a", "c"], {"a", "c"}, 5) == pytest.approx(2 / 5)
    with pytest.raises(ValueError):
        precision_at_k(["a"], {"a"}, 0)


def test_relevant_ids_and_macro_mean() -> None:
    assert relevant_ids({"a": 3, "b": 2, "c": 1, "d": 0}, 2) == {"a", "b"}
    assert mean([0.5, 1.0, 0.0]) == pytest.approx(0.5)
    assert mean([]) == 0.0
