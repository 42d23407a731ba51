"""``rolefit explain`` and ``rolefit audit``: read the decision log, never write anything the services read.

Decisions come from the local JSONL log (embedded mode) or, with ``--from-kafka``, the compacted
``decision.recorded.v1`` topic. Profiles and demographics come from the configured store; with the
embedded store, run these while no service holds it open.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from schemas.events import DecisionRecordedV1
from schemas.topics import Topics
from services.platform.settings import Settings
from services.render import err

console = Console(soft_wrap=True)
LogOption = Annotated[Path | None, typer.Option("--log", help="Decision log file (default: from settings).")]
KafkaOption = Annotated[bool, typer.Option("--from-kafka", help="Read the decision.recorded topic instead.")]


def load_decisions(settings: Settings, log: Path | None, from_kafka: bool) -> list[DecisionRecordedV1]:
    from services.platform.decision_log import read_file, read_topic

    if from_kafka:
        return asyncio.run(read_topic(settings.kafka, Topics(settings.kafka.topic_prefix).decision_recorded))
    path = log or settings.audit.decision_log_path(settings.qdrant)
    if path is None:
        err.print("[red]no local decision log with a Qdrant server: use --from-kafka or --log[/]")
        raise typer.Exit(2)
    return read_file(path)


def explain(
    job_id: Annotated[str | None, typer.Argument(metavar="[JOB_ID]", show_default=False)] = None,
    candidate_id: Annotated[str | None, typer.Argument(metavar="[CANDIDATE_ID]", show_default=False)] = None,
    job: Annotated[str | None, typer.Option("--job", help="Job id (instead of JOB_ID).")] = None,
    candidate: Annotated[str | None, typer.Option("--candidate", help="Candidate id.")] = None,
    for_candidate: Annotated[bool, typer.Option(help="The report the candidate may read.")] = False,
    decision: Annotated[str | None, typer.Option(help="A decision id (prefix); default: the latest.")] = None,
    output: Annotated[Path | None, typer.Option(help="Write the text here instead of printing it.")] = None,
    log: LogOption = None,
    from_kafka: KafkaOption = False,
) -> None:
    """Reproduce a recorded score exactly from the decision log and the stored profiles, and explain it."""
    from services.core.candidate_report import candidate_report
    from services.core.explain import explain_text
    from services.core.taxonomy import Taxonomy
    from services.explain_decision import TOLERANCE, NotReproducible, find, reproduce
    from services.platform.store.factory import open_store
    from services.platform.store.layout import Collections

    job_id, candidate_id = job or job_id, candidate or candidate_id
    if not job_id or not candidate_id:
        err.print("[red]give a job and a candidate: rolefit explain JOB_ID CANDIDATE_ID[/]")
        raise typer.Exit(2)
    settings = Settings()
    decisions = load_decisions(settings, log, from_kafka)
    store = open_store(settings.qdrant)
    try:
        recorded, entry = find(decisions, job_id, candidate_id, decision)
        done = reproduce(recorded, entry, store, Collections.with_prefix(settings.qdrant.collection_prefix),
                         Taxonomy.load())  # fmt: skip
    except NotReproducible as exc:
        err.print(f"[red]not reproducible:[/] {exc}")
        raise typer.Exit(1) from exc
    finally:
        store.close()
    when = recorded.generated_at.date().isoformat()
    if for_candidate:
        blind = settings.ingest.blind
        text = candidate_report(done.result, done.job, done.candidate, entry.shortlisted, when, blind)
    else:
        header = (
            f"Decision {recorded.decision_id} ({recorded.trigger}, {recorded.generated_at.isoformat()}), "
            f"model {recorded.model} sha256 {recorded.model_sha256[:16]}, "
            f"taxonomy {recorded.taxonomy_version}\n"
            f"Reproduced: recorded {entry.score!r}, recomputed {done.result.score!r}, "
            f"|difference| {done.delta:.1e} <= {TOLERANCE:g}; "
            f"{'shortlisted, rank ' + str(entry.rank) if entry.shortlisted else 'not shortlisted'}\n"
        )
        text = header + explain_text(done.result, done.job, done.candidate)
    if output is None:
        console.print(text, markup=False, highlight=False)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        console.print(f"wrote {output}")


def audit(
    job: Annotated[str | None, typer.Option(help="One job; default: every job's latest decision.")] = None,
    out: Annotated[Path, typer.Option(help="Folder for fairness.json/.png/.prom.")] = Path("audit-report"),
    min_group: Annotated[int | None, typer.Option(min=1, help="Smaller groups are flagged as small.")] = None,
    pushgateway: Annotated[str | None, typer.Option(help="Also push the gauges to this Pushgateway.")] = None,
    log: LogOption = None,
    from_kafka: KafkaOption = False,
) -> None:
    """Selection rates and impact ratios by sex, race/ethnicity and both, with four-fifths flags."""
    from prometheus_client import push_to_gateway

    from services import audit as audit_
    from services.platform.demographics import DemographicsStore
    from services.platform.store.factory import open_store
    from services.platform.store.layout import Collections

    settings = Settings()
    decisions = audit_.latest_decisions(load_decisions(settings, log, from_kafka), job)
    if not decisions:
        err.print(f"[red]no recorded decision{' for ' + job if job else ''}[/]")
        raise typer.Exit(1)
    store = open_store(settings.qdrant)
    try:
        collections = Collections.with_prefix(settings.qdrant.collection_prefix)
        spec = next(s for s in collections.specs(1) if s.name == collections.demographics)
        store.ensure_collection(spec)  # a store from before demographics existed has none yet
        demographics = audit_.reported(DemographicsStore(store, collections.demographics))
    finally:
        store.close()
    report, used = audit_.run(decisions, demographics, job, min_group or settings.audit.min_group_size)
    title = f"Fairness audit: {job or 'all jobs'} ({len(used)} decisions, {report.considered} considered)"
    console.print(audit_.table(report, title))
    out.mkdir(parents=True, exist_ok=True)
    audit_.write_json(audit_.as_json(report, job, used), out / "fairness.json")
    registry = audit_.write_prom(report, job, out / "fairness.prom")
    if pushgateway:
        push_to_gateway(pushgateway, job="rolefit-audit", registry=registry)
    try:
        from services.audit_chart import write_png

        write_png(report, out / "fairness.png", title)
    except ImportError:
        err.print("[yellow]matplotlib is not installed: no fairness.png[/]")
    flagged = report.flagged()
    console.print(f"{len(flagged)} group(s) under four fifths; wrote {out}/fairness.json, .png, .prom")
