"""Kafka plumbing every rolefit service shares: topic creation, the FastStream broker, consumer options.

All clients are built from one ``KafkaSettings`` so the admin client, producers and consumers
always agree on bootstrap servers and security. Secrets stay ``SecretStr`` until the moment a
client object is built and are never put into log lines or error messages.

Quirks found against Tansu 0.6.0-510f3e2 (the local/test broker) with aiokafka 0.14:

* Idempotent producers fail: aiokafka only speaks InitProducerId v0, which Tansu answers with
  UNKNOWN_SERVER_ERROR (its log: ``producer=None epoch=None``). librdkafka uses v4 and works.
  Hence idempotence follows ``settings.enable_idempotence`` (default on, for real Kafka) and
  tests against Tansu turn it off.
* aiokafka's ``create_topics`` returns per-topic error codes rather than raising; an existing
  topic is code 36, which ``create_topics`` treats as success, raising on any other. Tansu validates
  nothing else there: 0 or negative partitions, illegal names and a replication factor above
  the broker count all "succeed", so those are checked (or left to real Kafka) on our side.
* ``AIOKafkaAdminClient.list_consumer_group_offsets`` without ``partitions`` sends OffsetFetch
  with a null topic list, and Tansu's reply cannot be decoded (connection dropped). Passing the
  partitions explicitly works.
* A consumer-group join takes about half the session timeout. Tansu does not act on
  LeaveGroup: a member that left stays listed until its session expires, so a new member of
  the same group waits roughly 1.5x the session timeout (about 11 s at 6 s) to get partitions.
* Record size: Tansu stores a topic's ``max.message.bytes`` (DescribeConfigs returns it) but does
  not enforce it (a 40 MB record went into a topic set to 16 MiB, 5 KB into one set to 1,000
  bytes), and it answers fetches with whole records above ``max_partition_fetch_bytes``, as Kafka
  does. On Tansu only our producers' ``max_request_size`` bounds a record; real Kafka also
  refuses, at the broker, records over the topic's ``max.message.bytes``.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import for_code
from faststream.kafka import KafkaBroker
from faststream.kafka.security import parse_security
from faststream.middlewares import AckPolicy
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from schemas.topics import DLQ_SUFFIX, topic_config
from services.platform.settings import KafkaSettings

CLIENT_ID = "rolefit"
_TOPIC_ALREADY_EXISTS = 36
_SASL = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}
# A dead letter is the original record plus provenance headers (a few hundred bytes, the reason
# capped at 500 characters): its topic and our producers allow this much more than an input
# topic, so a record at the limit can still be dead-lettered instead of blocking its partition.
DLQ_HEADROOM_BYTES = 64 * 1024
_FETCH_MAX_BYTES = 50 * 1024 * 1024  # aiokafka's default for a whole fetch response


def topic_max_message_bytes(settings: KafkaSettings, topic: str) -> int:
    """``max.message.bytes`` of a topic we create: the record limit, plus headroom on a DLQ."""
    return settings.max_message_bytes + (DLQ_HEADROOM_BYTES if topic.endswith(DLQ_SUFFIX) else 0)


def producer_options(settings: KafkaSettings) -> dict[str, Any]:
    """Producer guarantees and record size, for FastStream and plain aiokafka producers alike."""
    return {
        "acks": "all",
        "enable_idempotence": settings.enable_idempotence,
        # Ours write dead letters too: an input record at the limit plus its provenance headers.
        "max_request_size": settings.max_message_bytes + DLQ_HEADROOM_BYTES,
    }


def fetch_options(settings: KafkaSettings) -> dict[str, Any]:
    """Consumer fetch sizes that admit the largest record (Kafka >= 0.10.1 returns an oversized
    first record anyway; older brokers and some Kafka-protocol servers do not), and the fetch wait."""
    largest = settings.max_message_bytes + DLQ_HEADROOM_BYTES
    return {
        "max_partition_fetch_bytes": largest,
        "fetch_max_bytes": max(_FETCH_MAX_BYTES, largest),
        "fetch_max_wait_ms": settings.fetch_max_wait_ms,
    }


def bootstrap_servers(settings: KafkaSettings) -> list[str]:
    # aiokafka only splits a plain string on commas, and FastStream wraps a string in a list.
    return [server.strip() for server in settings.bootstrap_servers.split(",") if server.strip()]


def ssl_context(settings: KafkaSettings) -> ssl.SSLContext | None:
    if settings.security_protocol not in ("SSL", "SASL_SSL"):
        return None
    context = ssl.create_default_context(cafile=settings.ssl_cafile)
    if settings.ssl_certfile is not None:
        context.load_cert_chain(settings.ssl_certfile, settings.ssl_keyfile)
    elif settings.ssl_keyfile is not None:
        raise ValueError("kafka.ssl_keyfile is set without kafka.ssl_certfile")
    return context


def security(settings: KafkaSettings) -> BaseSecurity | None:
    """FastStream's security object for the settings; None for PLAINTEXT."""
    protocol = settings.security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = ssl_context(settings)
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context)
    if settings.sasl_mechanism is None or settings.sasl_username is None or settings.sasl_password is None:
        raise ValueError(
            f"kafka.security_protocol={protocol} needs sasl_mechanism, sasl_username and sasl_password"
        )
    sasl = _SASL[settings.sasl_mechanism]
    return sasl(
        username=settings.sasl_username,
        password=settings.sasl_password.get_secret_value(),
        ssl_context=context,
        use_ssl=protocol == "SASL_SSL",
    )


def client_options(settings: KafkaSettings) -> dict[str, Any]:
    """Connection kwargs for plain aiokafka clients, derived exactly as the broker's are."""
    return {"bootstrap_servers": bootstrap_servers(settings), **parse_security(security(settings))}


async def create_topics(
    settings: KafkaSettings, topics: Sequence[str], partitions: int | None = None
) -> None:
    """Create the topics that do not exist yet; existing ones are left as they are."""
    names = list(dict.fromkeys(topics))
    if not names:
        return
    count = partitions if partitions is not None else settings.partitions
    if count < 1:
        # Tansu would accept it (it validates nothing here); a real cluster would not.
        raise ValueError(f"partitions must be >= 1, got {count}")
    admin = AIOKafkaAdminClient(client_id=f"{CLIENT_ID}-admin", **client_options(settings))
    await admin.start()
    try:
        response = await admin.create_topics(
            [
                NewTopic(
                    name,
                    num_partitions=count,
                    replication_factor=settings.replication_factor,
                    topic_configs={
                        **topic_config(name),
                        "max.message.bytes": str(topic_max_message_bytes(settings, name)),
                    },
                )
                for name in names
            ]
        )
    finally:
        await admin.close()
    # Every CreateTopics response version starts each entry with (topic, error_code, ...).
    failed = [
        (entry[0], entry[1]) for entry in response.topic_errors if entry[1] not in (0, _TOPIC_ALREADY_EXISTS)
    ]
    if failed:
        topic, code = failed[0]
        raise for_code(code)(f"creating topic {topic!r} failed ({len(failed)} of {len(names)} topics failed)")


def make_broker(settings: KafkaSettings, **kwargs: Any) -> KafkaBroker:
    """A FastStream KafkaBroker with our producer guarantees; ``kwargs`` override the defaults."""
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap_servers(settings),
        "security": security(settings),
        "client_id": CLIENT_ID,
        **producer_options(settings),
        # Else each FastStream 0.7 subscriber creates a missing topic at start with 1 partition
        # and replication 1; ours come from create_topics. (Costs one warning per subscriber.)
        "allow_auto_create_topics": False,
        "graceful_timeout": settings.graceful_timeout_s,
    }
    return KafkaBroker(**(options | kwargs))


def subscriber_options(settings: KafkaSettings, group_id: str) -> dict[str, Any]:
    """Kwargs for ``broker.subscriber(topic, **...)``: our consumers commit only what they ack.

    FastStream 0.7 has no ``auto_commit`` flag; ``AckPolicy.MANUAL`` turns aiokafka's auto commit
    off and leaves ``await msg.ack()`` to the handler. An ack commits the consumer's position on
    every assigned partition, so it also covers earlier records whose handler failed unacked:
    a handler must park such a record (dead-letter topic) before acking anything later.
    """
    return {
        "group_id": group_id,
        "auto_offset_reset": "earliest",
        "ack_policy": AckPolicy.MANUAL,
        "session_timeout_ms": settings.session_timeout_ms,
        "heartbeat_interval_ms": settings.heartbeat_interval_ms,
        **fetch_options(settings),
    }
