"""Case-insensitive matching without ``re.IGNORECASE``: lower-cased text, lower-case patterns.

Matching lower-cased text without re.I is 2-3x faster (re can skip ahead by a pattern's first
letters), and gives the same matches for ASCII patterns, except where the text holds one of the
letters below: lower() leaves "ſ" and "ı" as they are and turns "İ" into two characters, yet re.I
matches them to "s", "i" and "i" (the Kelvin sign lower-cases to "k"). ``fold`` translates them
first. ``tests/unit/test_ignorecase.py`` checks the list against every code point.
"""

from __future__ import annotations

import re

_ASCII_LETTER = {"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"}  # as re.I matches them
FOLDS_TO_ASCII = re.compile(f"[{''.join(_ASCII_LETTER)}]")
TO_ASCII = str.maketrans(_ASCII_LETTER)
_ESCAPE = re.compile(r"\\.")


def fold(text: str) -> str:
    """text as re.I sees it, offsets kept: a ``caseless`` pattern finds in it what the same
    pattern with re.I finds in text, at the same offsets."""
    special = FOLDS_TO_ASCII.search(text) is not None  # rare: translate is slow
    return (text.translate(TO_ASCII) if special else text).lower()


def caseless(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """A pattern for ``fold``-ed text. Its letters must be lower case (escapes such as \\S aside):
    an upper-case letter could never match there."""
    if any(c.isupper() for c in _ESCAPE.sub("", pattern)):
        raise ValueError(f"caseless pattern with an upper-case letter: {pattern!r}")
    return re.compile(pattern, flags & ~re.IGNORECASE)
