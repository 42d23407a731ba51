"""Model batches spread over streams: the same vectors, in the caller's order, from every stream."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

from services.platform.embedder import stream_count
from services.platform.settings import ModelSettings
from tests.unit.test_embedder_batching import TEXTS


def test_streams_default_to_one_per_torch_thread_and_an_explicit_count_is_kept() -> None:
    assert stream_count(ModelSettings(), cores=lambda: 6) == 6
    assert stream_count(ModelSettings(streams=2), cores=lambda: 6) == 2
    assert stream_count(ModelSettings(streams=1), cores=lambda: 6) == 1


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
