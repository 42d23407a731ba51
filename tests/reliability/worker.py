"""An ingest worker process for the shutdown, crash and group tests:
``python -m tests.reliability.worker`` (from the repository root).

It is the real ingest service (settings from ``ROLEFIT_*``, the embedded store, the production
handlers and commit policy) with ``HashingEmbedder`` instead of the model, so it starts in a
second and needs no model files. Two test-only knobs, read here and nowhere in ``services``:

* ``ROLEFIT_TEST_EMBED_DELAY_S``: seconds each embed call sleeps, so a signal lands mid-record;
* ``ROLEFIT_TEST_JOURNAL``: a file that gets one line per document that reached chunking, so a
  test can tell work that began from work that finished.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from pathlib import Path

from faststream import FastStream

from services.ingest.app import attach_ingest, build_ingest
from services.platform.embedder import Vectors
from services.platform.kafka import make_broker
from services.platform.settings import Settings
from services.platform.store.factory import open_store
from tests.fakes import HashingEmbedder


class JournalledEmbedder(HashingEmbedder):
    def __init__(self, delay_s: float, journal: Path | None) -> None:
        super().__init__()
        self._delay_s = delay_s
        self._journal = journal.open("a", buffering=1) if journal else None  # line-buffered

    def chunk(self, text: str) -> list[str]:
        if self._journal is not None:
            self._journal.write("began\n")
        return super().chunk(text)

    def embed(self, texts: Sequence[str]) -> Vectors:
        time.sleep(self._delay_s)
        return super().embed(texts)


def main() -> None:
    settings = Settings()
    journal = os.environ.get("ROLEFIT_TEST_JOURNAL")
    embedder = JournalledEmbedder(
        float(os.environ.get("ROLEFIT_TEST_EMBED_DELAY_S", "0")), Path(journal) if journal else None
    )
    store = open_store(settings.qdrant)
    broker = make_broker(settings.kafka)
    detach = attach_ingest(broker, settings, build_ingest(settings, store, embedder))
    app = FastStream(broker)
    app.after_shutdown(detach)
    app.after_shutdown(store.close)  # flushes the store; a SIGKILL skips this, on purpose
    asyncio.run(app.run())  # SIGTERM/SIGINT: FastStream stops consuming and drains in-flight work


if __name__ == "__main__":
    main()
