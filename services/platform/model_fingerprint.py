"""A digest of the embedding model's files, recorded on every decision.

The model name says which model was configured; the digest says which bytes. It covers every
file that shapes the vectors (weights, tokenizer, configs), by relative path, and skips only
documentation and VCS files. Hashing MiniLM's 91 MB safetensors takes about 0.1 s, so it is done
in full, once per process and folder, on first use: the matcher never loads the model itself.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from services.platform.embedder import default_model_path
from services.platform.settings import ModelSettings

_SKIPPED = {".gitattributes", ".gitignore"}
_CHUNK = 1 << 20


@lru_cache(maxsize=8)
def folder_sha256(folder: Path) -> str:
    digest = hashlib.sha256()
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    for path in files:
        relative = path.relative_to(folder).as_posix()
        if path.name in _SKIPPED or path.name.lower().startswith("readme") or "/.git/" in f"/{relative}":
            continue
        digest.update(relative.encode() + b"\0")
        with path.open("rb") as handle:
            while block := handle.read(_CHUNK):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


def model_sha256(settings: ModelSettings) -> str:
    """The digest, or ``unavailable: <why>`` where this process cannot read the model's folder
    (a matcher pod without it must still record decisions)."""
    try:
        folder = settings.path or default_model_path()
        if not folder.is_dir():
            return f"unavailable: {folder.name} is not a folder here"
        return folder_sha256(folder.resolve())
    except (OSError, ImportError) as exc:
        return f"unavailable: {type(exc).__name__}"
