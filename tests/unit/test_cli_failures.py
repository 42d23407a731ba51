"""What any rolefit command says when its settings, store or broker are wrong: which setting and
what to do, in a line or two, exit code 2; never a traceback, never a setting's value."""

from __future__ import annotations

import pytest

from schemas.events import CandidateSubmittedV1
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
