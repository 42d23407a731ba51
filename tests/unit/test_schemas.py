import base64

import pytest
from pydantic import ValidationError

from schemas.events import ALL_EVENTS, CandidateSubmittedV1, JobPostedV1, ShortlistPublishedV1
from schemas.generate import JSON_DIR, rendered
from schemas.topics import DLQ_SUFFIX, Topics


def test_committed_json_schemas_match_the_models() -> None:
    expected = rendered()
    committed = {path.name: path.read_text(encoding="utf-8") for path in JSON_DIR.glob("*.json")}
    stale = sorted(name for name in expected if committed.get(name) != expected[name])
    extra = sorted(set(committed) - set(expected))
    assert not stale and not extra, f"run `python -m schemas.generate`; stale={stale} extra={extra}"


def test_every_event_has_a_v1_name() -> None:
    assert all(model.__name__.endswith("V1") for model in ALL_EVENTS)


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    event = CandidateSubmittedV1.model_validate(
        {"candidate_id": "c-1", "resume_text": "Python", "field_from_the_future": {"x": 1}}
    )
    assert event.candidate_id == "c-1"
    assert "field_from_the_future" not in event.model_dump()


def test_a_candidate_needs_a_resume() -> None:
    with pytest.raises(ValidationError, match="resume_text or resume_file"):
        CandidateSubmittedV1.model_validate({"candidate_id": "c-1", "resume_text": "   "})


def test_resume_file_must_be_base64() -> None:
    with pytest.raises(ValidationError, match="base64"):
        CandidateSubmittedV1.model_validate(
            {"candidate_id": "c-1", "resume_file": {"filename": "cv.pdf", "content_base64": "not base64!"}}
        )
    ok = CandidateSubmittedV1.model_validate(
        {
            "candidate_id": "c-1",
            "resume_file": {"filename": "cv.pdf", "content_base64": base64.b64encode(b"%PDF").decode()},
        }
    )
    assert ok.resume_file is not None and ok.resume_file.content() == b"%PDF"


@pytest.mark.parametrize("bad_id", ["", " x", "a/b", "x" * 129])
def test_entity_ids_are_constrained(bad_id: str) -> None:
    with pytest.raises(ValidationError):
        JobPostedV1.model_validate({"job_id": bad_id, "title": "t", "description": "d"})


def test_remote_policy_is_an_enumeration() -> None:
    with pytest.raises(ValidationError):
        JobPostedV1.model_validate(
            {"job_id": "j", "title": "t", "description": "d", "remote_policy": "sometimes"}
        )


def test_shortlist_ranks_start_at_one() -> None:
    schema = ShortlistPublishedV1.model_json_schema()
    assert schema["$defs"]["ShortlistEntryV1"]["properties"]["rank"]["minimum"] == 1


def test_every_input_topic_has_a_dead_letter_topic_and_names_are_unique() -> None:
    topics = Topics("p.")
    names = topics.all()
    assert len(names) == len(set(names))
    for topic in topics.inputs():
        assert topic + DLQ_SUFFIX in names
    assert all(name.startswith("p.") for name in names)
    assert not any(name.endswith(DLQ_SUFFIX) for name in topics.outputs())
