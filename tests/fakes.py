"""Fakes that implement the ports, for tests that need no model.

``HashingEmbedder`` maps words to fixed random directions and sums them, so texts that
share words are close: good enough to exercise retrieval and ranking deterministically.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from services.platform.embedder import Vectors

_WORD = re.compile(r"[a-z0-9+#]+")


class HashingEmbedder:
    name = "hashing-fake@test"

    def __init__(self, dim: int = 64, words_per_chunk: int = 120) -> None:
        self.dim = dim
        self._words_per_chunk = words_per_chunk

    def chunk(self, text: str) -> list[str]:
        words = text.split()
        step = self._words_per_chunk
        return [" ".join(words[i : i + step]) for i in range(0, len(words), step)]

    def embed(self, texts: Sequence[str]) -> Vectors:
        rows = []
        for text in texts:
            row = np.zeros(self.dim, dtype=np.float32)
            for word in _WORD.findall(text.lower()):
                seed = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
                row += np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            norm = np.linalg.norm(row)
            rows.append(row / norm if norm else row)
        return np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dim)
