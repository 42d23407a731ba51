"""Visible body text from DOCX bytes, with hidden runs dropped and reported.

python-docx opens the package; the body XML is walked directly so that content controls,
hyperlinks, tracked insertions and text boxes are read in order, and so that run formatting
can be resolved through the style chain (a run hidden by its style is as hidden as one
with direct formatting). Headers, footers, comments and notes are not read.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import docx
from docx.oxml.text.run import CT_R

from services.core.documents import DocumentError, DocumentLimits, metadata_finding

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_WPS = "{http://schemas.microsoft.com/office/word/2010/wordprocessingShape}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_V = "{urn:schemas-microsoft-com:vml}"
RGB = tuple[int, int, int]
_WHITE: RGB = (255, 255, 255)
_NEAR = 13  # per channel, about 5 %: text this close to its background cannot be read
_MAX_PARTS = 2000
_FINDINGS = {
    "hidden": "docx: {n} hidden run{s} ignored",
    "colour": "docx: {n} run{s} in white/near-background colour ignored",
    "tiny": "docx: {n} run{s} under 2 pt ignored",
}
# Inline wrappers whose runs are shown; w:del and w:moveFrom are deliberately absent.
_INLINE_WRAPPERS = {
    W + t for t in ("hyperlink", "ins", "smartTag", "fldSimple", "customXml", "moveTo", "dir", "bdo")
}
_HIGHLIGHTS: dict[str, RGB] = {
    "black": (0, 0, 0), "blue": (0, 0, 255), "cyan": (0, 255, 255), "green": (0, 255, 0),
    "magenta": (255, 0, 255), "red": (255, 0, 0), "yellow": (255, 255, 0), "white": (255, 255, 255),
    "darkBlue": (0, 0, 128), "darkCyan": (0, 128, 128), "darkGreen": (0, 128, 0),
    "darkMagenta": (128, 0, 128), "darkRed": (128, 0, 0), "darkYellow": (128, 128, 0),
    "darkGray": (128, 128, 128), "lightGray": (192, 192, 192),
}  # fmt: skip


def extract_docx(content: bytes, limits: DocumentLimits, deadline: float) -> tuple[str, None, list[str]]:
    _check_package(content, limits)
    try:
        document = docx.Document(io.BytesIO(content))
        reader = _Reader(_Styles(document.styles.element), deadline, limits.max_chars)
        page = _hex(_attr(document.element.find(W + "background"), "color"), default=_WHITE)
        text = "\n".join(reader.blocks(document.element.body, page))
    except DocumentError:
        raise
    except RecursionError as exc:
        raise DocumentError("corrupt", "DOCX structure is nested too deeply") from exc
    except MemoryError:
        raise
    except Exception as exc:  # python-docx and lxml raise many types on malformed packages
        raise DocumentError("corrupt", f"DOCX could not be parsed ({type(exc).__name__})") from exc
    findings = [_FINDINGS[kind].format(n=n, s="s" * (n != 1)) for kind, n in sorted(reader.dropped.items())]
    if reader.truncated:
        findings.append("docx: stopped reading at the character limit")
    if note := metadata_finding(_metadata_fields(document), text):
        findings.append(note)
    return text, None, findings


def _check_package(content: bytes, limits: DocumentLimits) -> None:
    """Reject ZIP bombs before python-docx inflates every part into memory."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            infos = package.infolist()
    except Exception as exc:  # BadZipFile, but also struct/overflow errors on forged headers
        raise DocumentError("corrupt", "DOCX is not a readable ZIP package") from exc
    if len(infos) > _MAX_PARTS:
        raise DocumentError("too_large", f"DOCX has {len(infos)} parts, the limit is {_MAX_PARTS}")
    if sum(info.file_size for info in infos) > 10 * limits.max_bytes:
        raise DocumentError("too_large", "DOCX expands to more than ten times the size limit")


def _metadata_fields(document: Any) -> list[str]:
    try:
        props = document.core_properties
        return [v for v in (props.title, props.subject, props.keywords, props.comments, props.category) if v]
    except Exception:  # metadata is advisory; a broken core.xml must not fail the read
        return []


def _attr(element: Any, name: str) -> str | None:
    return None if element is None else element.get(W + name)


def _hex(value: str | None, default: RGB | None = None) -> RGB | None:
    if value and len(value) == 6:
        try:
            return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))
        except ValueError:
            return None
    return default


def _on(element: Any) -> bool:
    """A toggle property such as <w:vanish/>: present and not switched off."""
    return element is not None and (_attr(element, "val") or "true").lower() not in ("0", "false", "off")


class _Styles:
    """Style lookups: the chain of rPr/pPr elements a run or paragraph inherits."""

    def __init__(self, styles: Any) -> None:
        self.by_id = {s.get(W + "styleId"): s for s in styles.iterfind(W + "style")}
        paragraph = [s for s in self.by_id.values() if s.get(W + "type") == "paragraph" and _on_default(s)]
        self.default_paragraph = paragraph[0].get(W + "styleId") if paragraph else None
        defaults = styles.find(W + "docDefaults")
        self.doc_rpr = defaults.find(f"{W}rPrDefault/{W}rPr") if defaults is not None else None

    def lineage(self, style_id: str | None) -> list[Any]:
        """The style and the styles it is based on, nearest first."""
        out: list[Any] = []
        while style_id and (style := self.by_id.get(style_id)) is not None and len(out) < 16:
            if any(style is seen for seen in out):
                break
            out.append(style)
            style_id = _attr(style.find(W + "basedOn"), "val")
        return out

    def chain(self, style_id: str | None, part: str) -> list[Any]:
        return [props for style in self.lineage(style_id) if (props := style.find(W + part)) is not None]


def _on_default(style: Any) -> bool:
    return (style.get(W + "default") or "").lower() in ("1", "true", "on")


@dataclass
class _Reader:
    styles: _Styles
    deadline: float
    max_chars: int
    dropped: Counter[str] = field(default_factory=Counter)
    chars: int = 0
    truncated: bool = False

    def blocks(self, container: Any, background: RGB | None) -> Iterator[str]:
        """Paragraphs and table rows in document order; `background` None means unknown."""
        for child in container:
            if time.monotonic() > self.deadline:
                raise DocumentError("timeout", "document took too long to read")
            if self.chars > self.max_chars:
                self.truncated = True
                return
            if child.tag == W + "p":
                yield from self._paragraph(child, background)
            elif child.tag == W + "tbl":
                yield from self._table(child, background)
            elif child.tag == W + "sdt":
                yield from self.blocks(child.iterfind(W + "sdtContent/*"), background)
            elif child.tag == W + "customXml":
                yield from self.blocks(child, background)

    def _paragraph(self, p: Any, background: RGB | None) -> Iterator[str]:
        ppr = p.find(W + "pPr")
        style_id = _attr(ppr.find(W + "pStyle") if ppr is not None else None, "val")
        style_id = style_id or self.styles.default_paragraph
        pprs = ([ppr] if ppr is not None else []) + self.styles.chain(style_id, "pPr")
        background = _shading(pprs, background)
        parts: list[str] = []
        boxes: list[tuple[Any, RGB | None]] = []
        dropped = False
        for r in _runs(p):
            text = r.text if isinstance(r, CT_R) else ""  # CT_R renders tabs and breaks as text
            reason = self._hidden(r, style_id, background)
            if reason is None:
                parts.append(text)
                boxes += _text_boxes(r, background)
            elif text.strip():
                self.dropped[reason] += 1
                dropped = True
        line = "".join(parts)
        self.chars += len(line)
        if line.strip() or not dropped:  # a wholly hidden paragraph leaves no blank line behind
            yield line
        for box, box_background in boxes:
            yield from self.blocks(box, box_background)

    def _table(self, tbl: Any, background: RGB | None) -> Iterator[str]:
        style = _attr(tbl.find(f"{W}tblPr/{W}tblStyle"), "val")
        shades = (_fill(shd) for s in self.styles.lineage(style) for shd in s.iter(W + "shd"))
        if any(shade not in (None, _WHITE) for shade in shades):
            background = None  # banded/header shading from the table style: too complex to place
        for tr in tbl.iterfind(W + "tr"):
            cells = []
            for tc in tr.iterfind(W + "tc"):
                shade = _fill(tc.find(f"{W}tcPr/{W}shd"))
                text = " ".join(b.strip() for b in self.blocks(tc, shade or background) if b.strip())
                if text:
                    cells.append(text.replace("\n", " "))
            if cells:
                yield " | ".join(cells)

    def _hidden(self, r: Any, paragraph_style: str | None, background: RGB | None) -> str | None:
        rpr = r.find(W + "rPr")
        rprs = [rpr] if rpr is not None else []
        rprs += self.styles.chain(_attr(rpr.find(W + "rStyle") if rpr is not None else None, "val"), "rPr")
        rprs += self.styles.chain(paragraph_style, "rPr")
        rprs += [self.styles.doc_rpr] if self.styles.doc_rpr is not None else []
        if _on(_first(rprs, "vanish")):
            return "hidden"
        size = _attr(_first(rprs, "sz"), "val")
        if size and size.isdigit() and int(size) < 4:  # half-points
            return "tiny"
        highlight = _HIGHLIGHTS.get(_attr(_first(rprs, "highlight"), "val") or "")
        background = highlight or _shading(rprs, background)
        colour = _text_colour(_first(rprs, "color"))
        return "colour" if colour and background and _close(colour, background) else None


def _close(a: RGB, b: RGB) -> bool:
    return max(abs(x - y) for x, y in zip(a, b, strict=True)) <= _NEAR


def _first(props: list[Any], tag: str) -> Any:
    for element in props:
        if (found := element.find(W + tag)) is not None:
            return found
    return None


def _fill(shd: Any) -> RGB | None:
    """A shading element's visible colour; None when it paints nothing."""
    if shd is None:
        return None
    if _attr(shd, "val") == "solid":
        return _hex(_attr(shd, "color"))
    return _hex(_attr(shd, "fill"))


def _shading(props: list[Any], background: RGB | None) -> RGB | None:
    return _fill(_first(props, "shd")) or background


def _text_colour(color: Any) -> RGB | None:
    if color is None:
        return None
    theme = _attr(color, "themeColor")
    if theme in ("background1", "light1") and not _attr(color, "themeShade"):
        return _WHITE
    if theme in ("text1", "dark1"):
        return (0, 0, 0)
    return _hex(_attr(color, "val"))  # "auto" contrasts with anything: None


def _runs(element: Any) -> Iterator[Any]:
    for child in element:
        if child.tag == W + "r":
            yield child
        elif child.tag in _INLINE_WRAPPERS:
            yield from _runs(child)
        elif child.tag in (W + "sdt", _MC + "AlternateContent"):
            # a content control's content; of alternative renderings, only the first choice
            inner = child.find(W + "sdtContent") if child.tag == W + "sdt" else child.find(_MC + "Choice")
            yield from _runs(inner if inner is not None else ())


def _text_boxes(r: Any, background: RGB | None) -> list[tuple[Any, RGB | None]]:
    """Text boxes anchored in a run, with the background their shape paints."""
    boxes = []
    for box in r.iter(W + "txbxContent"):
        ancestors = list(box.iterancestors())
        within = ancestors[: ancestors.index(r)] if r in ancestors else ancestors
        if any(a.tag in (_MC + "Fallback", W + "txbxContent") for a in within):
            continue  # the VML fallback repeats the DrawingML box; nested boxes come with their parent
        boxes.append((box, _shape_fill(within, background)))
    return boxes


def _shape_fill(ancestors: list[Any], background: RGB | None) -> RGB | None:
    for a in ancestors:
        if a.tag == _WPS + "wsp":
            fill = a.find(f"{_WPS}spPr/{_A}solidFill")
            if fill is None:
                return background
            return _hex(fill[0].get("val")) if len(fill) and fill[0].tag == _A + "srgbClr" else None
        if a.tag.startswith(_V) and a.get("fillcolor"):
            return _hex(a.get("fillcolor", "").lstrip("#"))
    return background
