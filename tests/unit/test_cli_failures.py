"""What any rolefit command says when its settings, store or broker are wrong: which setting and
what to do, in a line or two, exit code 2; never a traceback, never a setting's value."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from schemas.events import CandidateSubmittedV1, JobPostedV1
from services.cli import Cli, app
from services.platform.local_broker import free_port


def _fails(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exited:
        app(list(args), prog_name="rolefit")
    assert exited.value.code == 2
    said = capsys.readouterr().err
    assert "Traceback" not in said
    return " ".join(said.split())  # rich wraps long lines


def test_invalid_settings_are_named_by_their_variables_and_their_values_kept_out(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROLEFIT_MATCHER__TOP_K", "0")
    monkeypatch.setenv("ROLEFIT_KAFKA__PARTITIONS", "s3cr3t")
    said = _fails(capsys, "topics", "create")
    assert "invalid settings" in said
    assert "ROLEFIT_MATCHER__TOP_K: Input should be greater than or equal to 1" in said
    assert "ROLEFIT_KAFKA__PARTITIONS: Input should be a valid integer" in said
    assert "s3cr3t" not in said


def test_a_broker_nobody_answers_at_is_reported_with_the_setting_to_check(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROLEFIT_KAFKA__BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    said = _fails(capsys, "topics", "create")
    assert "Kafka is unreachable (ROLEFIT_KAFKA__BOOTSTRAP_SERVERS)" in said


def test_zero_partitions_is_refused_as_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert "--partitions" in _fails(capsys, "topics", "create", "--partitions", "0")


def test_a_validation_error_that_is_not_the_settings_is_left_alone() -> None:
    cli = Cli()

    @cli.command()
    def bad_event() -> None:
        CandidateSubmittedV1.model_validate({})

    with pytest.raises(Exception, match="validation error for CandidateSubmittedV1"):
        cli([], prog_name="probe")


def test_a_model_folder_without_a_model_is_reported_before_loading(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    jobs, candidates = tmp_path / "jobs.jsonl", tmp_path / "candidates.jsonl"
    jobs.write_text(JobPostedV1(job_id="j", title="ML Engineer", description="PyTorch").model_dump_json())
    candidates.write_text(CandidateSubmittedV1(candidate_id="c", resume_text="PyTorch").model_dump_json())
    monkeypatch.setenv("ROLEFIT_MODEL__PATH", str(tmp_path / "no-model"))
    said = _fails(capsys, "rank", "--jobs", str(jobs), "--candidates", str(candidates),
                  "--output", str(tmp_path / "out.jsonl"))  # fmt: skip
    # Without whitespace: rich folds a path longer than the line.
    assert f"nosentence-transformersmodelin{tmp_path / 'no-model'}" in "".join(said.split())
    assert "ROLEFIT_MODEL__PATH" in said
    assert not (tmp_path / "out.jsonl").exists()


def test_a_ranking_into_a_missing_folder_is_refused_before_any_work(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text("")
    output = tmp_path / "missing" / "out.jsonl"
    said = _fails(capsys, "rank", "--jobs", str(events), "--candidates", str(events), "--output", str(output))
    assert "is not a folder" in said and not output.parent.exists()


def test_a_path_to_ingest_that_does_not_exist_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert "does not exist" in _fails(capsys, "ingest", str(tmp_path / "missing.pdf"))


@pytest.mark.parametrize("command", [["broker"], ["docs", "serve"]], ids=["broker", "docs"])
def test_a_port_someone_else_holds_is_reported_not_raised(
    capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        said = _fails(capsys, *command, "--port", str(port))
    assert str(port) in said and "in use" in said
