"""The ``rolefit`` command. Thin: parse options, call the service or use-case, print."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from aiokafka.errors import KafkaConnectionError
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from schemas.topics import Topics
from services.dlq_cli import dlq_app
from services.people_cli import ingest, shortlist_app, topics_list
from services.platform.embedder import ModelUnavailable
from services.platform.local_broker import BrokerStartError
from services.platform.settings import Settings
from services.platform.store.port import StoreInUse
from services.render import err
from services.topic_lag import BrokerUnavailableError
from services.trust_cli import audit, explain


class Cli(typer.Typer):
    """Failures any command can meet (settings, store, broker, model), said with what to do instead of as
    a traceback; exit code 2. Commands catch what is theirs alone (bad input files, say) themselves."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except ValidationError as exc:
            if exc.title != Settings.__name__:
                raise
            err.print(invalid_settings(exc))
        except KafkaConnectionError as exc:
            err.print(f"[red]Kafka is unreachable[/] (ROLEFIT_KAFKA__BOOTSTRAP_SERVERS): {escape(str(exc))}")
        except (StoreInUse, BrokerUnavailableError, BrokerStartError, ModelUnavailable) as exc:
            err.print(f"[red]{escape(str(exc))}[/]")
        sys.exit(2)


def invalid_settings(exc: ValidationError) -> str:
    """One line per invalid setting, named by its environment variable. Values are not repeated:
    one may be a secret (an API key)."""
    lines = ["[red]invalid settings:[/]"]
    for error in exc.errors(include_input=False, include_url=False):
        path = "__".join(str(part) for part in error["loc"]).upper()
        lines.append(f"  ROLEFIT_{path}: {escape(error['msg'])}" if path else f"  {escape(error['msg'])}")
    return "\n".join(lines)


app = Cli(help="Match candidates to AI/ML roles over Kafka and Qdrant.", no_args_is_help=True)
topics_app = typer.Typer(help="Kafka topics.", no_args_is_help=True)
app.add_typer(topics_app, name="topics")
docs_app = typer.Typer(help="AsyncAPI documents of both services.", no_args_is_help=True)
app.add_typer(docs_app, name="docs")
app.add_typer(dlq_app, name="dlq")
app.add_typer(shortlist_app, name="shortlist")
app.command()(ingest)
topics_app.command("list")(topics_list)
console = Console()


class Service(StrEnum):
    ingest = "ingest"
    matcher = "matcher"


def _settings() -> Settings:
    settings = Settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return settings


@app.command()
def demo(timeout: Annotated[float, typer.Option(help="Seconds to wait for each stage.")] = 150.0) -> None:
    """Start a local broker and both services, publish the bundled samples, print the shortlists."""
    from services import samples
    from services.demo import run_demo
    from services.platform.local_broker import stop_on_sigterm
    from services.render import print_shortlists

    settings = _settings()
    logging.getLogger().setLevel(logging.WARNING)  # client and per-message logs would drown the tables
    stop_on_sigterm()
    with console.status("local broker, model and both services starting; samples flowing…"):
        result = asyncio.run(run_demo(settings, timeout_s=timeout))
    titles = {job.job_id: job.title for job in samples.load_jobs()}
    print_shortlists(console, result.shortlists, titles)
    console.print(
        f"[green]{result.candidates} résumés and {result.jobs} jobs → {len(result.shortlists)} shortlists "
        f"over Kafka in {result.seconds:.1f} s[/]"
    )


@app.command()
def rank(
    jobs: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="Job events, one JSON per line.")],
    candidates: Annotated[
        Path, typer.Option(exists=True, dir_okay=False, help="Candidate events, one per line.")
    ],
    output: Annotated[Path, typer.Option(dir_okay=False, help="Where to write the ranking (JSON lines).")],
    top_k: Annotated[int, typer.Option("--top-k", min=0, help="Entries per line; 0 = all.")] = 10,
    reverse: Annotated[bool, typer.Option(help="Rank jobs for each candidate instead.")] = False,
) -> None:
    """Rank offline: no Kafka, an embedded store, the same domain code."""
    from services.offline import InputError, RankRequest, rank_files, write_jsonl

    if not output.parent.is_dir():  # said now, not after the model has loaded
        err.print(f"[red]cannot write {output}:[/] {output.parent} is not a folder")
        raise typer.Exit(2)
    try:
        lines = write_jsonl(rank_files(RankRequest(jobs, candidates, top_k, reverse), _settings()), output)
    except InputError as exc:
        err.print(f"[red]bad input:[/]\n{exc}")
        raise typer.Exit(2) from exc
    console.print(f"wrote {lines} lines to {output}")


@app.command()
def broker(
    port: Annotated[int, typer.Option(help="Loopback port.")] = 9092,
    partitions: Annotated[
        int | None, typer.Option(min=1, help="Partitions per topic (default: settings).")
    ] = None,
) -> None:
    """Run the bundled Tansu broker (memory only) with every rolefit topic, until Ctrl-C or SIGTERM."""
    from services.platform.kafka import create_topics
    from services.platform.local_broker import LocalBroker, stop_on_sigterm

    settings = _settings()
    stop_on_sigterm()
    local = LocalBroker()
    try:
        settings.kafka.bootstrap_servers = local.start(port)
        topics = Topics(settings.kafka.topic_prefix).all()
        asyncio.run(create_topics(settings.kafka, topics, partitions))
        console.print(
            f"broker on [bold]{settings.kafka.bootstrap_servers}[/] with {len(topics)} topics; "
            "Ctrl-C stops it\nits clients need ROLEFIT_KAFKA__ENABLE_IDEMPOTENCE=false "
            "(Tansu rejects aiokafka's idempotent-producer handshake)"
        )
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        console.print("stopping")
    finally:
        local.stop()


@topics_app.command("create")
def topics_create(partitions: Annotated[int | None, typer.Option(min=1)] = None) -> None:
    """Create every rolefit topic on the configured cluster (idempotent)."""
    from services.platform.kafka import create_topics

    settings = _settings()
    names = Topics(settings.kafka.topic_prefix).all()
    asyncio.run(create_topics(settings.kafka, names, partitions))
    console.print(f"{len(names)} topics present on {settings.kafka.bootstrap_servers}")


@docs_app.command("generate")
def docs_generate() -> None:
    """Write schemas/asyncapi/ingest.json and matcher.json from the services' routers."""
    from schemas.asyncapi import main

    main()


@docs_app.command("serve")
def docs_serve(
    port: Annotated[int, typer.Option(help="Port.")] = 8080,
    host: Annotated[str, typer.Option(help="Interface.")] = "127.0.0.1",
) -> None:
    """Serve both AsyncAPI documents as HTML and JSON, until Ctrl-C.

    The JSON needs nothing external; the HTML pages load FastStream's AsyncAPI viewer from a
    CDN (unpkg.com), so the browser needs internet access to render them."""
    from schemas.asyncapi import docs_server

    try:
        server = docs_server(host, port)
    except OSError as exc:  # the port is taken, or the interface is not this machine's
        err.print(f"[red]cannot serve on {host}:{port}:[/] {exc.strerror or exc}")
        raise typer.Exit(2) from exc
    console.print(f"AsyncAPI for ingest and matcher on [bold]http://{host}:{server.server_port}/[/]")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        console.print("stopping")
    finally:
        server.server_close()


@app.command()
def run(
    service: Annotated[Service, typer.Argument(help="Which service.")],
    workers: Annotated[
        int,
        typer.Option(
            min=1, help="Worker processes in one consumer group; worker i serves HTTP on http_port + i."
        ),
    ] = 1,
) -> None:
    """Run one service until SIGTERM/Ctrl-C, with /health, /ready and /metrics on ROLEFIT_HTTP_PORT.

    Each worker process has its own metrics registry, so each gets its own port (8000, 8001, …)
    and is scraped on its own; on Kubernetes run one worker per pod and scale pods instead."""
    if workers == 1:
        _run_service(service)
        return
    if Settings().qdrant.url is None:
        err.print(
            "[red]--workers > 1 needs a Qdrant server (ROLEFIT_QDRANT__URL):[/] "
            "the embedded store is single-process"
        )
        raise typer.Exit(2)
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_run_service, args=(service, i), name=f"{service}-{i}") for i in range(workers)
    ]
    for process in processes:
        process.start()

    def stop(signum: int, _frame: object) -> None:
        for process in processes:
            if process.pid is not None:
                process.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for process in processes:
        process.join()
    sys.exit(max((p.exitcode or 0) for p in processes))


def _run_service(service: Service, worker: int = 0) -> None:
    from services.platform.http import serve
    from services.platform.logs import configure_logging

    settings = _settings()
    configure_logging(settings.log_level)
    if service is Service.ingest:
        from services.ingest.app import create_asgi_app
    else:
        from services.matcher.app import create_asgi_app
    if not asyncio.run(serve(create_asgi_app(settings), settings.http_host, settings.http_port + worker)):
        sys.exit(1)  # the broker failed to start or died: let the orchestrator restart us


@app.command()
def reindex(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only count stale points: no Kafka, no model, no writes.")
    ] = False,
    into: Annotated[
        str | None,
        typer.Option(help="Collection prefix of a new generation (blue/green); default: rewrite in place."),
    ] = None,
) -> None:
    """Re-derive profiles and vectors from the input topics after a model or taxonomy change.

    A point is stale when the model name or taxonomy version it records differs from the
    current settings (or it records none). Exits 1 when stale points remain: their documents
    are no longer on the topics."""
    from services.core.taxonomy import Taxonomy
    from services.platform.embedder import SentenceTransformerEmbedder, model_name
    from services.platform.store.factory import open_store
    from services.platform.store.layout import Collections
    from services.reindex import Fingerprint, staleness
    from services.reindex import reindex as run_reindex

    settings = _settings()
    logging.getLogger().setLevel(logging.WARNING)
    taxonomy = Taxonomy.load()
    current = Fingerprint(model_name(settings.model), taxonomy.version)
    store = open_store(settings.qdrant)
    try:
        if dry_run:
            rows = staleness(
                store, Collections.with_prefix(into or settings.qdrant.collection_prefix), current
            )
        else:
            with console.status("loading the model; replaying the input topics…"):
                report = asyncio.run(
                    run_reindex(settings, store, SentenceTransformerEmbedder(settings.model), taxonomy, into)
                )
            rows = report.after
            console.print(
                f"read {report.records} input records; "
                f"re-derived {report.indexed['candidate']} candidate and {report.indexed['job']} job "
                f"records; skipped {report.skipped} (older or erased), {report.unreadable} unreadable; "
                f"applied {report.erased} erasures and {report.closed} closings"
            )
    except (BrokerUnavailableError, LookupError, ValueError) as exc:
        hint = " (a new model dimension needs a new generation: --into PREFIX)" if "dim" in str(exc) else ""
        err.print(f"[red]reindex failed:[/] {exc}{hint}")
        raise typer.Exit(2) from exc
    finally:
        store.close()
    table = Table(
        "collection", "points", "stale", title=f"model {current.model}, taxonomy {current.taxonomy_version}"
    )
    for row in rows:
        table.add_row(row.collection, str(row.points), str(row.stale))
    console.print(table)
    if not dry_run and any(row.stale for row in rows):
        err.print("[yellow]stale points remain: their documents are no longer on the input topics[/]")
        raise typer.Exit(1)


app.command()(explain)
app.command()(audit)

if __name__ == "__main__":
    app()
