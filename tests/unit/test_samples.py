"""The bundled samples load, validate and cover what the matcher and benchmarks rely on."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from schemas.events import CandidateSubmittedV1, JobPostedV1
from services.samples import (
    CANDIDATES_MANIFEST,
    SAMPLES_DIR,
    candidate_from_file,
    job_from_mapping,
    load_candidates,
    load_jobs,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
LABELS = REPO_ROOT / "benchmarks" / "labels" / "sample_pairs.jsonl"
RUBRIC = REPO_ROOT / "benchmarks" / "labels" / "rubric.md"


@pytest.fixture(scope="module")
def jobs() -> list[JobPostedV1]:
    return load_jobs()


@pytest.fixture(scope="module")
def candidates() -> list[CandidateSubmittedV1]:
    return load_candidates()


@pytest.fixture(scope="module")
def manifest() -> list[dict[str, object]]:
    data = json.loads(CANDIDATES_MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return data


@pytest.fixture(scope="module")
def labels() -> list[dict[str, object]]:
    return [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]


# --- jobs -----------------------------------------------------------------------------------------


def test_jobs_load_and_validate(jobs: list[JobPostedV1]) -> None:
    assert len(jobs) >= 8
    ids = [job.job_id for job in jobs]
    assert len(ids) == len(set(ids)), "duplicate job ids"
    for job in jobs:
        assert isinstance(job, JobPostedV1)
        assert job.job_id.startswith("job-")


def test_job_descriptions_are_realistic(jobs: list[JobPostedV1]) -> None:
    for job in jobs:
        words = len(job.description.split())
        assert 150 <= words <= 450, f"{job.job_id}: {words} words"
        text = job.description.lower()
        assert "about the role" in text, job.job_id
        assert any(h in text for h in ("requirements", "must have")), job.job_id
        assert any(h in text for h in ("nice to have", "preferred")), job.job_id
    assert any("equivalent experience" in job.description for job in jobs)
    assert {job.remote_policy for job in jobs} >= {"onsite", "hybrid", "remote"}
    assert any(job.must_have_skills for job in jobs)
    assert any(job.seniority for job in jobs)


@pytest.mark.parametrize(
    ("job_id", "title_words"),
    [
        ("job-ds-retail", ["data scientist"]),
        ("job-mle-recsys", ["machine learning engineer"]),
        ("job-ai-llm-platform", ["ai engineer", "llm"]),
        ("job-cv-inspection", ["computer vision"]),
        ("job-nlp-contracts", ["nlp"]),
        ("job-mlops-fintech", ["mlops"]),
        ("job-de-logistics", ["data engineer"]),
        ("job-da-healthcare", ["data analyst"]),
        ("job-backend-java", ["java"]),
        ("job-mle-graduate", ["graduate", "machine learning"]),
        ("job-unclear-ai-rockstar", ["data scientist", "engineer"]),
    ],
)
def test_archetype_coverage(jobs: list[JobPostedV1], job_id: str, title_words: list[str]) -> None:
    by_id = {job.job_id: job for job in jobs}
    assert job_id in by_id
    title = by_id[job_id].title.lower()
    for word in title_words:
        assert word in title, f"{job_id}: {word!r} not in {title!r}"


def test_unclear_job_has_the_smells_the_clarity_checker_looks_for(jobs: list[JobPostedV1]) -> None:
    job = {j.job_id: j for j in jobs}["job-unclear-ai-rockstar"]
    assert "PhD" in job.description
    assert job.must_have_skills is not None
    assert {"AWS", "Azure", "GCP"} <= set(job.must_have_skills)
    text = job.description.lower()
    for archetype_word in ("dashboards", "train", "kubernetes"):
        assert archetype_word in text


def test_job_from_mapping_overrides() -> None:
    line = (SAMPLES_DIR / "jobs.jsonl").read_text(encoding="utf-8").splitlines()[0]
    job = job_from_mapping(json.loads(line), version=3, top_k=5)
    assert job.version == 3
    assert job.top_k == 5


def test_load_jobs_reports_bad_line(tmp_path: Path) -> None:
    bad = tmp_path / "jobs.jsonl"
    bad.write_text('{"job_id": "job-a", "title": "T", "description": "D"}\n\n{"job_id": "job-b"}\n')
    with pytest.raises(ValueError, match=r"jobs\.jsonl:3"):
        load_jobs(bad)


# --- candidates -----------------------------------------------------------------------------------


def test_candidates_load_and_validate(
    candidates: list[CandidateSubmittedV1], manifest: list[dict[str, object]]
) -> None:
    assert len(candidates) >= 30
    assert len(candidates) == len(manifest)
    ids = [c.candidate_id for c in candidates]
    assert len(ids) == len(set(ids)), "duplicate candidate ids"
    for candidate in candidates:
        assert candidate.candidate_id.startswith("cand-")
        assert candidate.location
        assert candidate.open_to_remote is not None
        assert candidate.preferred_locations


def test_manifest_files_exist_and_every_file_is_listed(manifest: list[dict[str, object]]) -> None:
    listed = {str(entry["file"]) for entry in manifest}
    for name in listed:
        assert (SAMPLES_DIR / name).is_file(), name
    on_disk = {f"candidates/{p.name}" for p in (SAMPLES_DIR / "candidates").iterdir() if p.is_file()}
    assert on_disk == listed


def test_formats(candidates: list[CandidateSubmittedV1]) -> None:
    kinds = Counter(Path(c.resume_file.filename).suffix if c.resume_file else ".txt" for c in candidates)
    assert kinds[".pdf"] >= 2
    assert kinds[".docx"] >= 2
    assert kinds[".txt"] >= 20
    for candidate in candidates:
        if candidate.resume_file is None:
            assert candidate.resume_text and len(candidate.resume_text.split()) > 80
            continue
        content = candidate.resume_file.content()
        assert len(content) < 100_000, candidate.resume_file.filename
        if candidate.resume_file.filename.endswith(".pdf"):
            assert content.startswith(b"%PDF-")
        else:
            with zipfile.ZipFile(io.BytesIO(content)) as docx:
                assert "word/document.xml" in docx.namelist()


def test_pdf_and_docx_match_their_sources(candidates: list[CandidateSubmittedV1]) -> None:
    """The binary résumés carry their source text, non-ASCII names included."""
    for candidate in candidates:
        if candidate.resume_file is None:
            continue
        source = SAMPLES_DIR / "sources" / f"{Path(candidate.resume_file.filename).stem}.txt"
        assert source.is_file(), source
        name = source.read_text(encoding="utf-8").splitlines()[0].strip()
        content = candidate.resume_file.content()
        if candidate.resume_file.filename.endswith(".docx"):
            with zipfile.ZipFile(io.BytesIO(content)) as docx:
                xml = docx.read("word/document.xml").decode("utf-8")
            assert name in xml
            assert "<w:tbl>" in xml, "skills should be a table"
        else:
            pypdf = pytest.importorskip("pypdf")
            text = "".join(page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(content)).pages)
            assert name in text


def test_pool_diversity(candidates: list[CandidateSubmittedV1]) -> None:
    texts: dict[str, str] = {}
    for c in candidates:
        if c.resume_text:
            texts[c.candidate_id] = c.resume_text
        elif c.resume_file:
            source = SAMPLES_DIR / "sources" / f"{Path(c.resume_file.filename).stem}.txt"
            texts[c.candidate_id] = source.read_text(encoding="utf-8")
    names = [text.splitlines()[0] for text in texts.values()]
    assert sum(not name.isascii() for name in names) >= 3
    assert len({c.location for c in candidates}) >= 15
    assert {c.open_to_remote for c in candidates} == {True, False}
    joined = "\n".join(texts.values())
    for pronoun in (" She ", " He ", " They "):
        assert pronoun in joined, pronoun


def test_candidate_from_file(tmp_path: Path) -> None:
    txt = tmp_path / "someone.txt"
    txt.write_text("Ada Example\nSummary\nWrites Python.\n", encoding="utf-8")
    event = candidate_from_file(txt, location="Oslo", open_to_remote=True)
    assert event.candidate_id == "someone"
    assert event.resume_text and "Python" in event.resume_text
    assert event.location == "Oslo"

    pdf = tmp_path / "cv.pdf"
    pdf.write_bytes(b"%PDF-1.4 minimal")
    event = candidate_from_file(pdf, "cand-x")
    assert event.resume_file is not None
    assert event.resume_file.filename == "cv.pdf"
    assert base64.b64decode(event.resume_file.content_base64) == b"%PDF-1.4 minimal"

    with pytest.raises(ValueError, match="unsupported"):
        candidate_from_file(tmp_path / "cv.odt", "cand-y")


def test_load_candidates_from_custom_manifest(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("A Person\nPython developer.\n", encoding="utf-8")
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps([{"candidate_id": "cand-a", "file": "a.txt", "version": 2}]))
    [event] = load_candidates(manifest)
    assert event.candidate_id == "cand-a"
    assert event.version == 2


# --- labels ---------------------------------------------------------------------------------------


def test_labels_cover_every_pair(
    labels: list[dict[str, object]], jobs: list[JobPostedV1], candidates: list[CandidateSubmittedV1]
) -> None:
    job_ids = {job.job_id for job in jobs}
    candidate_ids = {c.candidate_id for c in candidates}
    pairs = [(str(row["job_id"]), str(row["candidate_id"])) for row in labels]
    assert len(pairs) == len(set(pairs)), "duplicate label pairs"
    assert {j for j, _ in pairs} <= job_ids, "labels reference unknown jobs"
    assert {c for _, c in pairs} <= candidate_ids, "labels reference unknown candidates"
    assert set(pairs) == {(j, c) for j in job_ids for c in candidate_ids}


def test_labels_are_well_formed(labels: list[dict[str, object]]) -> None:
    assert RUBRIC.is_file()
    for row in labels:
        assert set(row) == {"job_id", "candidate_id", "grade", "note"}, row
        assert row["grade"] in (0, 1, 2, 3), row
        assert isinstance(row["note"], str) and row["note"].strip(), row


def test_every_real_job_has_a_strong_fit_and_the_unclear_one_has_none(
    labels: list[dict[str, object]], jobs: list[JobPostedV1]
) -> None:
    best: dict[str, int] = {}
    for row in labels:
        job_id, grade = str(row["job_id"]), row["grade"]
        assert isinstance(grade, int)
        best[job_id] = max(best.get(job_id, 0), grade)
    for job in jobs:
        expected = 2 if job.job_id == "job-unclear-ai-rockstar" else 3
        assert best[job.job_id] == expected, job.job_id


def test_keyword_stuffer_never_graded_relevant(labels: list[dict[str, object]]) -> None:
    stuffer = [row for row in labels if row["candidate_id"] == "cand-014"]
    assert stuffer
    assert all(row["grade"] == 0 for row in stuffer)
