"""All configuration, from environment variables (prefix ``ROLEFIT_``, nested with ``__``).

Examples: ``ROLEFIT_KAFKA__BOOTSTRAP_SERVERS=kafka:9092``, ``ROLEFIT_QDRANT__URL=http://qdrant:6333``,
``ROLEFIT_QDRANT__API_KEY=…``, ``ROLEFIT_MODEL__PATH=/models/minilm``. Secrets are ``SecretStr``
and print as ``**********``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSettings(BaseModel):
    bootstrap_servers: str = "127.0.0.1:9092"
    topic_prefix: str = "rolefit."
    partitions: int = Field(default=6, ge=1)
    replication_factor: int = Field(default=1, ge=1)
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    # Real Kafka: on. Tansu (the local broker) rejects aiokafka's idempotent-producer handshake.
    enable_idempotence: bool = True
    # How long a consumer's fetch may wait for records. Kafka answers as soon as a record arrives;
    # Tansu (the local broker) only when the wait is over, so there each hop to a consumer takes
    # up to this long (measured: p50 123 ms at Kafka's 500, 28 ms at 100). Local profiles use 50.
    fetch_max_wait_ms: int = Field(default=500, ge=1)
    session_timeout_ms: int = Field(default=10_000, ge=1_000)
    heartbeat_interval_ms: int = Field(default=2_000, ge=100)
    graceful_timeout_s: float = Field(default=15.0, gt=0)
    # The largest record we produce and fetch, and the max.message.bytes of the topics we create
    # (dead-letter topics get a little more, for the provenance headers). Kafka's default is 1 MB;
    # the default here fits a document of ingest.max_document_bytes (10 MiB) in base64 (4/3) plus
    # its JSON envelope: raise the two together (Settings checks they fit).
    max_message_bytes: int = Field(default=16 * 1024 * 1024, ge=1024 * 1024)


class QdrantSettings(BaseModel):
    """``url`` set ⇒ a Qdrant server; otherwise an embedded store under ``path``."""

    url: str | None = None
    api_key: SecretStr | None = None
    path: Path = Path("var/qdrant")
    embedded_backend: Literal["edge", "local"] = "edge"
    collection_prefix: str = "rolefit_"
    # Embedded Edge store: read each collection's files once in the background when it is opened,
    # so first searches do not wait on the disk (3 GB at 1M candidates, ~3 s here).
    warm_page_cache: bool = True


class ModelSettings(BaseModel):
    path: Path | None = Field(
        default=None, description="Folder of a sentence-transformers model; default: bundled MiniLM."
    )
    # torch: the reference. onnx / openvino: an exported graph (extras .[onnx] / .[openvino]);
    # benchmarks/embedding_backends.py measures speed and quality of each.
    backend: Literal["torch", "onnx", "openvino"] = "torch"
    # auto: bf16 where the CPU computes bf16 natively (AVX512-BF16 or AMX), else fp32
    # (services.platform.embedder.resolve_precision). Measured on such a CPU: torch bf16 is 1.7-1.9x
    # torch fp32 with the same nDCG@10 and cosine >= 0.998; without native bf16 it is slower.
    precision: Literal["auto", "fp32", "bf16", "int8"] = "auto"
    # Texts per forward pass. Small batches pad less: a call's chunks are sorted by length, and
    # ingest's calls (one per Kafka batch, ~100 chunks) mix full 256-token windows with short
    # tails. Measured on 2 cores in bf16 (benchmarks/ingest_throughput.py --model-batch-size):
    # in batches of 8 the model ran at its raw speed inside ingest's calls, in 32 at 0.94x, and
    # full windows are no slower in 8.
    batch_size: int = Field(default=8, ge=1)
    # torch: forward batches run this many at once, each on its share of torch's threads (a call
    # with no more texts than streams gives them the idle streams' share); 0: one single-threaded
    # stream per thread (services.platform.embedder says why; benchmarks/README.md has the figures).
    streams: int = Field(default=0, ge=0)
    max_tokens: int = Field(default=256, ge=16)
    chunk_overlap_tokens: int = Field(default=32, ge=0)
    export_dir: Path = Field(default=Path("var/models"), description="Cache of exported graphs.")

    @model_validator(mode="after")
    def _precision_fits_backend(self) -> ModelSettings:
        allowed = {"torch": ("fp32", "bf16"), "onnx": ("fp32", "int8"), "openvino": ("fp32", "bf16")}
        if self.precision != "auto" and self.precision not in allowed[self.backend]:
            raise ValueError(f"backend {self.backend} runs {' or '.join(allowed[self.backend])} only")
        return self


class RetrySettings(BaseModel):
    """Handler retries on transient errors (store or broker unreachable) before the record is
    rewound and fetched again; poison is never retried. Waits grow from ``initial_wait_s``
    doubling up to ``max_wait_s``."""

    attempts: int = Field(default=5, ge=1)
    initial_wait_s: float = Field(default=0.2, ge=0)
    max_wait_s: float = Field(default=5.0, ge=0)


class IngestSettings(BaseModel):
    group_id: str = "rolefit-ingest"
    max_document_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # Decoded content of one PDF page: pypdf parses a page in one uninterruptible call.
    max_page_content_bytes: int = Field(default=2 * 1024 * 1024, ge=64 * 1024)
    blind: bool = True
    # candidate.submitted is consumed in batches so the model sees full batches under load;
    # 1 = the per-record handler. A poll returns what is already fetched (up to the maximum) at
    # once; one that finds nothing waits the timeout and FastStream then sleeps as long again,
    # so an idle service answers a lone record at most about twice the timeout later.
    batch_max_records: int = Field(default=32, ge=1, le=1000)
    batch_timeout_ms: int = Field(default=20, ge=1)
    # A batch's résumés are prepared (read, defused, redacted, profiled) in this many worker
    # processes side by side (services/ingest/parsing.py); 0: in the batch's threads, under the GIL.
    parse_processes: int = Field(default=2, ge=0, le=64)


class MatcherSettings(BaseModel):
    group_id: str = "rolefit-matcher"
    top_k: int = Field(default=10, ge=1, le=1000)
    retrieve_limit: int = Field(default=200, ge=1)
    # Parsed candidate profiles kept in memory (~11 KB each, so ~1.1 GB when full); 0 turns it off.
    profile_cache_size: int = Field(default=100_000, ge=0)
    # At start, read the open jobs' candidate pools into that cache, in the background (a job's
    # first shortlist then parses nothing); the service is ready before this ends.
    warm_up: bool = True
    # match.requested is consumed in batches (services/matcher/request_batches.py): one fsync and
    # one round trip per step for the batch; 1 = the per-record handler. A request waits for its
    # batch's shortlists, ~25 ms each at 10k candidates, so batches stay small; an idle poll waits
    # the timeout, then sleeps as long (see IngestSettings), which a lone request may wait for.
    batch_max_records: int = Field(default=8, ge=1, le=1000)
    batch_timeout_ms: int = Field(default=5, ge=1)


class AuditSettings(BaseModel):
    """The decision log and fairness audits. With a Qdrant server (production) decisions go to the
    compacted ``decision.recorded.v1`` topic only; with the embedded store they also go to a JSONL
    file, by default ``<qdrant.path>/../audit/decisions.jsonl``. Setting ``decision_log`` writes the
    file in either mode."""

    decision_log: Path | None = None
    min_group_size: int = Field(default=10, ge=1, description="Smaller groups are flagged as small samples.")

    def decision_log_path(self, qdrant: QdrantSettings) -> Path | None:
        if self.decision_log is not None:
            return self.decision_log
        return None if qdrant.url else qdrant.path.parent / "audit" / "decisions.jsonl"


# What a document event carries besides the base64 file: ids, résumé text, fields, headers.
_ENVELOPE_BYTES = 1024 * 1024


def document_record_bytes(max_document_bytes: int) -> int:
    """The record size a document of ``max_document_bytes`` needs: base64 (4/3) plus envelope."""
    return 4 * -(-max_document_bytes // 3) + _ENVELOPE_BYTES


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROLEFIT_", env_nested_delimiter="__", extra="ignore")

    kafka: KafkaSettings = KafkaSettings()
    qdrant: QdrantSettings = QdrantSettings()
    model: ModelSettings = ModelSettings()
    ingest: IngestSettings = IngestSettings()
    matcher: MatcherSettings = MatcherSettings()
    retry: RetrySettings = RetrySettings()
    audit: AuditSettings = AuditSettings()
    log_level: str = "INFO"
    # /health, /ready, /metrics. All interfaces: probes and scrapers reach the pod's IP.
    http_host: str = "0.0.0.0"
    http_port: int = Field(default=8000, ge=0, le=65535)

    @model_validator(mode="after")
    def _documents_fit_records(self) -> Settings:
        # A document the ingest limit admits must also fit one Kafka record, or it could never arrive.
        needed = document_record_bytes(self.ingest.max_document_bytes)
        if self.kafka.max_message_bytes < needed:
            raise ValueError(
                f"kafka.max_message_bytes ({self.kafka.max_message_bytes}) is below the {needed} bytes "
                f"a document of ingest.max_document_bytes ({self.ingest.max_document_bytes}) needs: "
                "raise it or lower the document limit"
            )
        return self
