"""Blind mode: strip identity and protected attributes from a résumé before it is scored.

Every replacement is a fixed token, so two résumés that differ only in name, contact
details or pronouns redact to the same text and therefore score the same.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from services.core.candidate_name import find_name, redact_name
from services.core.ignorecase import caseless, fold

_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"]+@[\w-]+(?:\.[\w-]+)+")  # RFC local parts allow much, "|" included
_URL = caseless(
    r"(?:https?://|www\.)\S+?(?=[,;:.)]*(?:\s|$))|\b(?:[\w-]+\.)?(?:linkedin\.com|github\.com|gitlab\.com|kaggle\.com|medium\.com"
    r"|twitter\.com|x\.com|behance\.net|stackoverflow\.com|about\.me)(?:/[^\s,;)]*)?"
)
_PHONE = re.compile(
    r"(?<![\w/.])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,5}(?:[\s.-]\d{2,5}){1,4}(?![\w/])"
)
_STREET = (
    r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Close"
    r"|Crescent|Square|Sq|Parkway|Pkwy|Highway|Hwy|Straße|Strasse|Str"
)
_ADDRESS = re.compile(
    rf"\b\d{{1,5}}[A-Za-z]?,?\s+(?:[A-ZÀ-Þ][a-zß-ÿ'’-]+\.?\s+){{1,4}}(?:{_STREET})\b\.?"
    r"(?:,?\s*(?:Apt|Suite|Unit|Flat)\.?\s*\w+)?"
)
_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND"
    "|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY"
)
_POSTCODE = re.compile(  # US ZIP after a state code, UK postcode
    rf"(?<=\b(?:{_STATES})\s)\d{{5}}(?:-\d{{4}})?\b|\b[A-Z]{{1,2}}\d[A-Z\d]?\s?\d[A-Z]{{2}}\b"
)
_LABELS: list[tuple[str, str, tuple[str, ...]]] = [  # "Label: value" lines whose whole value is personal
    (
        "dob",
        r"d\.?o\.?b\.?|date\s+of\s+birth|birth\s*date|born",
        ("dob", "d.ob", "do.b", "d.o.b", "birth", "born"),
    ),
    ("age", r"age", ("age",)),
    ("gender", r"gender|sex", ("gender", "sex")),
    ("marital", r"marital\s+status|civil\s+status", ("marital", "civil")),
    ("address", r"(?:home\s+|street\s+|postal\s+)?address", ("address",)),
    ("phone", r"phone|mobile|cell|tel", ("phone", "mobile", "cell", "tel")),
    (
        "url",
        r"linkedin|github|website|portfolio|blog",
        ("linkedin", "github", "website", "portfolio", "blog"),
    ),
]
_VALUE = r"\S(?:(?![^\S\n]{2}|[^\S\n][|•][^\S\n])[^\n])*"  # to the end of line or of a "  |  " field
_FIELD_START = r"(^|[^\S\n]{2}|[|•][^\S\n]*)"
_LABEL_RE = [  # a label opens a line or a "  |  "-separated field; an already-redacted value is skipped
    (
        key,
        caseless(_FIELD_START + rf"((?:{label})\b[^\S\n]*[:\-][^\S\n]*)(?!\[){_VALUE}", re.M),
        needles,
    )
    for key, label, needles in _LABELS
]
# _BORN and _AGE are matched caseless, in fold()-ed text: [a-z] there is a letter of either case.
_BORN = r"\bborn\s+(?:on\s+|in\s+)?(?:\d{1,2}\s+)?(?:[a-z][a-z]+\.?\s+)?(?:\d{1,2},?\s+)?(?:19|20)\d{2}\b"
_AGE = r"\b(?:aged?\s*:?\s*\d{2}\b(?:\s+years?(?:\s+old)?)?|\d{2}\s*(?:years?|yrs?|y/o)[\s-]+old\b)"
# Institution names carry prestige, a proxy for class and race; the degree level stays (it is scored).
# Named forms only ("X University", "University of X at Y"); "university degree" is no institution.
_CAP = r"(?!Ph\.?D\b)(?:[A-ZÀ-Þ][a-zß-ÿ][\w'’&-]*|[A-Z]&[A-Z])"  # "M.S." and "PhD" are degrees, not names
_PLACE = rf"\s+(?:of|at|in|for|de|del|di|do|für)\s+(?:the\s+)?{_CAP}(?:\s+{_CAP}){{0,3}}"
_SCHOOL = r"(?:University|College|Institute(?: of Technology)?|Polytechnic|Academy|Conservatory)"
_FIELD = r"(?:Computer|Data|Sciences?|Engineering|Math\w*|Statistics|Physics|Economics|Business|Studies"
_FIELD += r"|Arts|Analytics|Information|Electrical|Mechanical|Applied|Management|Finance|Machine|Artificial"
_FIELD += r"|Software)\b"
# A campus ("California State University, Los Angeles", "University of Wisconsin–Madison"), not a field.
_CAMPUS = rf"(?:[^\S\n]*[–-][^\S\n]*{_CAP}|,[^\S\n]*(?!{_FIELD}){_CAP}(?:[^\S\n]+(?!{_FIELD}){_CAP})?"
_CAMPUS += r"(?=[^\S\n]*(?:[,(|–]|\d|\n|$)))?"
_INSTITUTION = re.compile(
    rf"\b(?:{_CAP}\s+){{1,3}}{_SCHOOL}\b(?:{_PLACE}){{0,2}}{_CAMPUS}"
    rf"|\b(?:{_SCHOOL}|Universit[éàä]t?|Universidad|Universidade|Università|Hochschule|[ÉE]cole)(?:{_PLACE}){{1,2}}"
    rf"{_CAMPUS}|\b(?:MIT(?!\s+licen[cs])|UCLA|NYU|CMU|UIUC|UPenn|Caltech|Georgia Tech|UC Berkeley"
    r"|ETH Z[uü]rich|EPFL|IIT(?:\s+[A-Z][a-z]+)?)\b"
)
_INLINE_CASELESS: list[tuple[str, re.Pattern[str], str, tuple[str, ...]]] = [  # then _INLINE
    ("dob", caseless(_BORN), "[dob]", ("born",)),
    ("age", caseless(_AGE), "[age]", ("age", "old")),
    ("marital", caseless(r"\b(?:married|unmarried|divorced|widowed)\b"), "[marital]",
     ("married", "divorced", "widowed")),
    ("gender", caseless(r"\b(?:fe)?male\b"), "[gender]", ("male",)),
]  # fmt: skip
_INLINE: list[tuple[str, re.Pattern[str], str, tuple[str, ...]]] = [
    ("title", re.compile(r"\b(?:Mrs|Mr|Ms|Mx|Miss)\b\.?\s+(?=[A-ZÀ-Þ\[])"), "", ("mr", "ms", "mx", "miss")),
    ("institution", _INSTITUTION, "[institution]", ()),
]  # fmt: skip
_PHOTO = caseless(
    r"^[^\S\n]*(?:photo|picture|headshot|photograph)\b[^\n]*$|^[^\n]*\.(?:jpe?g|png|gif|webp)\b[^\n]*$",
    re.M,
)
_PRONOUNS = {"he": "they", "she": "they", "him": "them", "his": "their", "hers": "theirs"}
_PRONOUNS |= {"himself": "themselves", "herself": "themselves"}
_PRONOUN = re.compile(r"\b(?:[Hh]e|[Ss]he|[Hh]im|[Hh]is|[Hh]ers?|[Hh]imself|[Hh]erself|HE|SHE|HIS|HER)\b")
# "her" is "them" before these (object) and "their" before a noun (possessive).
_OBJECT_NEXT = re.compile(
    r"\s*(?:$|[^\w\s]|(?:the|a|an|to|in|on|at|for|with|by|from|and|or|as|that|this|about|into|of)\b)", re.I
)
_THEIRS_NEXT = re.compile(r"\s*(?:$|[^\w\s]|(?:is|was|are|were|has|had|will|and|or)\b)", re.I)
_AGREE = {"is": "are", "was": "were", "has": "have", "does": "do"}

Replacer = str | Callable[[re.Match[str]], str]

# Most patterns cannot match without one of a few words; a text that has none of them skips the
# scan (redaction is a good part of ingest's time outside the model). Needles are lower case and
# compared with the text folded as re.IGNORECASE folds: "İ"/"ı" match "i", "ſ" "s", "K" "k".
_EMAIL_NEEDLES = ("@",)
_URL_NEEDLES = ("://", "www.", "linkedin.com", "github.com", "gitlab.com", "kaggle.com", "medium.com",
                "twitter.com", "x.com", "behance.net", "stackoverflow.com", "about.me")  # fmt: skip
_PHOTO_NEEDLES = ("photo", "picture", "headshot", ".jp", ".png", ".gif", ".webp")


def _mentions(folded: str, needles: tuple[str, ...]) -> bool:
    """False only when the ``fold``-ed text cannot match: no needle occurs in it (needles (): True)."""
    return not needles or any(needle in folded for needle in needles)


@dataclass(frozen=True)
class Redacted:
    text: str
    removed: dict[str, int] = field(default_factory=dict)


class _Redaction:
    """The text being redacted and the counts of what went. Its ``fold`` is kept until the text
    changes: most patterns change nothing, and folding a résumé again for each of them (15
    times, ~0.05 ms each) was a quarter of redaction's time."""

    def __init__(self, text: str) -> None:
        self.counts: Counter[str] = Counter()
        self._text: str = text
        self._folded: str | None = None

    @property
    def text(self) -> str:
        return self._text

    @text.setter
    def text(self, text: str) -> None:
        self._text, self._folded = text, None

    def folded(self) -> str:
        if self._folded is None:
            self._folded = fold(self._text)
        return self._folded

    def sub(self, key: str, pattern: re.Pattern[str], repl: Replacer, needles: tuple[str, ...] = ()) -> None:
        if needles and not _mentions(self.folded(), needles):
            return
        new, n = pattern.subn(repl, self.text)
        self.counts[key] += n
        if n:
            self.text = new

    def sub_caseless(
        self, key: str, pattern: re.Pattern[str], token: str, needles: tuple[str, ...], keep: int = 0
    ) -> None:
        """``sub`` for a ``caseless`` pattern: matched in the folded text, each match replaced in
        the text by token, after the match's own text up to the end of group ``keep`` (0: none)."""
        folded = self.folded()
        if not _mentions(folded, needles):
            return
        text, out, done = self.text, [], 0
        for m in pattern.finditer(folded):
            out += [text[done : m.start()], text[m.start() : m.end(keep)] if keep else "", token]
            done = m.end()
            self.counts[key] += 1
        if out:
            self.text = "".join(out) + text[done:]


def _phone(m: re.Match[str]) -> str:
    groups = re.findall(r"\d+", m.group(0))
    digits = sum(len(g) for g in groups)
    # Date ranges ("2016 - 2018", "01.2019 - 06.2020") have the shape of a phone number.
    datey = all(len(g) <= 2 or re.fullmatch(r"(?:19|20)\d\d", g) for g in groups)
    return "[phone]" if 9 <= digits <= 15 and not (datey and not m.group(0).startswith("+")) else m.group(0)


def _pronoun(m: re.Match[str]) -> str:
    word, low = m.group(0), m.group(0).lower()
    new = _PRONOUNS.get(low, "")
    if low == "her":
        new = "them" if _OBJECT_NEXT.match(m.string, m.end()) else "their"
    elif low == "his" and _THEIRS_NEXT.match(m.string, m.end()):
        new = "theirs"  # "the idea was his" / "his was the best"
    return new.upper() if word.isupper() and len(word) > 1 else new.capitalize() if word[0].isupper() else new


def redact(text: str) -> Redacted:
    name = find_name(text)  # read before e-mails and links, which often contain the name
    r = _Redaction(text)
    r.sub("email", _EMAIL, "[email]", _EMAIL_NEEDLES)
    r.sub_caseless("url", _URL, "[url]", _URL_NEEDLES)
    r.sub_caseless("photo", _PHOTO, "[photo]", _PHOTO_NEEDLES)
    for key, pattern, needles in _LABEL_RE:  # the label stays: groups 1 and 2 end where its value starts
        r.sub_caseless(key, pattern, f"[{key}]", needles, keep=2)
    before = r.text.count("[phone]")
    phoned = _PHONE.sub(_phone, r.text)  # a match that is no phone is put back as it was
    if found := phoned.count("[phone]") - before:  # else the text is unchanged: its fold is kept
        r.text = phoned
        r.counts["phone"] += found
    r.sub("address", _ADDRESS, "[address]")
    r.sub("address", _POSTCODE, "[postcode]")
    for key, pattern, token, needles in _INLINE_CASELESS:
        r.sub_caseless(key, pattern, token, needles)
    for key, pattern, repl, needles in _INLINE:
        r.sub(key, pattern, repl, needles)
    if name:
        r.text, found = redact_name(name, r.text)
        r.counts["name"] += found
    r.sub("pronoun", _PRONOUN, _pronoun)
    agreed = re.sub(
        r"\b([Tt]hey)\s+(is|was|has|does)\b", lambda m: f"{m.group(1)} {_AGREE[m.group(2)]}", r.text
    )
    return Redacted(text=agreed, removed={k: v for k, v in r.counts.items() if v > 0})
