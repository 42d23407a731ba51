"""Every Kafka topic rolefit uses, in one place.

Names carry the contract version so a breaking change gets a new topic. Each input
topic has a dead-letter twin (``<topic>.dlq``) that receives records it cannot process.
"""

from __future__ import annotations

from dataclasses import dataclass

DLQ_SUFFIX = ".dlq"


@dataclass(frozen=True)
class Topics:
    prefix: str = "rolefit."

    @property
    def candidate_submitted(self) -> str:
        return f"{self.prefix}candidate.submitted.v1"

    @property
    def candidate_erased(self) -> str:
        return f"{self.prefix}candidate.erased.v1"

    @property
    def job_posted(self) -> str:
        return f"{self.prefix}job.posted.v1"

    @property
    def job_closed(self) -> str:
        return f"{self.prefix}job.closed.v1"

    @property
    def match_requested(self) -> str:
        return f"{self.prefix}match.requested.v1"

    @property
    def candidate_indexed(self) -> str:
        return f"{self.prefix}candidate.indexed.v1"

    @property
    def job_indexed(self) -> str:
        return f"{self.prefix}job.indexed.v1"

    @property
    def shortlist_published(self) -> str:
        return f"{self.prefix}shortlist.published.v1"

    @property
    def decision_recorded(self) -> str:
        return f"{self.prefix}decision.recorded.v1"

    def inputs(self) -> list[str]:
        """Topics some service consumes; each has a dead-letter topic."""
        return [
            self.candidate_submitted,
            self.candidate_erased,
            self.job_posted,
            self.job_closed,
            self.match_requested,
            self.candidate_indexed,
            self.job_indexed,
        ]

    def outputs(self) -> list[str]:
        return [self.candidate_indexed, self.job_indexed, self.shortlist_published, self.decision_recorded]

    def all(self) -> list[str]:
        names = dict.fromkeys(self.inputs() + self.outputs())
        return [*names, *(dead_letter_topic(t) for t in self.inputs())]


def dead_letter_topic(topic: str) -> str:
    return topic + DLQ_SUFFIX


def topic_config(topic: str) -> dict[str, str]:
    """Broker configs a topic is created with. The decision log is compacted, not deleted by age:
    keys are unique per decision (``<job_id>:<decision_id>``), so compaction only drops replays."""
    if topic.endswith("decision.recorded.v1"):
        return {"cleanup.policy": "compact"}
    return {}
