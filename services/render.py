"""Shortlists as tables people can read (rich), and the console every command's errors go to."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from schemas.events import ShortlistPublishedV1

# Errors name files and topics: soft wraps leave a long path whole for copying, where rich
# would break it at the terminal's width.
err = Console(stderr=True, soft_wrap=True)


def shortlist_table(shortlist: ShortlistPublishedV1, title: str | None = None) -> Panel:
    table = Table(expand=True)
    table.add_column("#", justify="right", width=3)
    table.add_column("candidate", no_wrap=True)
    table.add_column("score", justify="right", width=6)
    table.add_column("archetype", no_wrap=True)
    table.add_column("must-haves", justify="right", no_wrap=True)
    table.add_column("why", ratio=1)
    for entry in shortlist.candidates:
        met = len(entry.matched_must_have)
        table.add_row(
            str(entry.rank),
            entry.candidate_id,
            f"{entry.score:.3f}",
            (entry.archetype or "").replace("_", " "),
            f"{met}/{met + len(entry.missing_must_have)}",
            entry.reason,
        )
    parts: list[Table | Text] = [table]
    for warning in shortlist.clarity_warnings:
        parts.append(Text(f"JD clarity: {warning}", style="yellow"))
    heading = title or shortlist.job_id
    return Panel(Group(*parts), title=f"[bold]{heading}[/] — top {shortlist.top_k}", title_align="left")


def print_shortlists(
    console: Console, shortlists: list[ShortlistPublishedV1], titles: dict[str, str]
) -> None:
    for shortlist in shortlists:
        console.print(shortlist_table(shortlist, f"{shortlist.job_id}: {titles.get(shortlist.job_id, '')}"))
