import json
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from schemas.events import CandidateSubmittedV1
from services.platform.dead_letters import HEADER_PREFIX, MAX_REASON_CHARS, describe, provenance_headers

SECRET = "Jane Doe, jane.doe@example.com, +44 7700 900123"


def _validation_error() -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        CandidateSubmittedV1.model_validate({"candidate_id": SECRET, "resume_text": SECRET, "version": "x"})
    return caught.value


def test_validation_reasons_name_fields_but_never_echo_personal_data() -> None:
    reason = describe(_validation_error())
    assert "candidate_id" in reason and "version" in reason
    assert "Jane" not in reason and "example.com" not in reason


def test_json_errors_do_not_echo_the_body() -> None:
    with pytest.raises(json.JSONDecodeError) as caught:
        json.loads('{"resume_text": "' + SECRET)
    reason = describe(caught.value)
    assert "not UTF-8 JSON" in reason and "Jane" not in reason


def test_reasons_are_bounded() -> None:
    assert len(describe(ValueError("x" * 10_000))) == MAX_REASON_CHARS


def test_provenance_headers_locate_the_original_record() -> None:
    record = SimpleNamespace(topic="rolefit.candidate.submitted.v1", partition=4, offset=1234)
    headers = provenance_headers(record, ValueError("broken"))
    assert headers == {
        f"{HEADER_PREFIX}original-topic": "rolefit.candidate.submitted.v1",
        f"{HEADER_PREFIX}original-partition": "4",
        f"{HEADER_PREFIX}original-offset": "1234",
        f"{HEADER_PREFIX}error-class": "ValueError",
        f"{HEADER_PREFIX}error-message": "broken",
    }
