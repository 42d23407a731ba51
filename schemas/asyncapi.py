"""AsyncAPI 3.0 documents of both services, rendered by FastStream from the real routers.

``python -m schemas.asyncapi`` (or ``rolefit docs generate``) writes
``schemas/asyncapi/{ingest,matcher}.json``; a test fails when they drift from the code.
``rolefit docs serve`` shows them as HTML.

The routers are built on an unconnected broker with default settings (never the environment,
so the documents do not depend on where they are rendered) and with placeholder use-cases:
rendering registers handlers but never calls them.
"""

from __future__ import annotations

import json
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from pathlib import Path
from typing import Any, Literal, cast

from faststream.kafka import KafkaBroker
from faststream.kafka.subscriber.usecase import DefaultSubscriber
from faststream.specification import AsyncAPI, Specification, get_asyncapi_html

from schemas.topics import Topics, dead_letter_topic

Service = Literal["ingest", "matcher"]
SERVICES: tuple[Service, ...] = ("ingest", "matcher")
ASYNCAPI_DIR = Path(__file__).parent / "asyncapi"
_DESCRIPTIONS = {
    "ingest": "Turns résumés and job descriptions into profiles and vectors in Qdrant.",
    "matcher": "Ranks candidates for open jobs and publishes explainable shortlists.",
}
_DLQ = (
    "Records from {topic} that can never succeed (undecodable, schema-invalid, corrupt or oversized): "
    "the original key and bytes, unchanged, with x-rolefit-original-topic/-partition/-offset and "
    "x-rolefit-error-class/-error-message headers. The payload is whatever arrived, so no schema."
)


class _NotRunning:
    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"schema rendering never runs handlers (tried .{name})")


def service_broker(service: Service) -> KafkaBroker:
    # Imported here: services import schemas, never the other way round at import time.
    from services.platform.kafka import make_broker, subscriber_options
    from services.platform.settings import IngestSettings, KafkaSettings, MatcherSettings

    kafka = KafkaSettings()
    topics = Topics(kafka.topic_prefix)
    broker = make_broker(kafka)
    if service == "ingest":
        from services.ingest.handlers import ingest_router
        from services.ingest.usecases import Ingest

        consumer = subscriber_options(kafka, IngestSettings().group_id)
        broker.include_router(ingest_router(broker, topics, cast(Ingest, _NotRunning()), consumer))
    else:
        from services.matcher.handlers import matcher_router
        from services.matcher.usecases import Matcher

        consumer = subscriber_options(kafka, MatcherSettings().group_id)
        broker.include_router(matcher_router(broker, topics, cast(Matcher, _NotRunning()), consumer))
    # The dead-letter middleware publishes with broker.publish, which AsyncAPI cannot see;
    # declared here so the documents list every topic a service writes.
    subscribers = [sub for sub in broker.subscribers if isinstance(sub, DefaultSubscriber)]
    consumed = sorted({name for sub in subscribers for name in sub.topic_names})
    for topic in consumed:
        broker.publisher(dead_letter_topic(topic), description=_DLQ.format(topic=topic))
    return broker


def document(service: Service) -> Specification:
    return AsyncAPI(
        service_broker(service),
        title=f"rolefit {service}",
        version=version("rolefit"),
        description=_DESCRIPTIONS[service],
    ).to_specification()


def _dumps(spec: Specification) -> str:
    # Keys sorted: FastStream keeps subscribers in a set, so its own order varies per process.
    return json.dumps(spec.to_jsonable(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def rendered() -> dict[str, str]:
    """File name → JSON text, exactly as committed."""
    return {f"{service}.json": _dumps(document(service)) for service in SERVICES}


def main() -> None:
    ASYNCAPI_DIR.mkdir(exist_ok=True)
    for name, text in rendered().items():
        (ASYNCAPI_DIR / name).write_text(text, encoding="utf-8")
        print(f"wrote schemas/asyncapi/{name}")


def pages() -> dict[str, tuple[str, bytes]]:
    """URL path → (content type, body). The HTML pages load FastStream's AsyncAPI viewer
    (a React component) from unpkg.com; the JSON documents need nothing from outside."""
    links = "".join(f'<li>{s}: <a href="/{s}">HTML</a> · <a href="/{s}.json">JSON</a></li>' for s in SERVICES)
    html = "text/html; charset=utf-8"
    result = {"/": (html, f"<h1>rolefit AsyncAPI</h1><ul>{links}</ul>".encode())}
    for service in SERVICES:
        spec = document(service)
        result[f"/{service}"] = (html, get_asyncapi_html(spec, try_it_out_path=None).encode())
        result[f"/{service}.json"] = ("application/json", _dumps(spec).encode())
    return result


class _Pages(BaseHTTPRequestHandler):
    def __init__(self, *args: Any, pages: dict[str, tuple[str, bytes]], **kwargs: Any) -> None:
        self.pages = pages
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        page = self.pages.get(self.path.split("?")[0])
        content_type, body = page or ("text/plain", b"not found")
        self.send_response(200 if page else 404)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def docs_server(host: str, port: int) -> ThreadingHTTPServer:
    """A local viewer, not for production: stdlib server, no auth."""
    return ThreadingHTTPServer((host, port), partial(_Pages, pages=pages()))


if __name__ == "__main__":
    main()
