"""Fuzzing the ingest handlers as wired in production (in-memory broker): arbitrary bytes,
arbitrary JSON, and mutated valid events on candidate.submitted and job.posted. No exception
escapes a handler, and every record ends one way: indexed, ignored as stale, or dead-lettered
once with a reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
from faststream._internal._compat import json_loads
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from schemas.events import CandidateSubmittedV1, JobPostedV1
from services.platform.dead_letters import HEADER_PREFIX
from services.platform.store import layout
from tests.reliability.harness import COLLECTIONS
from tests.reliability.inmemory import InMemoryIngest, in_memory_ingest
from tests.reliability.samples import JOBS, resume

# The classes a reader can act on: the bytes were not an event, or the document was unreadable.
POISON_CLASSES = {"ValidationError", "JSONDecodeError", "UnicodeDecodeError", "DocumentError"}
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
CANDIDATE = CandidateSubmittedV1(candidate_id="cand-fz", resume_text=resume(4), version=3)
FILE = {"filename": "cv.pdf", "content_base64": "JVBERi0xLjQK"}
JOB = JOBS[0].model_dump(mode="json")
INFINITE = {**FILE, "x": float("inf")}  # json.dumps writes Infinity, which is no JSON (a CI run found it)


@st.composite
def mutated(draw: st.DrawFn, valid: dict[str, Any]) -> dict[str, Any]:
    """A valid event with a few fields dropped, replaced by arbitrary JSON, or added."""
    event = dict(valid)
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from([*valid, "resume_file", "extra"]))
        action = draw(st.sampled_from(["drop", "replace", "file", "version", "id"]))
        if action == "drop":
            event.pop(name, None)
        elif action == "replace":
            event[name] = draw(json_values)
        elif action == "file":
            event["resume_file"] = {**FILE, name: draw(json_values)}
        elif action == "version":
            event["version"] = draw(st.integers(-2, 10))
        else:
            event[next(k for k in valid if k.endswith("_id"))] = draw(st.text(max_size=20))
    return event


def bodies(valid: dict[str, Any]) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=300),
        json_values.map(lambda v: json.dumps(v).encode()),
        mutated(valid).map(lambda v: json.dumps(v).encode()),
    )


def _stored_version(ingest: InMemoryIngest, event: CandidateSubmittedV1 | JobPostedV1) -> int | None:
    if isinstance(event, CandidateSubmittedV1):
        collection, point = COLLECTIONS.candidates, layout.point_id("candidate", event.candidate_id)
    else:
        collection, point = COLLECTIONS.jobs, layout.point_id("job", event.job_id)
    found = ingest.store.retrieve(collection, [point])
    return int(found[0].payload["version"]) if found else None


def _check(ingest: InMemoryIngest, topic: str, model: type[CandidateSubmittedV1] | type[JobPostedV1],
           body: bytes) -> None:  # fmt: skip
    out = ingest.outputs[topic]
    before = (len(out.indexed), len(out.dead))
    event: CandidateSubmittedV1 | JobPostedV1 | None
    try:  # read as the handlers read it: strict JSON (see below), then the schema
        event = model.model_validate(orjson.loads(body))
    except (orjson.JSONDecodeError, ValidationError):
        event = None
    stored_version = _stored_version(ingest, event) if event is not None else None

    ingest.publish(body, topic)  # must not raise

    indexed, dead = len(out.indexed) - before[0], len(out.dead) - before[1]
    if dead:
        assert (indexed, dead) == (0, 1)
        dead_body, headers = out.dead[-1]
        assert dead_body == body
        assert headers[f"{HEADER_PREFIX}error-class"] in POISON_CLASSES
        assert headers[f"{HEADER_PREFIX}error-message"].strip()
        assert event is None or headers[f"{HEADER_PREFIX}error-class"] == "DocumentError"
    elif event is None:
        raise AssertionError(f"invalid input neither indexed nor dead-lettered: {body[:80]!r}")
    elif stored_version is not None and stored_version > event.version:
        assert indexed == 0  # an older version: ignored, not an error
    else:
        assert indexed == 1, "a valid, current event must be indexed or dead-lettered"


def test_bodies_are_read_as_strict_json() -> None:
    """FastStream decodes with orjson once it is installed, and rolefit requires it: NaN and
    Infinity (which Python's ``json.dumps`` writes) are not JSON, and such a record is
    dead-lettered like any other body that is not an event (``_check`` reads bodies so)."""
    assert json_loads is orjson.loads
    assert json.dumps(float("inf")) == "Infinity"
    for text in (b'{"version": Infinity}', b'{"version": NaN}', b'{"version": -Infinity}'):
        try:
            orjson.loads(text)
        except orjson.JSONDecodeError:
            continue
        raise AssertionError(f"{text!r} read as JSON")
    assert orjson.loads(b"%d" % 2**64) == float(2**64)  # beyond 64 bits: a float, as README says


def test_no_input_on_candidate_submitted_escapes_or_vanishes(tmp_path: Path) -> None:
    with in_memory_ingest(tmp_path) as ingest:

        @FUZZ
        @given(body=bodies(CANDIDATE.model_dump(mode="json")))
        @example(body=json.dumps(CANDIDATE.model_dump(mode="json") | {"resume_file": INFINITE}).encode())
        def check(body: bytes) -> None:
            _check(ingest, ingest.topics.candidate_submitted, CandidateSubmittedV1, body)

        check()


def test_no_input_on_job_posted_escapes_or_vanishes(tmp_path: Path) -> None:
    with in_memory_ingest(tmp_path) as ingest:

        @FUZZ
        @given(body=bodies(JOB))
        def check(body: bytes) -> None:
            _check(ingest, ingest.topics.job_posted, JobPostedV1, body)

        check()
