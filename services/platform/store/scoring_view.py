"""A candidate's stored profile as scoring reads it, and the compact copy ingest stores of it.

A job's first shortlist reads a few hundred stored profiles. Most of a profile's JSON text is its
skill mentions with their evidence spans, of which scoring reads one line per skill, after
working out each skill's taxonomy closure. So ingest stores a *scoring view* beside the full
text: the profile without its mentions, the finished skill index and the full text's digest
(decision records carry it), about a third of the text. The index depends on the taxonomy, so
a view counts only under the taxonomy version it was built with; a point without a current
view (written before views, or under another taxonomy) is read from its full text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from services.core.model import CandidateProfile
from services.core.scoring import ImpliedSkills, SkillIndex, dumped_skill_index
from services.core.taxonomy import Taxonomy
from services.platform.store import layout


@dataclass(frozen=True)
class Parsed:
    """A stored profile as scoring reads it, and what every shortlist would otherwise recompute.

    ``profile`` comes without its skill mentions (``skills`` is empty): ``index`` holds all that
    scoring and explanations read of them. Building the mentions and their evidence spans as
    models was ~60% of reading a profile (130-170 µs of pydantic for 22 mentions and 35 spans)."""

    profile: CandidateProfile
    sha256: str  # the digest decision records carry: of the stored text, mentions included
    index: SkillIndex  # its skills with their taxonomy closure

    @classmethod
    def read(cls, text: str, implied: ImpliedSkills) -> Parsed:
        """From a profile's stored JSON text."""
        data = orjson.loads(text)
        mentions = data.pop("skills", ())
        profile = CandidateProfile.model_validate(data)
        return cls(profile, layout.text_sha256(text), dumped_skill_index(mentions, implied))

    def view(self, taxonomy_version: str) -> str:
        """The scoring view's JSON text; ``taxonomy_version``: the taxonomy ``index`` was built with."""
        lines: dict[str, int] = {}  # each evidence line once: most lines show several skills
        index = {
            skill: (credit, lines.setdefault(line, len(lines)))
            for skill, (credit, line) in self.index.items()
        }
        profile = self.profile.model_dump(mode="json", exclude={"skills"})
        view = {"taxonomy": taxonomy_version, "sha256": self.sha256, "profile": profile,
                "index": index, "evidence": list(lines)}  # fmt: skip
        return orjson.dumps(view).decode()


def scoring_view(profile_json: str, taxonomy: Taxonomy) -> str:
    """What ingest stores beside a candidate's ``profile_json``: the view of its parse."""
    return Parsed.read(profile_json, ImpliedSkills(taxonomy)).view(taxonomy.version)


def read_payload(payload: Mapping[str, Any], implied: ImpliedSkills, taxonomy_version: str) -> Parsed | None:
    """A profile point's ``Parsed``: from its scoring view where that was built under
    ``taxonomy_version``, else from its full profile; None when ``payload`` (a read of some keys
    only) holds neither."""
    view = payload.get(layout.SCORING_JSON)
    if isinstance(view, str) and (data := orjson.loads(view))["taxonomy"] == taxonomy_version:
        lines = data["evidence"]
        index = {skill: (credit, lines[line]) for skill, (credit, line) in data["index"].items()}
        return Parsed(CandidateProfile.model_validate(data["profile"]), data["sha256"], index)
    if layout.holds_profile(payload):
        return Parsed.read(layout.profile_text(payload, CandidateProfile), implied)
    return None
