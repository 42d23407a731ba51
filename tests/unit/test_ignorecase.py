"""The letters re.IGNORECASE folds to ASCII, checked against every code point."""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.core import adversarial, evidence, redaction
from services.core.ignorecase import FOLDS_TO_ASCII, TO_ASCII, caseless, fold

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


# --- caseless patterns on fold()-ed text find what re.I finds -----------------------------------

_CASELESS = [
    *(getattr(evidence, name) for name in ("_MLOPS", "_MLOPS_WEAK", "_ML_CONTEXT", "_QUANTITY", "_OUTCOME",
                                           "_NOT_IMPACT", "_DEPLOY", "_DEPLOY_WEAK", "_TECH", "_IMPACT_ASK")),
    *evidence._SPEC_RE.values(),
    adversarial._COMMAND_RE,
    adversarial._ANYWHERE_RE,
    redaction._URL,
    redaction._PHOTO,
    *(pattern for _, pattern, _ in redaction._LABEL_RE),
    *(pattern for _, pattern, _, _ in redaction._INLINE_CASELESS),
]  # fmt: skip
# Text made of the patterns' own words, in any case and with the letters re.I folds to ASCII.
_WORDS = sorted({w for p in _CASELESS for w in re.findall(r"[a-z]{2,}", p.pattern)})
_WORD = st.sampled_from(_WORDS).flatmap(
    lambda w: st.sampled_from([w, w.upper(), w.title(), w.replace("s", "\u017f"), w.replace("i", "\u0131"),
                               w.upper().replace("I", "\u0130"), w.replace("k", "\u212a"), "é" + w, w + "É"])
)  # fmt: skip
_GAP = st.sampled_from([" ", "  ", "\n", ": ", " - ", ". ", ", ", "/", " | ", " • ", "@", " 20", "7 ", "%"])
_TEXT = st.lists(st.tuples(_WORD, _GAP).map("".join), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_a_caseless_pattern_on_folded_text_finds_what_re_i_finds(text: str) -> None:
    folded = fold(text)
    assert len(folded) == len(text)
    for pattern in _CASELESS:
        ignoring_case = re.compile(pattern.pattern, pattern.flags | re.I)
        expected = [m.span() for m in ignoring_case.finditer(text)]
        assert [m.span() for m in pattern.finditer(folded)] == expected, pattern.pattern


def test_caseless_refuses_an_upper_case_letter_but_not_an_escape() -> None:
    assert caseless(r"\S+\W").pattern == r"\S+\W"
    with pytest.raises(ValueError, match="upper-case"):
        caseless(r"[A-Z]\w+")
