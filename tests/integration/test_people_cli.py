"""``rolefit ingest``, ``shortlist show|watch`` and ``topics list`` against the real (Tansu) broker."""

from __future__ import annotations

import asyncio
import os
import select
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from typer.testing import CliRunner

from schemas.events import ShortlistEntryV1, ShortlistPublishedV1, SkillEvidenceV1
from schemas.topics import Topics
from services.cli import app
from services.platform.kafka import client_options
from services.platform.settings import KafkaSettings
from services.topic_lag import partitions_of, read_to_end, throwaway_consumer
from tests.unit.test_handlers import ML_JOB, STRONG

pytestmark = pytest.mark.broker
runner = CliRunner()


@pytest.fixture
def env(kafka_settings: KafkaSettings, monkeypatch: pytest.MonkeyPatch) -> KafkaSettings:
    monkeypatch.setenv("ROLEFIT_KAFKA__BOOTSTRAP_SERVERS", kafka_settings.bootstrap_servers)
    monkeypatch.setenv("ROLEFIT_KAFKA__TOPIC_PREFIX", kafka_settings.topic_prefix)
    monkeypatch.setenv("ROLEFIT_KAFKA__ENABLE_IDEMPOTENCE", "false")
    return kafka_settings


async def _read_all(settings: KafkaSettings, topic: str) -> list[tuple[bytes | None, bytes | None]]:
    consumer = throwaway_consumer(settings)
    await consumer.start()
    try:
        tps = await partitions_of(consumer, topic)
        return [(r.key, r.value) for r in [r async for r in read_to_end(consumer, tps)]]
    finally:
        await consumer.stop()


async def _publish(settings: KafkaSettings, topic: str, key: str, value: bytes) -> None:
    producer = AIOKafkaProducer(**client_options(settings), enable_idempotence=False)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key.encode())
    finally:
        await producer.stop()


def test_ingest_publishes_a_folder_of_resumes_and_jobs(env: KafkaSettings, tmp_path: Path) -> None:
    (tmp_path / "ada.txt").write_text(STRONG.resume_text or "", encoding="utf-8")
    (tmp_path / "jobs.jsonl").write_text(ML_JOB.model_dump_json() + "\n\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "1 résumés and 1 jobs" in result.output
    topics = Topics(env.topic_prefix)
    candidates = asyncio.run(_read_all(env, topics.candidate_submitted))
    jobs = asyncio.run(_read_all(env, topics.job_posted))
    assert [key for key, _ in candidates] == [b"ada"]
    assert [key for key, _ in jobs] == [ML_JOB.job_id.encode()]
    assert ML_JOB.model_validate_json(jobs[0][1] or b"") == ML_JOB


def test_ingest_names_an_invalid_file(env: KafkaSettings, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"job_id": "x"}', encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(bad)])
    assert result.exit_code == 2
    assert "bad.json" in result.output


def test_shortlist_show_renders_the_latest_and_exits_1_for_unknown_job(env: KafkaSettings) -> None:
    entry = ShortlistEntryV1(
        candidate_id="cand-strong", rank=1, score=0.875, components={"semantic": 0.9},
        archetype="ml_engineer", reason="strong PyTorch evidence", missing_must_have=["aws"],
        matched_must_have=[SkillEvidenceV1(skill="pytorch", evidence="Trained PyTorch models")],
    )  # fmt: skip
    shortlist = ShortlistPublishedV1(
        shortlist_id="s1", job_id="job-mle", job_version=0, generated_at=datetime.now(UTC),
        trigger="job_indexed", model="m", taxonomy_version="1", top_k=5, candidates=[entry],
    )  # fmt: skip
    topic = Topics(env.topic_prefix).shortlist_published
    asyncio.run(_publish(env, topic, "job-mle", shortlist.model_dump_json().encode()))
    result = runner.invoke(app, ["shortlist", "show", "job-mle"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "cand-strong" in result.output and "0.875" in result.output
    assert "strong PyTorch evidence" in result.output
    assert "pytorch: Trained PyTorch models" in result.output and "aws" in result.output
    missing = runner.invoke(app, ["shortlist", "show", "job-nope"])
    assert missing.exit_code == 1
    assert "job-nope" in missing.output


def _shortlist(job_id: str, candidate_id: str, reason: str) -> ShortlistPublishedV1:
    entry = ShortlistEntryV1(
        candidate_id=candidate_id, rank=1, score=0.875, components={"semantic": 0.9},
        archetype="ml_engineer", reason=reason, missing_must_have=["aws"],
        matched_must_have=[SkillEvidenceV1(skill="pytorch", evidence="Trained PyTorch models")],
    )  # fmt: skip
    return ShortlistPublishedV1(
        shortlist_id=f"s-{job_id}", job_id=job_id, job_version=0, generated_at=datetime.now(UTC),
        trigger="job_indexed", model="m", taxonomy_version="1", top_k=5, candidates=[entry],
    )  # fmt: skip


def _start_watch(settings: KafkaSettings, *args: str) -> subprocess.Popen[str]:
    """``rolefit shortlist watch`` as a process of its own, once it says it is watching."""
    env = os.environ | {
        "ROLEFIT_KAFKA__BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "ROLEFIT_KAFKA__TOPIC_PREFIX": settings.topic_prefix,
        "COLUMNS": "250",
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "services.cli", "shortlist", "watch", *args]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    deadline, seen = time.monotonic() + 60, ""
    while "watching" not in seen:
        ready, _, _ = select.select([process.stdout], [], [], max(deadline - time.monotonic(), 0))
        if not ready or process.poll() is not None:
            process.kill()
            raise AssertionError(f"watch did not start: {seen}{process.stdout.read()}")
        seen += process.stdout.readline()
    return process


def _output(process: subprocess.Popen[str]) -> str:
    try:
        out, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
        raise AssertionError(f"watch did not stop after --max shortlists:\n{out}") from None
    assert process.returncode == 0, out
    return out


def test_shortlist_watch_renders_new_shortlists_and_filters_by_job(env: KafkaSettings) -> None:
    topic = Topics(env.topic_prefix).shortlist_published
    old = _shortlist("job-mle", "cand-before", "published before watching")
    asyncio.run(_publish(env, topic, "job-mle", old.model_dump_json().encode()))
    everything = _start_watch(env, "--max", "2")
    one_job = _start_watch(env, "--job", "job-mle", "--max", "1")
    for shortlist in (
        _shortlist("job-other", "cand-other", "other job reason"),
        _shortlist("job-mle", "cand-strong", "strong PyTorch evidence"),
    ):
        asyncio.run(_publish(env, topic, shortlist.job_id, shortlist.model_dump_json().encode()))
    both, filtered = _output(everything), _output(one_job)
    for out in (both, filtered):
        assert "job-mle (job_indexed)" in out and "cand-strong" in out and "0.875" in out
        assert "strong PyTorch evidence" in out  # the why column
        assert "explanations" in out and "pytorch: Trained PyTorch models" in out and "aws" in out
        assert "cand-before" not in out  # from now on, not from the beginning
    assert "job-other (job_indexed)" in both and "cand-other" in both and "other job reason" in both
    assert "job-other" not in filtered and "cand-other" not in filtered


def test_topics_list_shows_lag_of_a_group(env: KafkaSettings) -> None:
    topic = Topics(env.topic_prefix).job_posted
    for i in range(3):
        asyncio.run(_publish(env, topic, f"job-{i}", ML_JOB.model_dump_json().encode()))
    group = f"{env.topic_prefix}lagcheck.on_job"

    async def commit_one() -> None:
        consumer = AIOKafkaConsumer(**client_options(env), group_id=group, enable_auto_commit=False)
        await consumer.start()
        try:
            tps = await partitions_of(consumer, topic)
            ends = await consumer.end_offsets(tps)
            busiest = max(tps, key=lambda tp: ends[tp])
            consumer.assign(tps)
            await consumer.commit({tp: ends[tp] for tp in tps} | {busiest: ends[busiest] - 1})  # lag 1
        finally:
            await consumer.stop()

    asyncio.run(commit_one())
    result = runner.invoke(app, ["topics", "list"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert topic in result.output
    assert f"{group}: 1" in result.output


def test_ingest_exits_2_when_the_broker_is_unreachable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("ROLEFIT_KAFKA__BOOTSTRAP_SERVERS", f"127.0.0.1:{port}")
    monkeypatch.setenv("ROLEFIT_KAFKA__ENABLE_IDEMPOTENCE", "false")
    (tmp_path / "ada.txt").write_text("Python engineer", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "unreachable" in result.output and f"127.0.0.1:{port}" in result.output
