"""/health, /ready and /metrics, called as ASGI (no server), and the uvicorn runner."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from typing import Any

import anyio
import pytest
from faststream.asgi import AsgiFastStream
from faststream.kafka import KafkaBroker, TestKafkaBroker

from services.ingest import app as ingest_app
from services.matcher.app import create_asgi_app as matcher_asgi_app
from services.platform import http
from services.platform.http import WorkerServer, asgi_app, observed_broker, serve, store_check
from services.platform.local_broker import LocalBroker
from services.platform.settings import KafkaSettings, QdrantSettings, Settings
from services.platform.store.factory import open_store
from services.platform.store.layout import Collections
from services.platform.store.port import CollectionSpec
from tests.fakes import HashingEmbedder


async def call(app: Any, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": [], "query_string": b""}
    await app(scope, receive, send)
    headers = {k.decode(): v.decode() for k, v in sent[0]["headers"]}
    return sent[0]["status"], headers, b"".join(m.get("body", b"") for m in sent[1:])


def app_with(**checks: Any) -> AsgiFastStream:
    return asgi_app(observed_broker(KafkaSettings(), "http-test"), checks)


def kafka(app: AsgiFastStream) -> KafkaBroker:
    assert isinstance(app.broker, KafkaBroker)
    return app.broker


async def ok() -> bool:
    return True


async def test_health_answers_while_the_process_runs() -> None:
    status, headers, body = await call(app_with(), "/health")
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    assert headers["content-type"] == "application/json"


async def test_ready_when_every_check_passes() -> None:
    status, _, body = await call(app_with(broker=ok, store=ok), "/ready")
    assert status == 200
    assert json.loads(body) == {"status": "ready", "failed": [], "checks": {"broker": "ok", "store": "ok"}}


async def test_unready_names_each_failing_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http, "CHECK_TIMEOUT_S", 0.05)

    async def false() -> bool:
        return False

    async def raises() -> bool:
        raise RuntimeError("qdrant://user:secret@host")

    async def hangs() -> bool:
        await anyio.sleep(30)
        return True

    status, _, body = await call(app_with(broker=false, store=raises, model=hangs, extra=ok), "/ready")
    report = json.loads(body)
    assert status == 503 and report["status"] == "unready"
    assert report["failed"] == ["broker", "model", "store"]
    assert report["checks"] == {
        "broker": "failed",
        "extra": "ok",
        "model": "failed: TimeoutError",
        "store": "failed: RuntimeError",
    }
    assert b"secret" not in body  # exception messages never reach the probe output


async def test_metrics_are_prometheus_text_with_rolefit_and_faststream_series() -> None:
    status, headers, body = await call(app_with(), "/metrics")
    text = body.decode()
    assert status == 200 and headers["content-type"].startswith("text/plain; version=")
    for name in (
        "rolefit_documents_ingested_total",
        "rolefit_embedding_seconds",
        "rolefit_document_chunks",
        "rolefit_shortlist_latency_seconds",
        "rolefit_dead_letters_total",
        "rolefit_retries_total",
        "rolefit_retries_exhausted_total",
        "faststream_received_messages_total",
        "process_resident_memory_bytes",
    ):
        assert f"# HELP {name} " in text, name


async def test_routes_refuse_other_methods_and_unknown_paths() -> None:
    assert (await call(app_with(), "/ready", method="POST"))[0] == 405
    assert (await call(app_with(), "/nope"))[0] == 404


async def test_store_check_needs_the_collection(tmp_path: Path) -> None:
    store = open_store(QdrantSettings(path=tmp_path / "store"))
    try:
        checks = {"present": store_check(store, "c"), "missing": store_check(store, "absent")}
        store.ensure_collection(CollectionSpec("c", 4))
        status, _, body = await call(app_with(**checks), "/ready")
    finally:
        store.close()
    assert status == 503 and json.loads(body)["failed"] == ["missing"]


async def test_matcher_app_wires_broker_and_store_checks(tmp_path: Path) -> None:
    settings = Settings(qdrant=QdrantSettings(path=tmp_path / "store"))
    app = matcher_asgi_app(settings)
    # Not started, no collections: both checks fail, and say so.
    status, _, body = await call(app, "/ready")
    assert status == 503 and json.loads(body)["failed"] == ["broker", "store"]
    async with TestKafkaBroker(kafka(app)):
        status, _, body = await call(app, "/ready")
    assert json.loads(body)["checks"]["broker"] == "ok"


async def test_ingest_app_is_ready_with_its_model_and_collections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_app, "SentenceTransformerEmbedder", lambda _settings: HashingEmbedder())
    app = ingest_app.create_asgi_app(Settings(qdrant=QdrantSettings(path=tmp_path / "store")))
    async with TestKafkaBroker(kafka(app)):
        status, _, body = await call(app, "/ready")
    assert (status, json.loads(body)["checks"]) == (200, {"broker": "ok", "model": "ok", "store": "ok"})


async def test_serve_fails_when_the_broker_cannot_start(tmp_path: Path) -> None:
    settings = Settings(
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"), qdrant=QdrantSettings(path=tmp_path / "q")
    )
    with anyio.fail_after(60):
        assert await serve(matcher_asgi_app(settings), "127.0.0.1", 0) is False


@pytest.mark.broker
async def test_a_served_worker_is_ready_against_a_real_broker(
    local_broker: LocalBroker, tmp_path: Path
) -> None:
    settings = Settings(
        kafka=KafkaSettings(bootstrap_servers=local_broker.bootstrap, enable_idempotence=False),
        qdrant=QdrantSettings(path=tmp_path / "q"),
    )
    store = open_store(settings.qdrant)
    for spec in Collections.with_prefix(settings.qdrant.collection_prefix).specs(4):
        store.ensure_collection(spec)
    store.close()
    server = WorkerServer(matcher_asgi_app(settings), "127.0.0.1", 0)
    task = asyncio.create_task(server.serve())
    try:
        with anyio.fail_after(60):
            while not server.started:
                await asyncio.sleep(0.05)
            port = server.servers[0].sockets[0].getsockname()[1]
            while (await http_get(port, "/ready"))[0] != 200:
                await asyncio.sleep(0.2)
        assert b"rolefit_retries_total" in (await http_get(port, "/metrics"))[1]
    finally:
        server.should_exit = True
        await task
    assert not server.failed


async def http_get(port: int, path: str) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode())
    response = await reader.read()
    writer.close()
    head, _, body = response.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


async def test_serve_fails_before_starting_anything_when_its_port_is_taken(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(qdrant=QdrantSettings(path=tmp_path / "q"))
    app = matcher_asgi_app(settings)
    started: list[str] = []
    app.on_startup(lambda: started.append("lifespan"))
    with socket.create_server(("127.0.0.1", 0)) as taken, anyio.fail_after(30):
        assert await serve(app, "127.0.0.1", taken.getsockname()[1]) is False
    assert started == []  # the broker was never asked to start
    assert "cannot serve HTTP on 127.0.0.1" in caplog.text
