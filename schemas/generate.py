"""Write each event's JSON Schema into ``schemas/json``: ``python -m schemas.generate``."""

from __future__ import annotations

import json
from pathlib import Path

from schemas.events import ALL_EVENTS

JSON_DIR = Path(__file__).parent / "json"


def rendered() -> dict[str, str]:
    """File name → JSON text, exactly as committed."""
    return {
        f"{model.__name__}.json": json.dumps(model.model_json_schema(), indent=2, sort_keys=True) + "\n"
        for model in ALL_EVENTS
    }


def main() -> None:
    JSON_DIR.mkdir(exist_ok=True)
    for name, text in rendered().items():
        (JSON_DIR / name).write_text(text, encoding="utf-8")
        print(f"wrote schemas/json/{name}")


if __name__ == "__main__":
    main()
