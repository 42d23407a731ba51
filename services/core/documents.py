"""Uploaded résumé bytes (plain text, PDF, DOCX) to clean, visible text.

`read_document` is the only entry point for untrusted files and raises nothing but
`DocumentError`. Format readers live in `pdf_text` and `docx_text`; this module owns the
type sniffing, plain-text decoding and the normalisation every format goes through.
Error messages never quote the document, so they are safe to log.
"""

from __future__ import annotations

import itertools
import re
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Literal

Kind = Literal["text", "pdf", "docx"]


class DocumentError(ValueError):
    """The only exception `read_document` raises; `reason` is a stable machine code."""

    reason: str

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason

    def __reduce__(self) -> tuple[type[DocumentError], tuple[str, str]]:
        # Documents are read in worker processes: the error must cross back whole, reason included.
        return type(self), (self.reason, str(self))


@dataclass(frozen=True)
class DocumentLimits:
    max_bytes: int = 10 * 1024 * 1024
    max_pages: int = 40
    max_chars: int = 300_000
    max_seconds: float = 10.0
    # Decoded content-stream bytes of one PDF page (its forms included). pypdf parses a page in
    # one call, in pure Python (about 0.6 MB/s), where the time limit cannot interrupt it: this
    # cap keeps one page within max_seconds. Real résumé pages measure 4-6 KB.
    max_page_content_bytes: int = 2 * 1024 * 1024


@dataclass(frozen=True)
class Document:
    text: str
    kind: Kind
    pages: int | None
    findings: tuple[str, ...]


def read_document(filename: str, content: bytes, limits: DocumentLimits = DocumentLimits()) -> Document:
    if len(content) > limits.max_bytes:
        raise DocumentError("too_large", f"document is {len(content)} bytes, the limit is {limits.max_bytes}")
    deadline = time.monotonic() + limits.max_seconds
    try:
        kind = _sniff(filename, content)
        raw, pages, findings = _extract(kind, content, limits, deadline)
    except DocumentError:
        raise
    except MemoryError as exc:
        raise DocumentError("too_large", "document needs more memory than allowed to read") from exc
    except Exception as exc:  # a parser bug must not escape as anything but a rejection
        raise DocumentError("corrupt", f"document could not be read ({type(exc).__name__})") from exc
    # Normalising megabytes only to keep max_chars of them wastes the time budget; a margin
    # covers what normalisation removes (invisible characters, runs of spaces).
    cap = 4 * limits.max_chars
    text, normal_findings = normalise_text(raw[:cap])
    if len(raw) > cap or len(text) > limits.max_chars:
        text = text[: limits.max_chars].rstrip()
        findings.append(f"text truncated to {limits.max_chars} characters")
    if not text:
        raise DocumentError("empty", "the document has no readable text")
    return Document(text=text, kind=kind, pages=pages, findings=tuple(findings + normal_findings))


def _extract(
    kind: Kind, content: bytes, limits: DocumentLimits, deadline: float
) -> tuple[str, int | None, list[str]]:
    # Imported here: the readers import DocumentError from this module.
    if kind == "pdf":
        from services.core.pdf_text import extract_pdf

        return extract_pdf(content, limits, deadline)
    if kind == "docx":
        from services.core.docx_text import extract_docx

        return extract_docx(content, limits, deadline)
    return _decode_plain_text(content), None, []


# --- type sniffing and plain text ---------------------------------------------------

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
# Formats people upload by mistake; decoding them as text would only produce noise.
_FOREIGN_MAGIC = (
    b"\xd0\xcf\x11\xe0",  # OLE2: legacy .doc
    b"\x89PNG",
    b"\xff\xd8\xff",  # JPEG
    b"GIF8",
    b"{\\rtf",
    b"%!PS",
    b"\x1f\x8b",  # gzip
    b"\x7fELF",
    b"Rar!",
    b"7z\xbc\xaf",
)
_FOREIGN_EXTENSIONS = {"doc", "odt", "rtf", "pages", "png", "jpg", "jpeg", "gif", "zip", "xlsx", "pptx"}


def _sniff(filename: str, content: bytes) -> Kind:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if b"%PDF-" in content[:1024]:  # readers accept junk before the header, so do we
        return "pdf"
    if content.startswith(_ZIP_MAGIC):
        if ext == "docx" or b"word/document.xml" in content:  # part names are stored uncompressed
            return "docx"  # the DOCX reader reports a broken or foreign package as corrupt
        raise DocumentError("unsupported_type", "a ZIP archive that is not a Word document")
    if content.startswith(_FOREIGN_MAGIC):
        raise DocumentError("unsupported_type", "file type is not plain text, PDF or DOCX")
    if ext == "pdf":
        raise DocumentError("corrupt", "named .pdf but has no PDF header")
    if ext == "docx":
        raise DocumentError("corrupt", "named .docx but is not a ZIP package")
    if ext in _FOREIGN_EXTENSIONS:
        raise DocumentError("unsupported_type", f"unsupported file type .{ext}")
    return "text"


_BINARY_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")  # C0/C1 controls other than whitespace
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def _decode_plain_text(content: bytes) -> str:
    """UTF-8 (or the encoding a BOM names), else cp1252, else latin-1; binary is refused."""
    for bom, codec in _BOMS:
        if content.startswith(bom):
            text = content[len(bom) :].decode(codec, errors="replace")
            break
    else:
        if content.count(0) > max(1, len(content) // 100):
            raise DocumentError("unsupported_type", "binary data, not text")
        for codec in ("utf-8", "cp1252"):
            try:
                text = content.decode(codec)
                break
            except UnicodeDecodeError:
                continue
        else:
            text = content.decode("latin-1")
    controls = len(_BINARY_RE.findall(text))
    if controls > max(2, len(text) // 20):
        raise DocumentError("unsupported_type", "binary data, not text")
    return text


# --- normalisation ------------------------------------------------------------------

_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Invisible but not category Cf; Hangul fillers are a known way to smuggle blank "words".
_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u034f")
_LINE_BREAKS = str.maketrans(
    {"\r": "\n", "\x0b": "\n", "\x0c": "\n\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n\n"}
)
_BULLETS = "•‣◦▪▫■□●○◆◇►▶▸▹➢➤➔→✓✔✗✘❖⁃∙·⦁★☆♦❯»\uf0b7\uf0a7\uf0d8\uf076\uf0fc\uf0a8\uf06c\uf06e\uf0e0"
_BULLET_RE = re.compile(rf"^(?:[{re.escape(_BULLETS)}]|[-–—*](?=\s))\s*")
_BULLET_ONLY_RE = re.compile(rf"^[{re.escape(_BULLETS)}–—*-]$")
_HYPHEN_END_RE = re.compile(r"(?<!\w)([^\W\d_]+)-$")
_WORD_START_RE = re.compile(r"^[^\W\d_]+")
_SPACES_RE = re.compile(r"[^\S\n]+")
# Fragments that usually form real compounds, so a wrap after them keeps its hyphen.
_COMPOUND_HEADS = {
    "multi", "non", "pre", "post", "co", "self", "cross", "end", "real", "high", "low", "fine", "open",
    "semi", "state", "well", "full", "part", "long", "short", "data", "event", "hands", "client",
    "server", "zero", "few", "one", "two", "third", "front", "back", "scikit", "test", "cost",
}  # fmt: skip
_COMPOUND_TAILS = {
    "learn", "based", "driven", "level", "scale", "time", "source", "tuning", "tuned", "trained",
    "aware", "oriented", "facing", "end", "grade", "ready", "specific", "wide", "native", "first",
    "shot", "stack", "term", "functional", "on", "the", "art", "up",
}  # fmt: skip


def _removed_class() -> re.Pattern[str]:
    """One character class for everything stripped, so clean text costs a single regex scan."""
    planes = itertools.chain(range(0x20000), range(0xE0000, 0xE1000))  # where Cf and Cc live
    points = {
        cp
        for cp in planes
        if unicodedata.category(chr(cp)) in ("Cf", "Cc") or chr(cp) in _BIDI | _INVISIBLE_LETTERS
    }
    points |= {*range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)}
    points -= {ord("\n"), ord("\t")}
    # ranges, not single characters: sre scans a long list of astral literals one by one
    spans: list[list[int]] = []
    for cp in sorted(points):
        if spans and cp == spans[-1][1] + 1:
            spans[-1][1] = cp
        else:
            spans.append([cp, cp])
    body = "".join(re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "") for a, b in spans)
    return re.compile(f"[{body}]")


_REMOVED_RE = _removed_class()


def _removal_label(ch: str) -> str | None:
    cp = ord(ch)
    if ch in _BIDI:
        return "bidi control characters removed"
    if 0xE0000 <= cp <= 0xE007F or 0xE0100 <= cp <= 0xE01EF:
        return "unicode tag characters removed"  # invisible ASCII smuggling
    if 0xFE00 <= cp <= 0xFE0F:
        return None  # emoji presentation selectors: harmless, not worth a finding
    if unicodedata.category(ch) == "Cc":
        return "control characters removed"
    return "zero-width characters removed"


def normalise_text(text: str) -> tuple[str, list[str]]:
    """NFKC, invisible-character removal, bullets, de-hyphenation and whitespace cleanup."""
    counts: Counter[str] = Counter()

    def drop(match: re.Match[str]) -> str:
        if label := _removal_label(match.group()):
            counts[label] += 1
        return ""

    text = _REMOVED_RE.sub(drop, text.replace("\r\n", "\n").translate(_LINE_BREAKS))
    text = unicodedata.normalize("NFKC", text)
    lines = [_SPACES_RE.sub(" ", line).strip() for line in text.split("\n")]
    lines = _join_wrapped(_bullets(lines))
    out = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return out, [f"{name}: {n}" for name, n in sorted(counts.items())]


def _bullets(lines: list[str]) -> list[str]:
    out: list[str] = []
    pending = False  # a bullet glyph alone on its line belongs to the next text line
    for line in lines:
        if _BULLET_ONLY_RE.match(line):
            pending = True
            continue
        line = _BULLET_RE.sub("- ", line)
        if pending and line:
            line, pending = ("" if line.startswith("- ") else "- ") + line, False
        out.append(line)
    return out


def _join_wrapped(lines: list[str]) -> list[str]:
    """Undo word-wrap hyphenation: a line ending in `frag-` followed by a lowercase word."""
    if not any(line.endswith("-") for line in lines):
        return lines
    whole = "\n".join(lines).lower()
    compounds = set(re.findall(r"[^\W\d_]+-[^\W\d_]+", whole))
    words = set(re.findall(r"[^\W\d_]+", whole))
    out: list[str] = []
    i = 0
    while i < len(lines):
        pieces = [lines[i]]
        window = lines[i][-80:]  # the joined line's end, kept short so long chains stay linear
        while i + 1 < len(lines) and window.endswith("-") and lines[i + 1][:1].islower():
            head = _HYPHEN_END_RE.search(window)
            tail = _WORD_START_RE.match(lines[i + 1])
            if head is None or tail is None:
                break
            # "end-to-" is mid-compound: the next fragment continues it, hyphen and all
            mid_compound = window[: -len(head.group(0))].endswith("-")
            if not (mid_compound or _keeps_hyphen(head.group(1), tail.group(0), compounds, words)):
                pieces[-1] = pieces[-1][:-1]
                window = window[:-1]
            i += 1
            pieces.append(lines[i])
            window = (window + lines[i])[-80:]
        out.append("".join(pieces))
        i += 1
    return out


def _keeps_hyphen(head: str, tail: str, compounds: set[str], words: set[str]) -> bool:
    h, t = head.lower(), tail.lower()
    if f"{h}-{t}" in compounds:  # the same compound written elsewhere settles it
        return True
    if h + t in words:
        return False
    mixed_case = head[1:] != head[1:].lower()  # PyTorch-based, ML-driven
    return mixed_case or h in _COMPOUND_HEADS or t in _COMPOUND_TAILS


# --- shared by the format readers ---------------------------------------------------

_TOKEN_RE = re.compile(r"[^\W\d_][\w+#.]*[\w+#]|[^\W\d_]")  # keeps c++, c#, node.js whole
_METADATA_NOISE = {
    "resume", "résumé", "cv", "curriculum", "vitae", "untitled", "document", "microsoft", "word",
    "the", "and", "of", "for", "in", "a", "an", "to", "with", "by", "my", "new", "final", "draft", "copy",
    "page",
}  # fmt: skip


def metadata_finding(fields: list[str], body: str) -> str | None:
    """A finding when metadata carries terms the visible text lacks (keyword stuffing)."""
    body_tokens = set(_TOKEN_RE.findall(body.lower()))
    extra = {
        tok
        for field in fields
        for tok in _TOKEN_RE.findall(unicodedata.normalize("NFKC", field).lower())
        if len(tok) > 1 and tok not in _METADATA_NOISE and tok not in body_tokens
    }
    if len(extra) < 2:  # one stray word is a title, not a stuffed skill list
        return None
    return f"text only in metadata ignored ({len(extra)} terms)"
