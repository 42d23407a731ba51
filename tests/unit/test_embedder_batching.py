"""The forward batch size is a speed setting only: a text's vector does not depend on its batch."""

from __future__ import annotations

import numpy as np
import pytest

from services.platform.settings import ModelSettings

# Lengths from a few tokens to past the 256-token window, so every batch pads something.
TEXTS = [
    "Python, PyTorch.",
    "Data scientist: A/B tests, pandas, SQL dashboards for the revenue team. " * 3,
    "Built CI/CD for ML models on SageMaker and monitored drift in production. " * 12,
    "MLOps engineer.",
    "Computer vision: detection models in TensorFlow, served at 20 ms p99. " * 6,
    "Led an NLP team shipping transformer search ranking. " * 30,
    "JAX research on diffusion models; PhD not required for the applied role.",
    "Kubernetes, Docker, Terraform; low-latency model serving with Triton. " * 9,
    "Analyst. Excel.",
    "Azure ML pipelines, MongoDB and PostgreSQL feature stores, Git and pytest. " * 20,
    "Recommender systems in scikit-learn and NumPy for an online retailer. " * 4,
]


@pytest.mark.model
def test_each_text_embeds_the_same_alone_or_in_a_padded_batch() -> None:
    from services.platform.embedder import SentenceTransformerEmbedder

    assert ModelSettings().batch_size < len(TEXTS)  # more than one batch, each padded
    embedder = SentenceTransformerEmbedder(ModelSettings())
    alone = np.concatenate([embedder.embed([text]) for text in TEXTS])  # a batch of one pads nothing
    batched = embedder.embed(TEXTS)
    assert batched.shape == alone.shape
    assert float((batched * alone).sum(axis=1).min()) >= 0.999
