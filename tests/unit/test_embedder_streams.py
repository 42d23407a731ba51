"""Model batches spread over streams: the same vectors, in the caller's order, from every stream."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.platform.embedder import plan_batches, resolve_precision, stream_count
from services.platform.settings import ModelSettings
from tests.unit.test_embedder_batching import TEXTS


def test_streams_default_to_one_per_torch_thread_and_an_explicit_count_is_kept() -> None:
    assert stream_count(ModelSettings(), cores=lambda: 6) == 6
    assert stream_count(ModelSettings(streams=2), cores=lambda: 6) == 2
    assert stream_count(ModelSettings(streams=1), cores=lambda: 6) == 1


def test_a_large_call_runs_longest_first_in_batches_that_shrink_to_one_text() -> None:
    lengths = [5, 50, 20, 40, 10, 30, 60, 1, 2]  # 9 texts, batches of 2, 3 streams on 6 threads
    batches, threads = plan_batches(lengths, size=2, streams=3, threads=6)
    assert batches == [[6, 1], [3, 5], [2], [4], [0], [8], [7]]
    assert threads == 2


@given(st.lists(st.integers(1, 2000), min_size=1, max_size=300), st.integers(1, 32), st.integers(1, 4))
def test_every_text_is_planned_once_longest_first_in_batches_no_larger_than_asked(
    lengths: list[int], size: int, streams: int
) -> None:
    batches, threads = plan_batches(lengths, size, streams, threads=streams * 2)
    flat = [i for batch in batches for i in batch]
    assert sorted(flat) == list(range(len(lengths)))
    assert [lengths[i] for i in flat] == sorted(lengths, reverse=True)
    assert all(1 <= len(b) <= size for b in batches)
    assert [len(b) for b in batches] == sorted((len(b) for b in batches), reverse=True)
    assert threads >= 2


@given(st.integers(3, 400), st.integers(2, 16), st.integers(2, 4))
def test_the_streams_of_a_call_finish_within_one_text_of_each_other(
    texts: int, size: int, streams: int
) -> None:
    # Equal texts, each stream taking the next batch as it comes free: a full batch started last
    # would keep one stream busy for `size` texts while the others idle.
    batches, _ = plan_batches([100] * texts, size, streams, threads=streams)
    finish = [0] * streams
    for batch in batches:
        finish[finish.index(min(finish))] += len(batch)
    assert max(finish) - min(finish) <= 1


def test_a_small_call_is_spread_over_every_stream() -> None:
    # 3 texts would make one batch of 8: one stream busy and the other idle.
    batches, threads = plan_batches([30, 10, 20], size=8, streams=2, threads=2)
    assert batches == [[0], [2], [1]]
    assert threads == 1


def test_no_more_texts_than_streams_share_out_the_idle_streams_threads() -> None:
    assert plan_batches([7], size=8, streams=2, threads=2) == ([[0]], 2)
    assert plan_batches([7, 9], size=8, streams=4, threads=8) == ([[1], [0]], 4)
    assert plan_batches([7, 9], size=8, streams=2, threads=2) == ([[1], [0]], 1)


@pytest.mark.model
def test_one_text_runs_on_every_torch_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from services.platform.embedder import SentenceTransformerEmbedder, torch_threads

    streamed = SentenceTransformerEmbedder(ModelSettings(streams=2))
    seen: list[int] = []
    forward = streamed._model.forward

    def recording(features: Any, **kwargs: Any) -> Any:
        seen.append(torch.get_num_threads())
        return forward(features, **kwargs)

    monkeypatch.setattr(streamed._model, "forward", recording)
    streamed.embed(TEXTS[:4])  # four batches of one text: the streams' threads drop to one each
    streamed.embed(TEXTS[:1])
    assert seen[-1] == torch_threads()
    assert seen[:2] == [max(1, torch_threads() // 2)] * 2


@pytest.mark.model
def test_streams_give_the_vectors_of_one_encode_call_in_the_callers_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from services.platform.embedder import SentenceTransformerEmbedder

    reference = SentenceTransformerEmbedder(ModelSettings(streams=1)).embed(TEXTS)
    settings = ModelSettings(streams=3, batch_size=2)  # 6 batches
    streamed = SentenceTransformerEmbedder(settings)
    forward_threads: set[str] = set()
    forward = streamed._model.forward

    def recording(features: Any, **kwargs: Any) -> Any:
        forward_threads.add(threading.current_thread().name)
        return forward(features, **kwargs)

    monkeypatch.setattr(streamed._model, "forward", recording)
    vectors = streamed.embed(TEXTS)
    assert vectors.shape == reference.shape
    # Row by row: a batch written back to the wrong rows gives another text's vector. bf16 rounds
    # differently in another batch's company (down to 0.99998 seen), fp32 to ~1e-6.
    cosines = vectors @ reference.T
    assert list(cosines.argmax(axis=1)) == list(range(len(TEXTS)))
    floor = 0.9999 if resolve_precision(settings) == "bf16" else 0.99999
    assert float(cosines.diagonal().min()) >= floor
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert len(forward_threads) > 1 and all(n.startswith("rolefit-model") for n in forward_threads)


@pytest.mark.model
def test_a_failing_stream_fails_the_call(monkeypatch: pytest.MonkeyPatch) -> None:
    from services.platform.embedder import SentenceTransformerEmbedder

    streamed = SentenceTransformerEmbedder(ModelSettings(streams=2))

    def broken(features: Any, **kwargs: Any) -> Any:
        raise RuntimeError("out of memory")

    monkeypatch.setattr(streamed._model, "forward", broken)
    with pytest.raises(RuntimeError, match="out of memory"):
        streamed.embed(TEXTS)
