"""The same pipeline against Apache Kafka and a Qdrant server in containers.

Skipped, with the reason, wherever no Docker engine answers (as on the development machines).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.topics import Topics
from services.platform.kafka import create_topics
from services.platform.settings import KafkaSettings, QdrantSettings, Settings
from tests.fakes import HashingEmbedder
from tests.integration.pipeline import running_pipeline
from tests.unit.test_handlers import ML_JOB, STRONG, WEAK


def _docker_engine() -> str | None:
    try:
        import docker

        docker.from_env().ping()
    except Exception as exc:  # any failure means: no engine to run containers on
        return f"no Docker engine answers ({type(exc).__name__})"
    return None


_NO_DOCKER = _docker_engine()
pytestmark = [pytest.mark.docker, pytest.mark.skipif(_NO_DOCKER is not None, reason=_NO_DOCKER or "")]


async def test_pipeline_on_apache_kafka_and_qdrant_server(tmp_path: Path) -> None:
    from testcontainers.community.kafka import KafkaContainer
    from testcontainers.community.qdrant import QdrantContainer

    with KafkaContainer().with_kraft() as kafka, QdrantContainer() as qdrant:
        host, port = qdrant.get_container_host_ip(), qdrant.exposed_rest_port
        settings = Settings(
            kafka=KafkaSettings(bootstrap_servers=kafka.get_bootstrap_server(), partitions=3),
            qdrant=QdrantSettings(url=f"http://{host}:{port}"),
        )
        await create_topics(settings.kafka, Topics(settings.kafka.topic_prefix).all())
        async with running_pipeline(settings, HashingEmbedder()) as pipeline:
            for candidate in (WEAK, STRONG):
                await pipeline.broker.publish(
                    candidate, pipeline.topics.candidate_submitted, key=candidate.candidate_id.encode()
                )
            await pipeline.broker.publish(ML_JOB, pipeline.topics.job_posted, key=b"job-mle")
            shortlist = await pipeline.wait_for(lambda s: len(s.candidates) == 2, timeout_s=120)
            assert shortlist.candidates[0].candidate_id == "cand-strong"
