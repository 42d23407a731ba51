"""Visible text written to game the ranking: instructions aimed at an AI reader, and keyword stuffing.

Hidden text is the document readers' job (they drop it); this module handles what is visible but
is no evidence of skill. Instruction-like sentences ("ignore previous instructions", "rank this
candidate first", "you are an AI ...") are removed, not just flagged, so they reach neither the
profile nor the embedding. Repeated keywords are collapsed to one mention: coverage already counts
a skill once, but the embedding and the archetype cues would still feel the repetition.

Patterns target the reader-addressed, imperative form. A résumé that *describes* prompt work
("wrote system prompts", "guardrails so the model cannot ignore previous instructions") is left
alone: its sentences do not start with the command or address the reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from services.core.ignorecase import caseless, fold

_AI = (
    r"(?:ai|a\.i\.|artificial intelligence|(?:large )?language model|llm|chat ?gpt|gpt(?:-?\d\w*)?"
    r"|chatbot|bot|(?:ai |virtual )?assistant|algorithm|ats"
    r"|(?:automated|ai|resume|résumé|cv|applicant|candidate)"
    r" (?:screener|screening(?: tool| system| software| bot| model)?|reviewer|recruiter|system|tool))"
)
_DOC = r"(?:candidate|applicant|resume|résumé|cv|profile|person|application)"
_WHO = rf"(?:(?:this|the|our|my)\s+{_DOC}|me|him|her|them)"  # who is to be ranked: never "the model"
_TOP = (
    r"(?:first|highest|higher|top|number one|no\.?\s*1|#\s*1|(?:the )?(?:best|strongest|most qualified)"
    r"|an? (?:perfect|strong|excellent) (?:fit|match)|10/10|100(?:%| percent)?|above (?:all|others|everyone))"
)
# Commands: only where a clause starts, as résumé bullets start with past-tense verbs instead.
_COMMANDS = [
    r"(?:ignore|disregard|forget|override|bypass)\s+(?:\S+\s+){0,4}?(?:instructions?|prompts?|directions?"
    r"|rules|guidelines|criteria|context|messages?|everything|candidates|applicants|requirements)\b",
    r"disregard\b",
    rf"(?:rank|score|rate|grade|select|shortlist|recommend|hire|prioriti[sz]e|advance|move|place|put|list"
    rf"|consider|choose|pick)\s+{_WHO}\s+(?:as\s+)?{_TOP}",
    rf"give\s+{_WHO}\s+(?:an?\s+)?(?:perfect|maximum|max|full|top|high(?:est)?)\s+"
    r"(?:score|rating|rank|marks)",
    r"(?:reveal|print|repeat|show|output|replace|update|override)\s+(?:your|the)\s+(?:system\s+)?"
    r"(?:prompt|instructions)",
    rf"(?:note|message|attention|hello|hi|hey|dear)\s+(?:to\s+|for\s+)?(?:the\s+|any\s+)?{_AI}\b",
    r"(?:system|assistant)(?:\s+(?:prompt|message|instructions?|override|note))?\s*(?:\]|\|?>|:)",
]
# Anywhere in a sentence.
_ANYWHERE = [
    rf"\byou are (?:now |actually )?(?:an? |the )?{_AI}\b",
    rf"\bif you are (?:an? |reading this as an? )?{_AI}\b",
    r"\bas an? (?:ai(?: language model| assistant| model)?|a\.i\.|(?:large )?language model|llm)\b"
    r"(?=\s*,?\s*(?:you|your|please|ignore|disregard|rank|i)\b)",
    rf"\b(?:this|the|our|my) {_DOC} (?:should|must|shall|is to|will) be (?:ranked|scored|rated|selected"
    r"|shortlisted|considered|placed|recommended|hired|advanced)\b",
    r"<\|(?:im_start|im_end|system|user|assistant|endoftext)\|>|\[/?inst\]|<</?sys>>|</?system>",
    r"\b(?:new|updated|hidden|secret|real|actual|revised)\s+(?:system\s+)?(?:instructions?|prompt)\s*:",
]
_LEAD = r"[\W_]*(?:(?:please|kindly|now|also|and|then|just|you\s+(?:must|should))\s+)*"
_COMMAND_RE = caseless(_LEAD + "(?:" + "|".join(_COMMANDS) + ")")  # both for fold()-ed text
_ANYWHERE_RE = caseless("|".join(_ANYWHERE))
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_CLAUSE_SPLIT = re.compile(r"[:;,(]|\s[-–—]\s")

STUFFING_MIN = 3  # occurrences of one term in a row (or in one list) that count as stuffing
_TERM = r"[^\W\d_][\w+#.'’-]*"
_PHRASE = rf"(?<![\w+#])({_TERM}(?:[^\S\n]+{_TERM}){{0,3}}?)"
_REPEAT = rf"(?:(?:[^\S\n]*[,;|/·•][^\S\n]*|[^\S\n]+)\1(?![\w+#])){{{STUFFING_MIN - 1},}}"
_RUN = re.compile(_PHRASE + _REPEAT, re.I)
_ITEM_SEP = re.compile(r"([^\S\n]*[,;|·•][^\S\n]*)")
_LABEL = re.compile(r"^[^\S\n]*(?:[-*][^\S\n]+)?[\w /&]{1,40}:[^\S\n]*")


@dataclass(frozen=True)
class Defused:
    text: str
    findings: list[str] = field(default_factory=list)


def is_instruction(sentence: str) -> bool:
    """True for a sentence that addresses an AI reader or tells it how to rank."""
    sentence = fold(sentence)
    if _ANYWHERE_RE.search(sentence):
        return True
    starts = [0, *(m.end() for m in _CLAUSE_SPLIT.finditer(sentence))]
    return any(_COMMAND_RE.match(sentence, start) for start in starts)  # match() anchors at start


def remove_instructions(text: str) -> tuple[str, int]:
    """Drops instruction-like sentences, and a line left empty by that; returns how many went."""
    removed, lines = 0, []
    for line in text.split("\n"):
        sentences = _SENTENCE_END.split(line)
        kept = [s for s in sentences if not is_instruction(s)]
        removed += len(sentences) - len(kept)
        if kept or not line.strip():
            lines.append(" ".join(kept) if len(kept) < len(sentences) else line)
    return "\n".join(lines), removed


def _dedupe_items(line: str) -> tuple[str, int]:
    """A list line ("Python, PyTorch, SQL, PyTorch") keeps each item once, separators and all."""
    label = _LABEL.match(line)
    head, body = (line[: label.end()], line[label.end() :]) if label else ("", line)
    parts = _ITEM_SEP.split(body)  # item, separator, item, ...
    if len(parts) < 5 or any(len(p.split()) > 4 for p in parts[::2]):  # prose, not a list
        return line, 0
    seen: set[str] = set()
    out: list[str] = []
    dropped = 0
    for i in range(0, len(parts), 2):
        key = parts[i].strip().casefold()
        if key and key in seen:
            dropped += 1
            continue
        seen.add(key)
        out += [parts[i - 1], parts[i]] if out else [parts[i]]
    return head + "".join(out), dropped


def _only_repeats(line: str, others: str) -> bool:
    """A line that was one term over and over, and that term is on the résumé anyway."""
    label = _LABEL.match(line)
    term = (line[label.end() :] if label else line).strip()
    return (
        bool(term)
        and not _ITEM_SEP.search(term)
        and bool(re.search(rf"(?<![\w+#]){re.escape(term)}(?![\w+#])", others, re.I))
    )


def collapse_stuffing(text: str) -> tuple[str, int]:
    """Runs of one term ("PyTorch PyTorch PyTorch"), repeated list items and a line repeated in a
    row are kept once. A line that was only one term repeated, a term said elsewhere anyway, goes."""
    lines = text.split("\n")
    out: list[str] = []
    dropped = 0
    for i, line in enumerate(lines):
        repeats = 0

        def keep_one(m: re.Match[str]) -> str:
            nonlocal repeats
            repeats += len(re.findall(rf"(?<![\w+#]){re.escape(m.group(1))}(?![\w+#])", m.group(0), re.I)) - 1
            return m.group(1)

        new = _RUN.sub(keep_one, line)
        new, listed = _dedupe_items(new)
        repeats += listed
        previous = next((o for o in reversed(out) if o.strip()), None)
        if new.strip() and previous is not None and new.strip() == previous.strip():
            repeats, new = repeats + 1, ""  # the same line again, right after itself
        elif repeats >= STUFFING_MIN - 1 and _only_repeats(new, "\n".join(out + lines[i + 1 :])):
            new = ""
        dropped += repeats
        if repeats and not new.strip() and line.strip():
            continue  # drop the line itself rather than leave a blank that changes the layout
        out.append(new)
    return "\n".join(out), dropped


def defuse(text: str) -> Defused:
    """The résumé text without instruction-like sentences and stuffed repetitions, with findings."""
    text, instructions = remove_instructions(text)
    text, repeated = collapse_stuffing(text)
    findings = []
    if instructions:
        findings.append(f"instruction-like text removed: {instructions} sentence(s)")
    if repeated >= STUFFING_MIN - 1:
        findings.append(f"keyword stuffing collapsed: {repeated} repeated term(s)")
    return Defused(text=text, findings=findings)
