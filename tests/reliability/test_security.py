"""Security settings: Kafka SASL/SCRAM and TLS and the Qdrant API key are configurable, secrets
never show in a repr, a dump, a log line, an error or the AsyncAPI document; and the matcher
runs on a read-only store (a read-only Qdrant key), writing nothing."""

from __future__ import annotations

import json
import logging
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from faststream.kafka import TestKafkaBroker
from faststream.specification import AsyncAPI
from pydantic import SecretStr

from schemas.events import CandidateErasedV1, JobClosedV1, MatchRequestedV1, ShortlistPublishedV1
from schemas.topics import Topics
from services.ingest.app import attach_ingest, build_ingest
from services.matcher.app import attach_matcher, build_matcher
from services.platform.kafka import make_broker, security, ssl_context
from services.platform.settings import KafkaSettings, QdrantSettings, Settings
from services.platform.store.factory import open_store
from tests.fakes import HashingEmbedder
from tests.reliability.samples import JOBS, candidates
from tests.reliability.stores import ReadOnlyStore

KAFKA_SECRET = "kafka-pw-5d1f0c"
QDRANT_SECRET = "qdrant-key-9b7e2a"
SYSTEM_CA = Path(ssl.get_default_verify_paths().cafile or "/nonexistent")


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in {
        "ROLEFIT_KAFKA__SECURITY_PROTOCOL": "SASL_SSL",
        "ROLEFIT_KAFKA__SASL_MECHANISM": "SCRAM-SHA-512",
        "ROLEFIT_KAFKA__SASL_USERNAME": "rolefit",
        "ROLEFIT_KAFKA__SASL_PASSWORD": KAFKA_SECRET,
        "ROLEFIT_KAFKA__BOOTSTRAP_SERVERS": "127.0.0.1:1",
        "ROLEFIT_QDRANT__URL": "http://127.0.0.1:1",
        "ROLEFIT_QDRANT__API_KEY": QDRANT_SECRET,
    }.items():
        monkeypatch.setenv(name, value)
    return Settings()


def _clean(text: str) -> bool:
    return KAFKA_SECRET not in text and QDRANT_SECRET not in text


def test_secrets_are_read_from_the_environment_and_never_printed(secret_env: Settings) -> None:
    assert secret_env.kafka.sasl_password is not None and secret_env.qdrant.api_key is not None
    assert secret_env.kafka.sasl_password.get_secret_value() == KAFKA_SECRET
    assert secret_env.qdrant.api_key.get_secret_value() == QDRANT_SECRET
    shown = [repr(secret_env), str(secret_env), secret_env.model_dump_json(), str(secret_env.model_dump())]
    for text in shown:
        assert _clean(text)


async def test_a_sasl_ssl_broker_builds_and_fails_to_connect_without_leaking_the_password(
    secret_env: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    broker = make_broker(secret_env.kafka)
    protocol = security(secret_env.kafka)
    assert protocol is not None and protocol.use_ssl and protocol.ssl_context is not None
    document = json.dumps(AsyncAPI(broker).to_specification().to_jsonable())
    with pytest.raises(Exception) as failed:  # nothing listens on port 1
        await broker.connect()
    await broker.stop()
    assert "scramSha512" in document
    for text in (repr(broker), document, caplog.text, str(failed.value), repr(failed.value)):
        assert _clean(text)


def test_a_half_configured_sasl_names_the_missing_fields_not_the_secret() -> None:
    settings = KafkaSettings(security_protocol="SASL_SSL", sasl_password=SecretStr(KAFKA_SECRET))
    with pytest.raises(ValueError, match="sasl_mechanism, sasl_username and sasl_password") as failed:
        security(settings)
    assert _clean(str(failed.value))


@pytest.mark.skipif(not SYSTEM_CA.is_file(), reason="no system CA bundle to point ssl_cafile at")
def test_tls_verifies_the_broker_against_the_configured_ca() -> None:
    context = ssl_context(KafkaSettings(security_protocol="SSL", ssl_cafile=SYSTEM_CA))
    assert context is not None
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    with pytest.raises(ValueError, match=r"ssl_keyfile is set without kafka\.ssl_certfile"):
        ssl_context(KafkaSettings(security_protocol="SSL", ssl_keyfile=SYSTEM_CA))


def test_a_qdrant_api_key_never_shows_in_the_store_or_its_errors(secret_env: Settings) -> None:
    store = open_store(secret_env.qdrant)
    try:
        with pytest.raises(Exception) as failed:  # nothing listens on port 1
            store.count("rolefit_candidates")
        assert _clean(repr(store)) and _clean(str(failed.value)) and _clean(repr(failed.value))
    finally:
        store.close()


Wired = tuple[TestKafkaBroker, Topics, ReadOnlyStore, list[ShortlistPublishedV1]]


@pytest.fixture
def read_only_matcher(tmp_path: Path) -> Iterator[Wired]:
    settings = Settings(kafka=KafkaSettings(topic_prefix="ro."), qdrant=QdrantSettings(path=tmp_path))
    store = open_store(settings.qdrant)
    read_only = ReadOnlyStore(store)
    broker = make_broker(settings.kafka)
    attach_ingest(broker, settings, build_ingest(settings, store, HashingEmbedder()))
    attach_matcher(broker, settings, build_matcher(settings, read_only))
    topics = Topics(settings.kafka.topic_prefix)
    shortlists: list[ShortlistPublishedV1] = []

    @broker.subscriber(topics.shortlist_published, group_id="observer")
    async def observe(shortlist: ShortlistPublishedV1) -> None:
        shortlists.append(shortlist)

    yield TestKafkaBroker(broker), topics, read_only, shortlists
    store.close()


async def test_the_matcher_never_writes_to_the_store(read_only_matcher: Wired) -> None:
    tester, topics, read_only, shortlists = read_only_matcher
    people = candidates(3)
    async with tester as broker:
        for job in JOBS:
            await broker.publish(job, topics.job_posted, key=job.job_id.encode())
        for person in people:  # after the jobs: each candidate re-matches them
            await broker.publish(person, topics.candidate_submitted, key=person.candidate_id.encode())
        await broker.publish(MatchRequestedV1(job_id=JOBS[0].job_id), topics.match_requested)
        await broker.publish(CandidateErasedV1(candidate_id=people[0].candidate_id), topics.candidate_erased,
                             key=people[0].candidate_id.encode())  # fmt: skip
        await broker.publish(JobClosedV1(job_id=JOBS[1].job_id), topics.job_closed)
    triggers = {s.trigger for s in shortlists}
    assert {"job_indexed", "candidate_indexed", "match_requested", "candidate_erased"} <= triggers
    assert read_only.attempted == []  # a write would also have failed the handler
