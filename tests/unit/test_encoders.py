"""Embedding backends: settings that cannot run are refused; exported graphs agree with torch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from services.platform.embedder import SentenceTransformerEmbedder, model_name
from services.platform.settings import ModelSettings

TEXTS = [
    "Trained and deployed PyTorch models; built feature pipelines in Python and SQL.",
    "Sales manager. Negotiated contracts.",
    "MLOps: Kubeflow, MLflow, Docker, Kubernetes, monitoring drift in production. " * 12,
]


@pytest.mark.parametrize(
    ("backend", "precision"), [("onnx", "bf16"), ("openvino", "int8"), ("torch", "int8")]
)
def test_a_precision_the_backend_cannot_run_is_refused(backend: str, precision: str) -> None:
    with pytest.raises(ValidationError, match=f"backend {backend} runs"):
        ModelSettings.model_validate({"backend": backend, "precision": precision})


def test_outputs_name_the_backend_and_torch_names_stay_as_they_were() -> None:
    assert model_name(ModelSettings(precision="fp32")).endswith("@fp32")
    assert model_name(ModelSettings(backend="openvino", precision="bf16")).endswith("@openvino-bf16")


@pytest.mark.model
@pytest.mark.parametrize(
    ("backend", "precision", "module", "min_cosine"),
    [("onnx", "fp32", "onnxruntime", 0.9999), ("openvino", "fp32", "openvino", 0.9999)],
)
def test_an_exported_graph_embeds_like_torch(
    tmp_path: Path, backend: str, precision: str, module: str, min_cosine: float
) -> None:
    pytest.importorskip(module, reason=f"extra .[{backend}] not installed")
    pytest.importorskip("onnx", reason="the exporter needs onnx")
    reference = SentenceTransformerEmbedder(ModelSettings()).embed(TEXTS)
    settings = ModelSettings(backend=backend, precision=precision, export_dir=tmp_path)  # type: ignore[arg-type]
    exported = SentenceTransformerEmbedder(settings)
    vectors = exported.embed(TEXTS)
    assert vectors.shape == reference.shape and vectors.dtype == np.float32
    assert float((vectors * reference).sum(axis=1).min()) >= min_cosine
    assert exported.embed([]).shape == (0, reference.shape[1])
    again = SentenceTransformerEmbedder(settings)  # the cached export is reused
    assert len(list(tmp_path.glob("*.onnx"))) == 1
    assert np.allclose(again.embed(TEXTS[:1]), vectors[:1], atol=1e-5)
