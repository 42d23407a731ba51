"""Embedding runtimes other than torch: ONNX Runtime and OpenVINO, exported offline from the
local model folder.

sentence-transformers' own ``backend="onnx"``/``"openvino"`` goes through optimum-onnx or
optimum-intel, and both pin transformers below the version rolefit runs on (optimum-onnx 0.1:
``transformers<4.58``; optimum-intel 2.2 would downgrade transformers and pull CUDA torch). So the
transformer is exported here with torch's ONNX exporter into ``ModelSettings.export_dir`` and run
by the runtime directly; tokenisation, mean pooling and normalisation are the same as the torch
path's. Install with ``pip install -e '.[onnx]'`` or ``'.[openvino]'``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from services.platform.settings import ModelSettings

INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _pooling_is_mean_then_normalise(model: Any) -> bool:
    modules = [type(m).__name__ for m in model]
    pooling = next((m for m in model if type(m).__name__ == "Pooling"), None)
    mode = pooling.get_config_dict().get("pooling_mode") if pooling is not None else None
    return mode in ("mean", ["mean"]) and "Normalize" in modules


def _cache_key(model_path: Path, settings: ModelSettings) -> str:
    """Changes when the weights, the exporter or the settings that shape the graph change."""
    import torch

    weights = sorted(model_path.glob("*.safetensors")) + sorted(model_path.glob("*.bin"))
    stamp = [str(model_path.resolve()), torch.__version__, _graph_kind(settings)]
    stamp += [f"{w.name}:{w.stat().st_size}:{w.stat().st_mtime_ns}" for w in weights]
    return hashlib.sha256("|".join(stamp).encode()).hexdigest()[:16]


def _graph_kind(settings: ModelSettings) -> str:
    """One fp32 graph serves ONNX Runtime fp32 and OpenVINO (which lowers precision at compile)."""
    return "int8" if settings.precision == "int8" else "fp32"


def export_onnx(model: Any, model_path: Path, settings: ModelSettings) -> Path:
    """The transformer as an ONNX graph (last hidden state), int8 weights if asked; cached on disk.

    Written to a temporary name and renamed, so two processes exporting at once never read half
    a file."""
    import torch

    folder = settings.export_dir
    folder.mkdir(parents=True, exist_ok=True)
    kind = _graph_kind(settings)
    target = folder / f"{model_path.name}-{kind}-{_cache_key(model_path, settings)}.onnx"
    if target.exists():
        return target
    transformer = model[0].auto_model.eval()

    class LastHiddenState(torch.nn.Module):
        # Keyword call: BertModel.forward's positional order changed across transformers versions.
        def __init__(self) -> None:
            super().__init__()
            self.inner = transformer

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            ids = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
            return self.inner(**ids).last_hidden_state

    example = model.tokenizer(["a b", "c"], padding=True, return_tensors="pt")
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden_state")}
    with tempfile.TemporaryDirectory(dir=folder) as work, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter is deprecated, and says so loudly
        fp32 = Path(work) / "model.onnx"
        torch.onnx.export(
            LastHiddenState().eval(), tuple(example[n] for n in INPUTS), str(fp32), input_names=list(INPUTS),
            output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17, dynamo=False,
        )  # fmt: skip
        if kind == "int8":
            from onnxruntime.quantization import QuantType, quantize_dynamic

            quantize_dynamic(fp32, Path(work) / "int8.onnx", weight_type=QuantType.QInt8)
            fp32 = Path(work) / "int8.onnx"
        os.replace(fp32, target)
    return target


class ExportedEncoder:
    """Tokenise, run the exported graph, mean-pool over real tokens, L2-normalise."""

    def __init__(self, model: Any, model_path: Path, settings: ModelSettings) -> None:
        if not _pooling_is_mean_then_normalise(model):
            raise ValueError(f"backend {settings.backend!r} supports mean-pooled, normalised models only")
        self._tokenizer = model.tokenizer
        self._max_tokens = min(settings.max_tokens, model.max_seq_length or settings.max_tokens)
        self._batch_size = settings.batch_size
        graph = export_onnx(model, model_path, settings)
        self._run = _openvino(graph, settings) if settings.backend == "openvino" else _onnxruntime(graph)

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        # Longest first, as sentence-transformers does: similar lengths share a batch, less padding.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        rows: list[NDArray[np.float32]] = []
        for start in range(0, len(order), self._batch_size):
            batch = [texts[i] for i in order[start : start + self._batch_size]]
            tokens = self._tokenizer(
                batch, padding=True, truncation=True, max_length=self._max_tokens, return_tensors="np"
            )
            feed = {n: np.asarray(tokens[n], dtype=np.int64) for n in INPUTS}
            hidden = np.asarray(self._run(feed), dtype=np.float32)
            mask = feed["attention_mask"][..., None].astype(np.float32)
            mean = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            rows.append(mean / np.clip(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12, None))
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        out = np.empty((len(texts), rows[0].shape[1]), dtype=np.float32)
        out[order] = np.concatenate(rows)
        return out


def _onnxruntime(graph: Path) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
    return lambda feed: session.run(["last_hidden_state"], feed)[0]


def _openvino(graph: Path, settings: ModelSettings) -> Any:
    import openvino as ov

    # bf16 runs the matmuls in bf16 where the CPU has native support (AVX512-BF16, AMX), else f32.
    hint = "bf16" if settings.precision == "bf16" else "f32"
    compiled = ov.Core().compile_model(
        str(graph), "CPU", {"INFERENCE_PRECISION_HINT": hint, "PERFORMANCE_HINT": "LATENCY"}
    )
    return lambda feed: compiled(feed)[0]
