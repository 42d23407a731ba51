"""``rolefit ingest``, ``rolefit shortlist show|watch`` and ``rolefit topics list``: the CLI for people."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from schemas.events import ShortlistPublishedV1
from schemas.topics import Topics
from services.ingest_files import Event, events_of, input_files
from services.platform.kafka import CLIENT_ID, client_options, producer_options
from services.platform.settings import KafkaSettings, Settings
from services.render import err, shortlist_table
from services.topic_lag import (
    CONNECT_TIMEOUT_S,
    BrokerUnavailableError,
    bounded,
    partitions_of,
    read_to_end,
    throwaway_consumer,
    topic_overview,
)

shortlist_app = typer.Typer(help="Published shortlists.", no_args_is_help=True)
console = Console()
T = TypeVar("T")


async def _publish(settings: KafkaSettings, events: list[Event], progress: Progress) -> None:
    producer = AIOKafkaProducer(
        **client_options(settings), **producer_options(settings), client_id=f"{CLIENT_ID}-cli",
        request_timeout_ms=int(CONNECT_TIMEOUT_S * 1000),
    )  # fmt: skip
    try:
        await bounded(settings, producer.start())
        task = progress.add_task("publishing", total=len(events))
        for topic, key, event in events:
            await bounded(settings, producer.send_and_wait(
                topic, event.model_dump_json().encode(), key=key.encode(),
                headers=[("content-type", b"application/json")],
            ))  # fmt: skip
            progress.advance(task)
    finally:
        await producer.stop()


def ingest(
    paths: Annotated[
        list[Path], typer.Argument(exists=True, help="Résumé files, job .json/.jsonl files, or folders.")
    ],
) -> None:
    """Publish résumés (id = file stem) and job descriptions to their topics, keyed by id."""
    settings = Settings().kafka
    topics = Topics(settings.topic_prefix)
    events: list[Event] = []
    for path in input_files(paths):
        try:
            events.extend(events_of(path, topics))
        except (OSError, ValueError, TypeError) as exc:  # JSON, pydantic, decoding: ValueError
            err.print(f"[red]cannot ingest {path}:[/] {exc}")
            raise typer.Exit(2) from exc
    if not events:
        err.print("[red]nothing to ingest[/] (no résumé or job files found)")
        raise typer.Exit(2)
    try:
        with Progress(console=console) as progress:
            asyncio.run(_publish(settings, events, progress))
    except (BrokerUnavailableError, KafkaError) as exc:
        err.print(f"[red]publishing failed:[/] {exc!r}" if isinstance(exc, KafkaError) else f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    jobs = sum(1 for topic, _, _ in events if topic == topics.job_posted)
    console.print(f"published {len(events) - jobs} résumés and {jobs} jobs to {settings.bootstrap_servers}")


async def _latest(settings: KafkaSettings, job_id: str) -> ShortlistPublishedV1 | None:
    consumer = throwaway_consumer(settings)
    try:
        await bounded(settings, consumer.start())
        tps = await partitions_of(consumer, Topics(settings.topic_prefix).shortlist_published)
        latest: ShortlistPublishedV1 | None = None
        async for record in read_to_end(consumer, tps):
            shortlist = ShortlistPublishedV1.model_validate_json(record.value or b"")
            if shortlist.job_id == job_id and (
                latest is None or shortlist.generated_at >= latest.generated_at
            ):
                latest = shortlist
        return latest
    finally:
        await consumer.stop()


def _run(coro: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(coro)
    except (BrokerUnavailableError, LookupError) as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc


@shortlist_app.command("show")
def show(job_id: Annotated[str, typer.Argument(help="The job whose latest shortlist to show.")]) -> None:
    """Read the shortlist topic from the beginning and render the job's latest shortlist."""
    shortlist = _run(_latest(Settings().kafka, job_id))
    if shortlist is None:
        err.print(f"[yellow]no shortlist published for job {job_id!r}[/]")
        raise typer.Exit(1)
    console.print(shortlist_table(shortlist))
    console.print(_explanations(shortlist))


def _explanations(shortlist: ShortlistPublishedV1) -> Table:
    table = Table("#", "candidate", "matched must-haves (evidence)", "missing", "gates", title="explanations")
    for e in shortlist.candidates:
        matched = "\n".join(
            f"{m.skill}: {m.evidence}" if m.evidence else m.skill for m in e.matched_must_have
        )
        gates = "\n".join(f"{'✓' if g.passed else '✗'} {g.gate}: {g.detail}" for g in e.gates)
        table.add_row(
            str(e.rank), e.candidate_id, matched or "-", ", ".join(e.missing_must_have) or "-", gates or "-"
        )
    return table


async def _watch(settings: KafkaSettings, job_id: str | None, limit: int | None) -> None:
    consumer = throwaway_consumer(settings)
    shown = 0
    try:
        await bounded(settings, consumer.start())
        tps = await partitions_of(consumer, Topics(settings.topic_prefix).shortlist_published)
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        for tp in tps:  # resolve "end" now: what is published after this line is shown
            await consumer.position(tp)
        console.print(f"watching {tps[0].topic}; Ctrl-C stops")
        async for record in consumer:
            shortlist = ShortlistPublishedV1.model_validate_json(record.value or b"")
            if job_id is None or shortlist.job_id == job_id:
                console.print(shortlist_table(shortlist, f"{shortlist.job_id} ({shortlist.trigger})"))
                console.print(_explanations(shortlist))
                shown += 1
                if limit is not None and shown >= limit:
                    return
    finally:
        await consumer.stop()


@shortlist_app.command("watch")
def watch(
    job: Annotated[str | None, typer.Option("--job", help="Only this job.")] = None,
    limit: Annotated[
        int | None, typer.Option("--max", min=1, help="Stop after this many shortlists (scripts, tests).")
    ] = None,
) -> None:
    """Tail the shortlist topic from now on and render each new shortlist with its explanations."""
    try:
        _run(_watch(Settings().kafka, job, limit))
    except KeyboardInterrupt:
        console.print("stopped")


def topics_list() -> None:
    """Rolefit topics with partitions, end offsets and lag per consumer group."""
    settings = Settings().kafka
    rows = _run(topic_overview(settings))
    table = Table(
        "topic", "partitions", "end offsets", "consumer-group lag", title=settings.bootstrap_servers
    )
    for row in rows:
        lag = "\n".join(f"{group}: {n}" for group, n in sorted(row.lag.items())) or "-"
        table.add_row(row.topic, str(row.partitions), str(row.end_offset), lag)
    console.print(table)
