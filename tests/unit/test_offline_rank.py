"""``rolefit rank``: offline, deterministic, clear about bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services import cli
from services.offline import InputError, RankRequest, rank_files, write_jsonl
from services.platform.settings import Settings
from tests.fakes import HashingEmbedder
from tests.unit.test_handlers import ML_JOB, STRONG, WEAK

DS_JOB = ML_JOB.model_copy(
    update={
        "job_id": "job-ds",
        "title": "Data Scientist",
        "description": "Requirements: statistics, SQL, A/B testing and Excel dashboards for stakeholders.",
    }
)


def _write(path: Path, events: list) -> Path:
    path.write_text("".join(e.model_dump_json() + "\n" for e in events), encoding="utf-8")
    return path


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    return _write(tmp_path / "jobs.jsonl", [ML_JOB, DS_JOB]), _write(tmp_path / "cands.jsonl", [WEAK, STRONG])


def _rank(inputs: tuple[Path, Path], output: Path, top_k: int, reverse: bool = False) -> list[dict]:
    lines = rank_files(RankRequest(*inputs, top_k=top_k, reverse=reverse), Settings(), HashingEmbedder())
    write_jsonl(lines, output)
    return [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]


def test_one_line_per_job_best_first_and_byte_identical_across_runs(
    inputs: tuple[Path, Path], tmp_path: Path
) -> None:
    first = _rank(inputs, tmp_path / "a.jsonl", top_k=0)
    _rank(inputs, tmp_path / "b.jsonl", top_k=0)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert [line["job_id"] for line in first] == ["job-mle", "job-ds"]
    ml = first[0]["candidates"]
    assert [c["candidate_id"] for c in ml] == ["cand-strong", "cand-weak"]
    assert [c["rank"] for c in ml] == [1, 2]
    assert ml[0]["score"] >= ml[1]["score"]
    assert {"components", "reason", "matched_must_have", "missing_must_have", "gates"} <= set(ml[0])


def test_top_k_cuts_each_line(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    lines = _rank(inputs, tmp_path / "o.jsonl", top_k=1)
    assert all(len(line["candidates"]) == 1 for line in lines)


def test_reverse_ranks_jobs_for_each_candidate(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    lines = _rank(inputs, tmp_path / "o.jsonl", top_k=0, reverse=True)
    assert [line["candidate_id"] for line in lines] == ["cand-weak", "cand-strong"]
    strong = lines[1]["jobs"]
    assert strong[0]["job_id"] == "job-mle" and [j["rank"] for j in strong] == [1, 2]


def test_bad_lines_are_named(tmp_path: Path) -> None:
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(ML_JOB.model_dump_json() + "\n\n{not json\n" + '{"job_id": "x"}\n', encoding="utf-8")
    cands = _write(tmp_path / "c.jsonl", [STRONG])
    with pytest.raises(InputError) as caught:
        list(rank_files(RankRequest(jobs, cands, 5), Settings(), HashingEmbedder()))
    message = str(caught.value)
    assert f"{jobs}:3:" in message and f"{jobs}:4:" in message and ":1:" not in message


def test_cli_reports_bad_input_and_exits_2(tmp_path: Path) -> None:
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text('{"job_id": "j"}\n', encoding="utf-8")
    cands = _write(tmp_path / "c.jsonl", [STRONG])
    result = CliRunner().invoke(
        cli.app,
        ["rank", "--jobs", str(jobs), "--candidates", str(cands), "--output", str(tmp_path / "o.jsonl")],
    )
    assert result.exit_code == 2
    assert "jobs.jsonl:1" in result.output and "title" in result.output


def test_several_workers_refuse_the_single_process_embedded_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROLEFIT_QDRANT__URL", raising=False)
    result = CliRunner().invoke(cli.app, ["run", "matcher", "--workers", "2"])
    assert result.exit_code == 2
    assert "Qdrant server" in result.output
