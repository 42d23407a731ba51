"""Model batches spread over streams: the same vectors, in the caller's order, from every stream."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

from services.platform.embedder import plan_batches, stream_count
from services.platform.settings import ModelSettings
from tests.unit.test_embedder_batching import TEXTS


def test_streams_default_to_one_per_torch_thread_and_an_explicit_count_is_kept() -> None:
    assert stream_count(ModelSettings(), cores=lambda: 6) == 6
    assert stream_count(ModelSettings(streams=2), cores=lambda: 6) == 2
    assert stream_count(ModelSettings(streams=1), cores=lambda: 6) == 1


def test_a_large_call_runs_full_batches_longest_first_one_thread_each() -> None:
    lengths = [5, 50, 20, 40, 10, 30, 60, 1, 2]  # 9 texts, batches of 2, 3 streams on 6 threads
    batches, threads = plan_batches(lengths, size=2, streams=3, threads=6)
    assert batches == [[6, 1], [3, 5], [2, 4], [0, 8], [7]]
    assert threads == 2


def test_a_call_too_small_for_every_stream_is_cut_into_one_batch_per_stream() -> None:
    # 3 texts would make one batch of 8: one stream busy and the other idle.
    batches, threads = plan_batches([30, 10, 20], size=8, streams=2, threads=2)
    assert batches == [[0], [2, 1]]
    assert threads == 1


def test_fewer_texts_than_streams_share_out_the_idle_streams_threads() -> None:
    assert plan_batches([7], size=8, streams=2, threads=2) == ([[0]], 2)
    assert plan_batches([7, 9], size=8, streams=4, threads=8) == ([[1], [0]], 4)


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
    streamed.embed(TEXTS[:4])  # two batches: the streams' threads drop to one each
    streamed.embed(TEXTS[:1])
    assert seen[-1] == torch_threads()
    assert seen[:2] == [max(1, torch_threads() // 2)] * 2


@pytest.mark.model
def test_streams_give_the_vectors_of_one_encode_call_in_the_callers_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from services.platform.embedder import SentenceTransformerEmbedder

    reference = SentenceTransformerEmbedder(ModelSettings(streams=1)).embed(TEXTS)
    streamed = SentenceTransformerEmbedder(ModelSettings(streams=3, batch_size=2))  # 6 batches
    forward_threads: set[str] = set()
    forward = streamed._model.forward

    def recording(features: Any, **kwargs: Any) -> Any:
        forward_threads.add(threading.current_thread().name)
        return forward(features, **kwargs)

    monkeypatch.setattr(streamed._model, "forward", recording)
    vectors = streamed.embed(TEXTS)
    assert vectors.shape == reference.shape
    # Row by row: a batch written back to the wrong rows gives another text's vector.
    assert float((vectors * reference).sum(axis=1).min()) >= 0.99999
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
