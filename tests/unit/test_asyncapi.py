"""The committed AsyncAPI documents match the routers, and list every topic where it belongs."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import pytest

from schemas.asyncapi import ASYNCAPI_DIR, SERVICES, docs_server, rendered
from schemas.topics import Topics, dead_letter_topic

TOPICS = Topics()  # the documents are rendered with the default prefix
CONSUMES = {
    "ingest": [TOPICS.candidate_submitted, TOPICS.candidate_erased, TOPICS.job_posted, TOPICS.job_closed],
    "matcher": [TOPICS.job_indexed, TOPICS.match_requested, TOPICS.candidate_indexed, TOPICS.job_closed],
}
PRODUCES = {
    "ingest": [TOPICS.candidate_indexed, TOPICS.job_indexed],
    "matcher": [TOPICS.shortlist_published, TOPICS.decision_recorded],
}
PAYLOADS = {
    TOPICS.candidate_submitted: "CandidateSubmittedV1",
    TOPICS.job_posted: "JobPostedV1",
    TOPICS.match_requested: "MatchRequestedV1",
    TOPICS.candidate_indexed: "CandidateIndexedV1",
    TOPICS.job_indexed: "JobIndexedV1",
    TOPICS.shortlist_published: "ShortlistPublishedV1",
    TOPICS.decision_recorded: "DecisionRecordedV1",
}


@pytest.fixture(scope="module")
def documents() -> dict[str, str]:
    return rendered()


def test_committed_documents_match_the_routers(documents: dict[str, str]) -> None:
    committed = {path.name: path.read_text(encoding="utf-8") for path in ASYNCAPI_DIR.glob("*.json")}
    stale = sorted(name for name in documents if committed.get(name) != documents[name])
    extra = sorted(set(committed) - set(documents))
    assert not stale and not extra, f"run `rolefit docs generate`; stale={stale} extra={extra}"


def operations(document: dict[str, Any]) -> dict[str, set[str]]:
    """action (receive/send) → channel addresses."""
    found: dict[str, set[str]] = {"receive": set(), "send": set()}
    for operation in document["operations"].values():
        channel = document["channels"][operation["channel"]["$ref"].rsplit("/", 1)[-1]]
        found[operation["action"]].add(channel["address"])
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_documents_what_it_reads_and_writes(documents: dict[str, str], service: str) -> None:
    found = operations(json.loads(documents[f"{service}.json"]))
    assert found["receive"] == set(CONSUMES[service])
    assert found["send"] == set(PRODUCES[service]) | {dead_letter_topic(t) for t in CONSUMES[service]}


def test_every_rolefit_topic_is_documented_by_some_service(documents: dict[str, str]) -> None:
    addresses = set().union(*(set().union(*operations(json.loads(d)).values()) for d in documents.values()))
    assert addresses == set(TOPICS.all())


@pytest.mark.parametrize("service", SERVICES)
def test_payloads_are_the_versioned_event_models(documents: dict[str, str], service: str) -> None:
    document = json.loads(documents[f"{service}.json"])
    text = json.dumps(document["components"]["messages"])
    # A payload that may be a tombstone (candidate.indexed) is anyOf [model, null]: look inside.
    wrappers = [s for name, s in document["components"]["schemas"].items() if name.endswith(":Payload")]
    text += json.dumps(wrappers)
    for topic in CONSUMES[service] + PRODUCES[service]:
        if topic in PAYLOADS:
            assert f"#/components/schemas/{PAYLOADS[topic]}" in text, topic
    assert document["info"]["title"] == f"rolefit {service}"


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    server = docs_server("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def fetch(server: ThreadingHTTPServer, path: str) -> tuple[str, bytes]:
    with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}{path}", timeout=10) as response:
        return response.headers["content-type"], response.read()


def test_docs_server_serves_json_and_html(server: ThreadingHTTPServer, documents: dict[str, str]) -> None:
    content_type, body = fetch(server, "/matcher.json")
    assert content_type == "application/json" and body.decode() == documents["matcher.json"]
    content_type, body = fetch(server, "/ingest")
    assert content_type.startswith("text/html") and b"AsyncApiStandalone.render" in body
    assert b'href="/matcher"' in fetch(server, "/")[1]
    with pytest.raises(urllib.error.HTTPError, match="404"):
        fetch(server, "/secrets")
