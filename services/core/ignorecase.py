"""The letters ``re.IGNORECASE`` matches to ASCII letters that are not their own case pair.

Matching lower-cased text without re.I is faster, and gives the same matches for ASCII patterns,
except where the text holds one of these: lower() leaves "ſ" and "ı" as they are and turns "İ"
into two characters, yet re.I matches them to "s", "i" and "i" (the Kelvin sign lower-cases to
"k"). ``tests/unit/test_ignorecase.py`` checks the list against every code point.
"""

from __future__ import annotations

import re

_ASCII_LETTER = {"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"}  # as re.I matches them
FOLDS_TO_ASCII = re.compile(f"[{''.join(_ASCII_LETTER)}]")
TO_ASCII = str.maketrans(_ASCII_LETTER)
