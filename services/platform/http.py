"""The HTTP side of a worker: ``/health``, ``/ready`` and ``/metrics`` beside the broker.

``AsgiFastStream`` runs the broker in the ASGI lifespan, so uvicorn serves these routes while
the consumers run. Readiness checks are passed in by each composition root, so ingest can
ask about its model and the matcher need not.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Awaitable, Callable, Mapping

import anyio
import anyio.to_thread
import uvicorn
from faststream.asgi import AsgiFastStream, AsgiResponse, get
from faststream.asgi.types import Scope
from faststream.kafka import KafkaBroker

from services.platform.kafka import make_broker
from services.platform.observability import Metrics, metrics
from services.platform.settings import KafkaSettings
from services.platform.store.port import VectorStore

log = logging.getLogger("rolefit.http")
Check = Callable[[], Awaitable[bool]]
CHECK_TIMEOUT_S = 3.0  # below the probes' timeoutSeconds (5 s) in deploy/k8s


def observed_broker(settings: KafkaSettings, service: str) -> KafkaBroker:
    """``make_broker`` plus FastStream's Prometheus middleware. The access logger is named
    explicitly: FastStream's default one stops propagation, so our JSON handler never saw it."""
    return make_broker(
        settings,
        logger=logging.getLogger("faststream.access.kafka"),
        middlewares=[metrics.kafka_middleware(f"rolefit-{service}")],
    )


def broker_check(broker: KafkaBroker) -> Check:
    async def broker_connected() -> bool:
        # describe_cluster on the broker's admin client: False until start() has connected.
        return await broker.ping(CHECK_TIMEOUT_S)

    return broker_connected


def store_check(store: VectorStore, collection: str) -> Check:
    async def store_reachable() -> bool:
        # abandon_on_cancel: a hung store call must not hold the probe past its timeout.
        await anyio.to_thread.run_sync(store.count, collection, abandon_on_cancel=True)
        return True

    return store_reachable


async def run_checks(checks: Mapping[str, Check]) -> dict[str, str]:
    """Name → ``ok`` or why it failed (exception class only: messages may hold URLs or keys)."""
    results: dict[str, str] = {}

    async def one(name: str, check: Check) -> None:
        try:
            with anyio.fail_after(CHECK_TIMEOUT_S + 1):
                results[name] = "ok" if await check() else "failed"
        except Exception as exc:
            results[name] = f"failed: {type(exc).__name__}"

    async with anyio.create_task_group() as group:
        for name, check in checks.items():
            group.start_soon(one, name, check)
    return dict(sorted(results.items()))


def _json(body: object, status: int) -> AsgiResponse:
    return AsgiResponse(json.dumps(body).encode(), status, {"content-type": "application/json"})


def asgi_app(broker: KafkaBroker, checks: Mapping[str, Check], meters: Metrics = metrics) -> AsgiFastStream:
    @get(include_in_schema=False)
    async def health(scope: Scope) -> AsgiResponse:
        """Liveness: the event loop answers. Broker or store outages are readiness matters,
        and restarting the pod would not fix them."""
        return _json({"status": "ok"}, 200)

    @get(include_in_schema=False)
    async def ready(scope: Scope) -> AsgiResponse:
        results = await run_checks(checks)
        failed = sorted(name for name, result in results.items() if result != "ok")
        status = {"status": "unready" if failed else "ready", "failed": failed, "checks": results}
        return _json(status, 503 if failed else 200)

    @get(include_in_schema=False)
    async def prometheus(scope: Scope) -> AsgiResponse:
        body, content_type = meters.exposition()
        return AsgiResponse(body, 200, {"content-type": content_type})

    return AsgiFastStream(
        broker, asgi_routes=[("/health", health), ("/ready", ready), ("/metrics", prometheus)]
    )


class WorkerServer(uvicorn.Server):
    """uvicorn that also stops when the app's lifespan ends on its own. AsgiFastStream starts
    the broker after the lifespan reports started, so a broker that fails to start (or dies)
    ends the lifespan while plain uvicorn would go on serving /health with no consumer behind."""

    def __init__(self, app: AsgiFastStream, host: str, port: int) -> None:
        # log_config=None: uvicorn's loggers propagate to our JSON root handler (platform.logs).
        # No access log: probes and scrapes would be most of it.
        config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False, lifespan="on")
        super().__init__(config)
        self.lifespan_died = False

    async def on_tick(self, counter: int) -> bool:
        if self.lifespan.shutdown_event.is_set() and not self.should_exit:
            self.lifespan_died = True
            return True
        return await super().on_tick(counter)

    @property
    def failed(self) -> bool:
        return self.lifespan_died or bool(self.lifespan.error_occurred)


async def serve(app: AsgiFastStream, host: str, port: int) -> bool:
    """Serve until SIGTERM/SIGINT (uvicorn handles them: the broker stops gracefully). False
    when the port cannot be had or the lifespan failed, so the caller exits non-zero and the
    orchestrator restarts it."""
    try:
        # Bound before anything starts: uvicorn binds after the lifespan has begun starting the
        # broker, and a taken port then stopped it midway, leaving a producer unclosed.
        sock = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    except OSError as exc:
        log.error("cannot serve HTTP on %s:%d: %s", host, port, exc.strerror or exc)
        return False
    server = WorkerServer(app, host, port)
    with sock:
        await server.serve(sockets=[sock])
    return not server.failed
