"""The letters re.IGNORECASE folds to ASCII, checked against every code point."""

from __future__ import annotations

import re
import sys

from services.core.ignorecase import FOLDS_TO_ASCII, TO_ASCII

# Every code point above ASCII but the surrogates.
_EVERY_CHARACTER = "".join(chr(c) for c in range(0x80, sys.maxunicode + 1) if not 0xD800 <= c < 0xE000)


def test_only_the_listed_letters_match_an_ascii_letter_ignoring_case() -> None:
    folding = "".join(re.findall("[a-z]", _EVERY_CHARACTER, re.I))
    assert folding == "".join(FOLDS_TO_ASCII.findall(_EVERY_CHARACTER))


def test_each_listed_letter_translates_to_the_ascii_letter_it_matches() -> None:
    for letter in FOLDS_TO_ASCII.findall(_EVERY_CHARACTER):
        ascii_letter = letter.translate(TO_ASCII)
        assert ascii_letter.isascii() and re.fullmatch(ascii_letter, letter, re.I)


def test_lowering_keeps_every_other_characters_length_and_class() -> None:
    rest = FOLDS_TO_ASCII.sub("", _EVERY_CHARACTER)
    lowered = rest.lower()
    assert len(lowered) == len(rest)
    for cls in (r"\w", r"\s", r"\d"):
        assert [m.start() for m in re.finditer(cls, lowered)] == [m.start() for m in re.finditer(cls, rest)]
