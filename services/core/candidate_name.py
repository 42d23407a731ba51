"""The candidate's name: find it in a résumé's header and blank every mention of it.

Names are the one identity detail no pattern describes, so they are read from where résumés put
them (a "Name:" line or the first lines) and then searched for by their own words.
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NON_NAME = _words(
    "resume résumé curriculum vitae cv profile summary professional objective experience work history "
    "employment education skills technical projects contact details personal information data scientist "
    "science engineer engineering machine learning ai ml analyst developer software senior junior lead "
    "staff principal manager consultant architect research researcher intern page key core career "
    "qualifications certifications languages references about me achievements awards interests hobbies "
    "publications tools technologies expertise competencies highlights strengths new san los las saint "
    "united kingdom states city north south east west remote expert specialist lang"
)
# Names that are also skills are only removed where they stand next to the rest of the name.
_SKILL_NAMES = _words("julia swift ruby rust go scala spark kafka pascal dart elixir crystal")
_PARTICLES = _words("van von der den de la le du da di dos bin ibn al el y")
_CREDENTIAL = re.compile(r",?\s*\b(?:Ph\.?D|M\.?Sc|MSc|MBA|B\.?Sc|BSc|M\.?S|B\.?S|MD|CFA|PMP)\.?\s*$")


def _name_words(line: str) -> list[str] | None:
    line = re.sub(r"^\s*(?:full\s+)?name\s*[:\-]\s*", "", line, flags=re.I)
    line = _CREDENTIAL.sub("", re.split(r"\s[|•·–—-]\s|\t", line)[0].strip())
    if "," in line:  # "City, ST" lines look like names
        return None
    words = re.sub(r"\b(?:Mrs|Mr|Ms|Mx|Miss|Dr)\.?\s+", "", line).split()
    if not 2 <= len(words) <= 6 or any(w.lower().strip(".") in _NON_NAME for w in words):
        return None
    shape = re.compile(r"[^\W\d_][^\W\d_'’.-]*(?:['’-][^\W\d_]+)*\.?")
    real = [w for w in words if w.lower() not in _PARTICLES]
    if not 2 <= len(real) <= 4 or not all(shape.fullmatch(w) and w[0].isupper() for w in real):
        return None
    return [w.strip(".") for w in real if len(w.strip(".")) > 1]


def find_name(text: str) -> list[str]:
    """Name tokens from a "Name:" line, else from one of the first non-empty lines (the header)."""
    labelled = re.search(r"^\s*(?:full\s+)?name\s*[:\-][^\n]+", text, re.I | re.M)
    if labelled and (words := _name_words(labelled.group(0))):
        return words
    for line in [ln for ln in text.splitlines() if ln.strip()][:3]:
        if (words := _name_words(line)) is not None:
            return words
    return []


def redact_name(name: list[str], text: str) -> tuple[str, int]:
    """Every mention of the name's words becomes "[name]"; also returns how many were replaced."""

    def alt(words: list[str]) -> str:
        variants = {v for w in words for v in (w, w.upper(), w.capitalize())}
        return "|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True))

    # Particles in any case: "Nguyen Van An" (Vietnamese) must not keep its middle word.
    gap = rf"(?:[^\S\n]+(?:(?:(?i:{'|'.join(_PARTICLES)})|[A-ZÀ-Þ]\.)[^\S\n]+)*)"
    full = re.compile(rf"(?<![\w\[])(?:{alt(name)})(?:{gap}(?:{alt(name)}))+(?![\w\]])")
    text, found = full.subn("[name]", text)
    if safe := [w for w in name if w.lower() not in _SKILL_NAMES]:
        text, alone = re.compile(rf"(?<![\w\[])(?:{alt(safe)})(?![\w\]])").subn("[name]", text)
        found += alone
    return re.sub(rf"\[name\](?:{gap}\[name\])+", "[name]", text), found
