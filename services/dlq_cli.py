"""``rolefit dlq …``: look at and replay dead-letter topics (logic in ``services.dlq``)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

dlq_app = typer.Typer(help="Dead-letter topics (<topic>.dlq).", no_args_is_help=True)
console = Console()


@dlq_app.command("replay")
def replay(
    topic: Annotated[str, typer.Option(help="The input topic (full name) whose <topic>.dlq to replay.")],
    since_offset: Annotated[
        int | None,
        typer.Option(min=0, help="Start every DLQ partition here, not at the replay group's position."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option(help="List what would be replayed; publish and commit nothing.")
    ] = False,
) -> None:
    """Re-publish dead letters (original key and bytes) to their topic, committing as it goes."""
    from services.dlq import replay as run_replay
    from services.platform.settings import Settings

    settings = Settings()
    try:
        report = asyncio.run(run_replay(settings.kafka, topic, since_offset, dry_run))
    except (LookupError, ValueError) as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    # Metadata only: the payloads are résumés.
    table = Table("partition", "offset", "original offset", "error", "reason", "bytes")
    for letter in report.letters:
        table.add_row(
            str(letter.partition), str(letter.offset), letter.original_offset, letter.error_class,
            letter.reason, str(letter.size),
        )  # fmt: skip
    console.print(table)
    verb = "would replay" if dry_run else "replayed"
    console.print(f"{verb} {len(report.letters)} dead letters from {topic}.dlq to {topic}")
