"""The versioned skill taxonomy and skill extraction with evidence.

Matching works on tokens, not on one regex per alias: the text is split once into
word tokens (``c++``, ``c#`` and ``llms`` are single tokens), and a trie keyed on
lower-cased tokens finds the longest alias starting at each token. The characters
between tokens decide whether a multi-word alias may continue: spaces, one line
break, a hyphen, slash or underscore join words ("scikit-learn", "scikit\\nlearn",
"CI/CD"); a dot only joins where the alias has one ("node.js"). A hyphen at a line
end (or a soft hyphen) also lets two tokens join into one word ("Kuber-\\nnetes").

Skills flagged ``case_sensitive`` keep their single-word aliases exact ("R", "Go",
"Excel", "AI"; ALL CAPS also accepted) and such a word must also read like a skill name
in context: not glued to "&" or "-" (R&D, C-level, go-to-market), not before a verb
phrase ("Go to", "Excel in") and not before a capitalised surname ("Julia Roberts").
Multi-word aliases of those skills ("Microsoft Excel") match in any case.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from services.core.model import Section, SkillMention, Span
from services.core.sections import SectionRange, split_sections

__all__ = ["CATEGORIES", "DEFAULT_PATH", "Skill", "Taxonomy"]

DEFAULT_PATH = Path(__file__).parent / "data" / "taxonomy.v1.json"

CATEGORIES = frozenset(
    {
        "language",
        "library",
        "framework",
        "cloud",
        "ml_platform",
        "mlops",
        "data_store",
        "data_engineering",
        "practice",
        "concept",
        "specialisation",
        "tool",
        "soft_skill",
        "devops",
    }
)

EVIDENCE_CHARS = 160


@dataclass(frozen=True, slots=True)
class Skill:
    id: str
    name: str
    category: str
    aliases: tuple[str, ...] = ()
    parents: tuple[str, ...] = ()
    esco_uri: str | None = None
    case_sensitive: bool = False


# --- tokens -----------------------------------------------------------------------------------

# A word, optionally ending in "++" or "#" so that C++, C# and F# stay one token.
_TOKEN = re.compile(r"[^\W_]+(?:\+\+|#)?")
# What may sit between two words of one alias: blanks, at most one line break, and one
# hyphen, slash or underscore. Bullets and other punctuation end a phrase.
_LOOSE_GAP = re.compile(r"[ \t\u00a0\u2009]*[-\u2010\u2011_/]?[ \t\u00a0\u2009]*(?:\r?\n[ \t\u00a0\u2009]*)?")
# A word broken at a line end by a hyphen, or by a soft hyphen from a PDF.
_WRAP_GAP = re.compile(r"[-\u2010\u00ad][ \t]*\r?\n[ \t\u00a0]*|\u00ad")
_SEP_LOOSE, _SEP_DOT, _SEP_AMP = " ", ".", "&"


def _fold(word: str) -> str:
    """Case- and accent-insensitive form of one token."""
    word = word.casefold()
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _plural_stems(key: str) -> Iterator[str]:
    """Singular candidates for a token not found as written ("llms", "apis", "pipelines")."""
    if len(key) < 3 or not key.endswith("s") or key.endswith("ss"):
        return
    yield key[:-1]
    if key.endswith("es"):
        yield key[:-2]
    if key.endswith("ies"):
        yield key[:-3] + "y"


def _singular(word: str) -> str | None:
    """The singular of a plural English word ending a phrase, or None if it is not one."""
    if len(word) <= 3 or not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return None
    return word[:-3] + "y" if word.endswith("ies") else word[:-1]


def _gap_kind(gap: str) -> str | None:
    """Which alias separators a stretch of text between two tokens can stand for."""
    if gap == ".":
        return _SEP_DOT
    if gap.strip() == "&" and "\n" not in gap:
        return _SEP_AMP
    if _LOOSE_GAP.fullmatch(gap):
        return _SEP_LOOSE
    return None


@dataclass(frozen=True, slots=True)
class _Pattern:
    """One alias as the matcher sees it."""

    skill_id: str
    seps: tuple[str, ...]  # separator kind between consecutive tokens
    leading_dot: bool  # ".NET": the alias starts with a dot
    exact: str | None  # case-sensitive spelling of a one-word alias, if any


def _parse_alias(alias: str) -> tuple[tuple[str, ...], tuple[str, ...], bool, tuple[str, ...]]:
    """(folded tokens, separators, leading dot, raw tokens) of an alias."""
    raw: list[str] = []
    seps: list[str] = []
    last_end = 0
    leading_dot = False
    for match in _TOKEN.finditer(alias):
        gap = alias[last_end : match.start()]
        if raw:
            kind = _SEP_DOT if "." in gap else _SEP_AMP if "&" in gap else _SEP_LOOSE
            seps.append(kind)
        else:
            leading_dot = gap.strip() == "."
        raw.append(match.group())
        last_end = match.end()
    return tuple(_fold(t) for t in raw), tuple(seps), leading_dot, tuple(raw)


def _key(tokens: Sequence[str], leading_dot: bool) -> str:
    return ("." if leading_dot else "") + " ".join(tokens)


@dataclass(slots=True)
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    patterns: list[_Pattern] = field(default_factory=list)


# --- context checks for ambiguous case-sensitive words ----------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words after which "Go", "Excel" or "Rust" is English rather than a skill name.
_NEXT_STOP = _words(
    """to at in on into beyond ahead live through the a an your our their my his her above over out
    up down back forward further is was were are be been"""
)
_PREV_STOP = _words(
    """plan vitamin section grade part type class level appendix tier lets will would must should
    can could we you i they to dear mr mrs ms dr prof mister miss"""
)
# Capitalised words that may follow an ambiguous skill word without it being a person's name.
_NEXT_OK = _words(
    """developer developers development programming programmer language languages engineer engineers
    engineering code coding scripts scripting skills libraries library packages package modules
    services microservices backend pivot dashboards spreadsheets spreadsheet macros formulas studio
    shiny markdown runtime routines frameworks framework tools sdk api apis pipeline pipelines jobs
    server cluster clusters expert specialist consultant certified certification apps app"""
)


# URLs and e-mail addresses name sites, not skills ("github.com/jane", "jane@python.org").
# Each pattern starts at a fixed character so the scan stays linear; the match is then
# widened left to the preceding whitespace.
_URL = re.compile(r"(?:https?://|www\.)\S+")
_SITE_PATH = re.compile(r"\.(?:com|org|io|ai|dev|co|edu|gov|me|uk|de|in)/\S*", re.I)
_EMAIL = re.compile(r"@[\w-]+(?:\.[\w-]+)+")
_NOT_SPACE = re.compile(r"\S*$")


def _masked(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    if "://" in text or "www." in text:
        spans += [m.span() for m in _URL.finditer(text)]
    for pattern, needle in ((_SITE_PATH, "/"), (_EMAIL, "@")):
        if needle in text:
            for m in pattern.finditer(text):
                head = _NOT_SPACE.search(text, max(0, m.start() - 100), m.start())
                spans.append((head.start() if head else m.start(), m.end()))
    return sorted(spans)


def _inside(offset: int, spans: list[tuple[int, int]]) -> bool:
    index = bisect_right(spans, (offset, 1 << 62)) - 1
    return index >= 0 and spans[index][0] <= offset < spans[index][1]


class _Doc:
    """A text cut into word tokens: parallel lists of offsets, raw words and trie keys."""

    __slots__ = ("ends", "keys", "raws", "starts", "text", "wrap_after")

    def __init__(self, text: str) -> None:
        self.text = text
        matches = list(_TOKEN.finditer(text))
        masked = _masked(text)
        if masked:
            matches = [m for m in matches if not _inside(m.start(), masked)]
        self.starts = [m.start() for m in matches]
        self.ends = [m.end() for m in matches]
        self.raws = [m.group() for m in matches]
        self.keys = [w.lower() if w.isascii() else _fold(w) for w in self.raws]

        # Tokens followed by a hyphen-and-line-break (or soft hyphen) that may join the next.
        self.wrap_after: set[int] = set()
        if "\n" in text or "\u00ad" in text:
            for m in _WRAP_GAP.finditer(text):
                i = bisect_left(self.ends, m.start())
                if i + 1 < len(self.starts) and self.ends[i] == m.start() and self.starts[i + 1] == m.end():
                    self.wrap_after.add(i)

    def gap(self, i: int) -> str:
        """Text between token i and token i + 1."""
        return self.text[self.ends[i] : self.starts[i + 1]]


class Taxonomy:
    """Canonical skills, their aliases and implied parents, and a fast matcher over them."""

    def __init__(self, version: str, skills: Iterable[Skill], attribution: str = "") -> None:
        self.version = version
        self.attribution = attribution
        by_id: dict[str, Skill] = {}
        for skill in skills:
            if skill.id in by_id:
                raise ValueError(f"duplicate skill id {skill.id!r}")
            if skill.category not in CATEGORIES:
                raise ValueError(f"{skill.id}: unknown category {skill.category!r}")
            by_id[skill.id] = skill
        self.skills: Mapping[str, Skill] = MappingProxyType(by_id)
        self._ancestors = self._close_parents(by_id)
        self._root = _Node()
        self._resolve: dict[str, str] = {}
        singulars = [pair for skill in by_id.values() for pair in self._index(skill)]
        # Singular forms of plural phrases ("AI agent" for "AI agents") rank below every real
        # alias: they are added only where no skill already claims the spelling.
        for (tokens, pattern), skill_id in dict(singulars).items():
            if self._resolve.setdefault(_key(tokens, pattern.leading_dot), skill_id) == skill_id:
                self._insert(tokens, pattern)

    def __reduce__(self) -> tuple[type[Taxonomy], tuple[str, tuple[Skill, ...], str]]:
        # Parse processes get the taxonomy of the Ingest they work for: rebuilt from its skills.
        return type(self), (self.version, tuple(self.skills.values()), self.attribution)

    # --- construction ---------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path | None = None) -> Taxonomy:
        """The taxonomy in path (default: the shipped file); parsed once per path."""
        return _load_cached((path or DEFAULT_PATH).resolve())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Taxonomy:
        skills = [
            Skill(
                id=item["id"],
                name=item["name"],
                category=item["category"],
                aliases=tuple(item.get("aliases", ())),
                parents=tuple(item.get("parents", ())),
                esco_uri=item.get("esco_uri"),
                case_sensitive=bool(item.get("case_sensitive", False)),
            )
            for item in data["skills"]
        ]
        return cls(str(data["version"]), skills, str(data.get("attribution", "")))

    @staticmethod
    def _close_parents(by_id: Mapping[str, Skill]) -> dict[str, frozenset[str]]:
        done: dict[str, frozenset[str]] = {}

        def visit(skill_id: str, trail: tuple[str, ...]) -> frozenset[str]:
            if skill_id in done:
                return done[skill_id]
            if skill_id in trail:
                raise ValueError(f"parent cycle: {' -> '.join((*trail, skill_id))}")
            found: set[str] = set()
            for parent in by_id[skill_id].parents:
                if parent not in by_id:
                    raise ValueError(f"{skill_id}: unknown parent {parent!r}")
                found.add(parent)
                found |= visit(parent, (*trail, skill_id))
            done[skill_id] = frozenset(found)
            return done[skill_id]

        for skill_id in by_id:
            visit(skill_id, ())
        return done

    def _claim(self, key: str, skill_id: str, what: str) -> None:
        owner = self._resolve.setdefault(key, skill_id)
        if owner != skill_id:
            raise ValueError(f"{what} {key!r} of {skill_id!r} already names {owner!r}")

    def _index(self, skill: Skill) -> list[tuple[tuple[tuple[str, ...], _Pattern], str]]:
        """Add the skill's spellings; return the singular forms of its plural phrases."""
        id_tokens, _, id_dot, _ = _parse_alias(skill.id)
        self._claim(_key(id_tokens, id_dot), skill.id, "id")
        singulars = []
        for alias in dict.fromkeys((skill.name, *skill.aliases)):
            tokens, seps, leading_dot, raw = _parse_alias(alias)
            if not tokens:
                raise ValueError(f"{skill.id}: alias {alias!r} has no word characters")
            self._claim(_key(tokens, leading_dot), skill.id, "alias")
            exact = raw[0] if skill.case_sensitive and len(raw) == 1 else None
            pattern = _Pattern(skill.id, seps, leading_dot, exact)
            self._insert(tokens, pattern)
            stem = _singular(tokens[-1])
            if len(tokens) > 1 and stem:
                singulars.append((((*tokens[:-1], stem), pattern), skill.id))
        return singulars

    def _insert(self, tokens: Sequence[str], pattern: _Pattern) -> None:
        node = self._root
        for token in tokens:
            node = node.children.setdefault(token, _Node())
        if pattern not in node.patterns:
            node.patterns.append(pattern)

    # --- lookups --------------------------------------------------------------------------

    def get(self, skill_id: str) -> Skill:
        return self.skills[skill_id]

    def resolve(self, name: str) -> str | None:
        """Canonical id for a skill name, id or alias, ignoring case, accents and punctuation."""
        candidates: list[tuple[tuple[str, ...], bool]] = []
        # As written, then with words hyphenated across a line break joined ("Kuber-\nnetes").
        for form in dict.fromkeys((name, _WRAP_GAP.sub("", name))):
            tokens, _, leading_dot, _ = _parse_alias(form)
            if tokens:
                candidates += [(tokens, leading_dot), (tokens, False)]
            if len(tokens) > 1 and tokens[-1].replace(".", "").isdigit():
                candidates.append((tokens[:-1], False))  # "Python 3"
        for tokens, leading_dot in candidates:
            stems = [tokens[-1], *_plural_stems(tokens[-1])]
            for last in stems:
                found = self._resolve.get(_key((*tokens[:-1], last), leading_dot))
                if found:
                    return found
        return None

    def ancestors(self, skill_id: str) -> frozenset[str]:
        """Every skill implied by skill_id, transitively; empty for unknown ids."""
        return self._ancestors.get(skill_id, frozenset())

    def closure(self, ids: Iterable[str]) -> set[str]:
        out: set[str] = set()
        for skill_id in ids:
            out.add(skill_id)
            out |= self.ancestors(skill_id)
        return out

    # --- extraction -----------------------------------------------------------------------

    def extract(self, text: str, sections: list[SectionRange] | None = None) -> list[SkillMention]:
        """Skills mentioned in text, in order of first occurrence, with a span per occurrence."""
        if sections is None:
            sections = split_sections(text)
        section_starts = [r.start for r in sections]
        doc = _Doc(text)
        root = self._root.children
        # Most tokens begin no alias; rule them out before the full search.
        candidates = [
            i
            for i, key in enumerate(doc.keys)
            if key in root or (key[-1:] == "s" and any(stem in root for stem in _plural_stems(key)))
        ]
        if doc.wrap_after:
            candidates = sorted(doc.wrap_after.union(candidates))
        found: dict[str, tuple[list[Span], list[Section]]] = {}
        evidence = _Evidence(text)
        resume_at = 0
        for i in candidates:
            if i < resume_at:
                continue
            hit = self._longest(doc, i)
            if hit is None:
                continue
            pattern, last = hit
            start, end = doc.starts[i] - pattern.leading_dot, doc.ends[last]
            spans, secs = found.setdefault(pattern.skill_id, ([], []))
            spans.append(Span(start=start, end=end, text=evidence(start, end)))
            where = bisect_right(section_starts, start) - 1
            secs.append(sections[where].section if where >= 0 else Section.OTHER)
            resume_at = last + 1
        mentions = []
        for skill_id, (spans, secs) in found.items():
            skill = self.skills[skill_id]
            mentions.append(
                SkillMention(
                    skill_id=skill_id, name=skill.name, category=skill.category, spans=spans, sections=secs
                )
            )
        return mentions

    def _longest(self, doc: _Doc, first: int) -> tuple[_Pattern, int] | None:
        """Longest alias match starting at token first: (its pattern, index of its last token)."""
        best: tuple[_Pattern, int] | None = None
        count = len(doc.keys)
        # Depth-first over (trie node, next token index, separators crossed so far).
        stack: list[tuple[_Node, int, tuple[str, ...]]] = [(self._root, first, ())]
        while stack:
            node, j, seps = stack.pop()
            for key, consumed, plural in _steps(doc, j):
                child = node.children.get(key)
                if child is None:
                    continue
                last = j + consumed - 1
                if child.patterns and (best is None or last > best[1]):
                    pattern = self._accept(doc, first, child.patterns, seps, plural)
                    if pattern is not None:
                        best = (pattern, last)
                # A plural ends a phrase: "data pipelines", not "pipelines engineering".
                if child.children and not plural and last + 1 < count:
                    gap = _gap_kind(doc.gap(last))
                    if gap is not None:
                        stack.append((child, last + 1, (*seps, gap)))
        return best

    def _accept(
        self, doc: _Doc, first: int, patterns: Sequence[_Pattern], seps: tuple[str, ...], plural: bool
    ) -> _Pattern | None:
        for pattern in patterns:
            if pattern.seps != seps:
                continue
            if pattern.leading_dot and not _leading_dot_ok(doc.text, doc.starts[first]):
                continue
            if pattern.exact is not None:
                if plural or not _exact_ok(doc.raws[first], pattern.exact):
                    continue
                if not _reads_as_skill(doc, first, pattern.exact, self._root):
                    continue
            return pattern
        return None


def _steps(doc: _Doc, j: int) -> Iterator[tuple[str, int, bool]]:
    """Trie keys token j can stand for: (key, tokens consumed, is a plural stem)."""
    key = doc.keys[j]
    yield key, 1, False
    if key[-1:] == "s":
        for stem in _plural_stems(key):
            yield stem, 1, True
    if j in doc.wrap_after:
        yield key + doc.keys[j + 1], 2, False


def _leading_dot_ok(text: str, start: int) -> bool:
    # ".NET" on its own, not the tail of "example.net" or "ASP.NET".
    return start >= 1 and text[start - 1] == "." and (start < 2 or not text[start - 2].isalnum())


def _exact_ok(raw: str, alias: str) -> bool:
    return raw == alias or raw == alias.upper()


def _reads_as_skill(doc: _Doc, i: int, alias: str, root: _Node) -> bool:
    """Context test for an ambiguous case-sensitive word such as R, C, Go, Julia or Excel.

    Acronyms of two or more capitals ("AI", "SAS") are only held to their case: "AI-driven",
    "AI in healthcare" and "AI Platform" read naturally, while "Ai" (a given name) does not match.
    """
    text, raw = doc.text, doc.raws[i]
    start, end = doc.starts[i], doc.ends[i]
    acronym = len(alias) > 1 and alias.isupper()
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    if "&" in (before, after) or (before and before in "'’") or (after and after in "'’"):
        return False  # R&D, Go's
    if not acronym and "-" in (before, after):
        return False  # C-level, go-to-market, R-squared
    if after == "." and end + 1 < len(text) and text[end + 1].isalpha():
        return False  # C.V., R.Smith
    if i > 0 and not text[doc.ends[i - 1] : start].strip(" \t") and doc.keys[i - 1] in _PREV_STOP:
        return False  # "Plan C", "we Go"
    if i + 1 < len(doc.keys):
        gap, nxt = doc.gap(i), doc.raws[i + 1]
        if len(raw) == 1 and gap.startswith(".") and "\n" not in gap and nxt[:1].isupper():
            return False  # an initial: "John R. Smith"
        if not gap.strip(" \t") and "\n" not in gap:
            if len(nxt) == 4 and nxt.isdigit():
                return False  # a date: "Spring 2019"
            if acronym:
                return True
            if doc.keys[i + 1] in _NEXT_STOP:
                return False  # "Go to", "Excel in"
            capitalised = nxt[:1].isupper() and nxt.isalpha() and len(nxt) > 1
            if capitalised and doc.keys[i + 1] not in _NEXT_OK and doc.keys[i + 1] not in root.children:
                return False  # a name: "Julia Roberts"
    return True


# --- evidence ---------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")
_NEWLINE = re.compile(r"\n")
_HYPHEN_WRAP = re.compile(r"-[ \t]*\r?\n\s*")
_BULLETS = "•▪➢◦·*-–—>‣⁃●○■□✓✔ \t"


class _Evidence:
    """Evidence snippets for one text: the line around a match, or its sentence when the line
    is long, at most 160 chars. Line breaks are found once and snippets cached per range."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.breaks = [m.start() for m in _NEWLINE.finditer(text)]
        self.cache: dict[tuple[int, int], str] = {}

    def __call__(self, start: int, end: int) -> str:
        text, breaks = self.text, self.breaks
        index = bisect_left(breaks, start)
        line_start = breaks[index - 1] + 1 if index else 0
        index = bisect_left(breaks, end, index)
        line_end = breaks[index] if index < len(breaks) else len(text)
        lo, hi = line_start, line_end
        if hi - lo > EVIDENCE_CHARS:
            # Only sentence ends within reach of the budget matter; looking no further keeps
            # one long unbroken line from making every match scan it from the start.
            lo, hi = max(lo, start - EVIDENCE_CHARS), min(hi, end + EVIDENCE_CHARS)
            for boundary in _SENTENCE_END.finditer(text, lo, start):
                lo = boundary.end()
            after = _SENTENCE_END.search(text, end, hi)
            if after:
                hi = after.start()
        if hi - lo > EVIDENCE_CHARS:
            # Still long: a window centred on the match, cut at word boundaries.
            half = max((EVIDENCE_CHARS - (end - start)) // 2, 0)
            lo, hi = max(lo, start - half), min(hi, end + half)
            if lo > line_start and (space := text.find(" ", lo, start)) >= 0:
                lo = space + 1
            if hi < line_end and (space := text.rfind(" ", end, hi)) >= 0:
                hi = space
        if (lo, hi) not in self.cache:
            self.cache[lo, hi] = _tidy(text[lo:hi])
        return self.cache[lo, hi]


def _tidy(snippet: str) -> str:
    # Rejoin words hyphenated across lines, collapse whitespace, drop a leading bullet.
    snippet = _HYPHEN_WRAP.sub("-", snippet)
    return " ".join(snippet.split()).lstrip(_BULLETS)[:EVIDENCE_CHARS]


@functools.lru_cache(maxsize=8)
def _load_cached(path: Path) -> Taxonomy:
    with path.open(encoding="utf-8") as fh:
        return Taxonomy.from_dict(json.load(fh))
