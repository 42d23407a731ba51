"""Visible text from PDF bytes, with hidden text dropped and reported.

Each page's content stream is interpreted once to track what pypdf's extractor does not:
fill/stroke colour, render mode, alpha, clipping and painted backgrounds. Text-showing
operators that would not be visible are removed from the (in-memory) stream, and only then
does pypdf decode the text, so hidden runs never reach the output. Positions reported by
pypdf's visitor drive column-aware reading order.
"""

from __future__ import annotations

import io
import itertools
import math
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from pypdf import PdfReader, apply_configuration
from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError, WrongPasswordError
from pypdf.generic import ContentStream, NameObject

from services.core.documents import DocumentError, DocumentLimits, metadata_finding

Matrix = tuple[float, float, float, float, float, float]
Box = tuple[float, float, float, float]  # x0, y0, x1, y1
RGB = tuple[float, float, float]
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_WHITE: RGB = (1.0, 1.0, 1.0)
_NEAR = 0.05  # colour distance below which text is indistinguishable from its background
_FINDINGS = {
    "colour": "pdf: {n} text run{s} in white/near-background colour ignored",
    "render": "pdf: {n} text run{s} with invisible render mode ignored",
    "tiny": "pdf: {n} text run{s} under 1 pt ignored",
    "offpage": "pdf: {n} text run{s} outside the page ignored",
    "clipped": "pdf: {n} text run{s} clipped out of view ignored",
    "transparent": "pdf: {n} text run{s} fully transparent ignored",
    "ocr": "pdf: {n} invisible text run{s} over scanned images kept as an OCR layer",
}
_SHOW_OPS = {b"Tj", b"TJ", b"'", b'"'}
_FILL_OPS = {b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"}
_PAINT_OPS = _FILL_OPS | {b"S", b"s", b"n"}
_STREAM_KEYS = ("/Filter", "/DecodeParms", "/Length")  # describe the encoded bytes we replace
_MAX_FORM_DEPTH = 8
_MAX_REGIONS = 2000


def extract_pdf(content: bytes, limits: DocumentLimits, deadline: float) -> tuple[str, int, list[str]]:
    try:
        return _extract(content, limits, deadline)
    except DocumentError:
        raise
    except (FileNotDecryptedError, WrongPasswordError) as exc:
        raise DocumentError("encrypted", "PDF is encrypted and cannot be opened without a password") from exc
    except DependencyError as exc:  # AES without the optional `cryptography` package
        raise DocumentError("encrypted", "PDF uses an encryption this service cannot open") from exc
    except RecursionError as exc:
        raise DocumentError("corrupt", "PDF structure is nested too deeply") from exc
    except LimitReachedError as exc:  # pypdf's own bounds (stream sizes, element counts)
        raise DocumentError("too_large", f"PDF exceeds a reader limit ({str(exc)[:200]})") from exc
    except MemoryError:
        raise
    except Exception as exc:  # pypdf raises many types on malformed input
        raise DocumentError("corrupt", f"PDF could not be parsed ({type(exc).__name__})") from exc


def _extract(content: bytes, limits: DocumentLimits, deadline: float) -> tuple[str, int, list[str]]:
    reader = PdfReader(io.BytesIO(content))
    if reader.is_encrypted and not reader.decrypt(""):
        raise DocumentError("encrypted", "PDF is encrypted and cannot be opened without a password")
    count = len(reader.pages)
    if count > limits.max_pages:
        raise DocumentError("too_many_pages", f"PDF has {count} pages, the limit is {limits.max_pages}")
    hidden: Counter[str] = Counter()
    findings: list[str] = []
    texts: list[str] = []
    chars = 0
    for number, page in enumerate(reader.pages, start=1):
        _check(deadline)
        text = _page_text(page, hidden, deadline, _PageBudget(number, limits.max_page_content_bytes))
        texts.append(text)
        chars += len(text)
        if chars > limits.max_chars and number < count:
            findings.append(f"pdf: stopped after page {number} of {count} (character limit)")
            break
    findings[:0] = [_FINDINGS[kind].format(n=n, s="s" * (n != 1)) for kind, n in sorted(hidden.items())]
    body = "\n\n".join(texts)
    if note := metadata_finding(_metadata_fields(reader), body):
        findings.append(note)
    return body, count, findings


def _check(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise DocumentError("timeout", "document took too long to read")


def _metadata_fields(reader: PdfReader) -> list[str]:
    try:
        info = reader.metadata
        fields = [info.get(key) for key in ("/Title", "/Subject", "/Keywords")] if info else []
        return [str(value.get_object()) for value in fields if value is not None]
    except Exception:  # metadata is advisory; a broken info dict must not fail the read
        return []


@dataclass
class _PageBudget:
    """Decoded content-stream bytes one page may still parse (``max_page_content_bytes``).

    Checked before parsing: pypdf parses a whole stream in one call that the deadline cannot
    interrupt, so a huge page must be refused before, not timed out after."""

    page: int
    limit: int
    used: int = 0

    def decode(self, read: Callable[[], ContentStream | None]) -> ContentStream | None:
        # Flate output is capped at what is left (0 would mean "no limit", hence the +1), so a
        # decompression bomb stops after the limit instead of pypdf's 75 MB.
        left = self.limit - self.used + 1
        try:
            with apply_configuration(
                zlib_maximum_output_length=left, array_based_stream_maximum_output_length=left
            ):
                stream = read()
        except LimitReachedError:
            raise self._exceeded() from None
        self.used += len(stream.get_data()) if stream is not None else 0
        if self.used > self.limit:
            raise self._exceeded()
        return stream

    def _exceeded(self) -> DocumentError:
        return DocumentError(
            "page_too_large",
            f"PDF page {self.page} has more than {self.limit} bytes of content (the per-page limit)",
        )


def _page_text(page: Any, hidden: Counter[str], deadline: float, budget: _PageBudget) -> str:
    box = _box(page.mediabox)
    contents = budget.decode(page.get_contents)
    if contents is None:
        return ""
    # "bytes": keep string operands undecoded, as pypdf's extractor needs them for font decoding
    stream = ContentStream(contents, page.pdf, "bytes")
    resources = page.get("/Resources")
    walker = _Walker(box, deadline, page.pdf, budget)
    kept = walker.filter(stream.operations, resources, _State(clip=box), depth=0)
    if walker.ocr_glyphs and walker.visible_glyphs * 4 < walker.ocr_glyphs:
        # A scanned page: invisible text over the image is the OCR layer, and all there is to read.
        # Forms already parsed are reused: parsed (and counted against the budget) once per page.
        walker = _Walker(box, deadline, page.pdf, budget, keep_ocr=True, parsed_forms=walker.parsed_forms)
        kept = walker.filter(stream.operations, resources, _State(clip=box), depth=0)
        hidden["ocr"] += walker.ocr_runs
    hidden.update(walker.hidden)
    for xobjects, name, form in walker.form_updates:
        xobjects[name] = form
    stream.operations = kept
    page[NameObject("/Contents")] = stream  # in memory only; the reader is ours
    chunks: list[_Chunk] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: Any, size: float) -> None:
        if text.strip():
            m = _mul(_matrix(tm), _matrix(cm))
            chunks.append(_Chunk(m[4], m[5], abs(size) * math.hypot(m[2], m[3]) or 1.0, text.strip()))

    plain = page.extract_text(visitor_text=visit)
    return _column_text(chunks, box) or plain


# --- content-stream interpretation ---------------------------------------------------


@dataclass
class _State:
    ctm: Matrix = _IDENTITY
    fill: RGB | None = (0.0, 0.0, 0.0)  # None: a colour we cannot judge (pattern, spot)
    stroke: RGB | None = (0.0, 0.0, 0.0)
    fill_n: int = 1  # components of the current colour space, 0 when unknown
    stroke_n: int = 1
    fill_alpha: float = 1.0
    stroke_alpha: float = 1.0
    render: int = 0
    size: float = 0.0
    h_scale: float = 1.0
    leading: float = 0.0
    char_space: float = 0.0
    wide_font: bool = False  # two-byte codes (Type0), for width estimates
    clip: Box | None = None


@dataclass
class _Walker:
    page: Box
    deadline: float
    pdf: Any
    budget: _PageBudget
    keep_ocr: bool = False
    hidden: Counter[str] = field(default_factory=Counter)
    regions: deque[tuple[Box, RGB | None]] = field(default_factory=lambda: deque(maxlen=_MAX_REGIONS))
    # applied by the caller once the page's last pass is final, so every pass reads the original forms
    form_updates: list[tuple[Any, NameObject, ContentStream]] = field(default_factory=list)
    parsed_forms: dict[int, list[Any]] = field(default_factory=dict)
    ops_seen: int = 0
    visible_glyphs: int = 0
    ocr_glyphs: int = 0
    ocr_runs: int = 0

    def filter(self, operations: Iterable[Any], resources: Any, gs: _State, depth: int) -> list[Any]:
        """The operations with hidden text-showing operators removed; `gs` is the inherited state."""
        resources = resources.get_object() if resources is not None else None
        resources = resources if isinstance(resources, dict) else {}
        gs = replace(gs)
        stack: list[_State] = []
        tm = tlm = _IDENTITY
        path: list[tuple[float, float]] = []
        clip_pending = False
        kept: list[Any] = []
        for operands, op in operations:
            self.ops_seen += 1
            if self.ops_seen % 500 == 0 and time.monotonic() > self.deadline:
                raise DocumentError("timeout", "document took too long to read")
            if op in _SHOW_OPS:
                if op in (b"'", b'"'):
                    if op == b'"':
                        gs.char_space = _num(operands, 1, gs.char_space)
                    tlm = tm = _mul((1, 0, 0, 1, 0, -gs.leading), tlm)
                glyphs = _glyphs(operands, op, gs)
                reason = self._hidden(gs, tm, glyphs)
                tm = _mul((1, 0, 0, 1, _advance(operands, op, gs), 0), tm)  # the pen moves on
                if reason is None and gs.render not in (3, 7):
                    self.visible_glyphs += glyphs
                if reason:
                    self.hidden[reason] += 1
                    kept.extend(_without_text(operands, op))
                    continue
            elif op == b"q" and len(stack) < 64:
                stack.append(replace(gs))
            elif op == b"Q" and stack:
                gs = stack.pop()
            elif op == b"cm":
                gs.ctm = _mul(_matrix(operands), gs.ctm)
            elif op == b"BT":
                tm = tlm = _IDENTITY
            elif op in (b"Td", b"TD"):
                if op == b"TD":
                    gs.leading = -_num(operands, 1, 0.0)
                tlm = tm = _mul((1, 0, 0, 1, _num(operands, 0, 0.0), _num(operands, 1, 0.0)), tlm)
            elif op == b"Tm":
                tlm = tm = _matrix(operands)
            elif op == b"T*":
                tlm = tm = _mul((1, 0, 0, 1, 0, -gs.leading), tlm)
            elif op in _TEXT_PARAMS:
                _set_text_param(gs, op, operands, resources)
            elif op in _COLOUR_OPS:
                _set_colour(gs, op, operands, resources)
            elif op == b"gs":
                _apply_ext_gstate(gs, resources, operands[0] if operands else None)
            elif op in (b"m", b"l", b"c", b"v", b"y"):
                nums = [_num(operands, i, 0.0) for i in range(len(operands))]
                path.extend(_point(gs.ctm, nums[i], nums[i + 1]) for i in range(0, len(nums) - 1, 2))
            elif op == b"re":
                x, y, w, h = (_num(operands, i, 0.0) for i in range(4))
                path.extend(_point(gs.ctm, px, py) for px in (x, x + w) for py in (y, y + h))
            elif op in (b"W", b"W*"):
                clip_pending = True
            elif op in _PAINT_OPS:
                bbox = _bbox(path)
                if bbox and op in _FILL_OPS and gs.fill_alpha > 0.5:
                    self.regions.append((bbox, gs.fill))
                if bbox and clip_pending:
                    gs.clip = _intersect(gs.clip, bbox)
                path, clip_pending = [], False
            elif op in (b"sh", b"INLINE IMAGE"):
                # painted areas of unknown colour: text over them is given the benefit of the doubt
                if area := (gs.clip if op == b"sh" else _unit_square(gs.ctm)):
                    self.regions.append((area, None))
            elif op == b"Do" and operands:
                self._xobject(gs, resources, operands[0], depth)
            kept.append((operands, op))
        return kept

    def _xobject(self, gs: _State, resources: Any, name: Any, depth: int) -> None:
        xobjects = resources.get("/XObject")
        target = xobjects.get_object().get(name) if xobjects is not None else None
        if target is None:
            return
        target = target.get_object()
        subtype = target.get("/Subtype")
        if subtype == "/Image":
            if area := _unit_square(gs.ctm):
                self.regions.append((area, None))
        elif subtype == "/Form" and depth < _MAX_FORM_DEPTH:
            if id(target) not in self.parsed_forms:  # a logo drawn on every page is parsed once
                parsed = self.budget.decode(lambda: ContentStream(target, self.pdf, "bytes"))
                self.parsed_forms[id(target)] = parsed.operations if parsed is not None else []
            form = ContentStream(None, self.pdf, "bytes")
            form.update({k: v for k, v in target.items() if k not in _STREAM_KEYS})
            inner = replace(gs, ctm=_mul(_matrix(target.get("/Matrix", _IDENTITY)), gs.ctm))
            own = target.get("/Resources", resources)
            form.operations = self.filter(self.parsed_forms[id(target)], own, inner, depth + 1)
            self.form_updates.append((xobjects.get_object(), NameObject(name), form))

    def _hidden(self, gs: _State, tm: Matrix, glyphs: int) -> str | None:
        trm = _mul(tm, gs.ctm)
        if gs.render in (3, 7):
            if self._background(_point(trm, 0.25 * gs.size, 0.35 * gs.size)) is not None:
                return "render"
            self.ocr_glyphs += glyphs  # invisible text over an image: the signature of OCR
            self.ocr_runs += 1
            return None if self.keep_ocr else "render"
        size_y = abs(gs.size) * math.hypot(trm[2], trm[3])
        size_x = abs(gs.size) * gs.h_scale * math.hypot(trm[0], trm[1])
        if min(size_x, size_y) < 1.0:
            return "tiny"
        # a generous extent (0.6 em per glyph) so that only text wholly out of view is flagged
        width = glyphs * abs(gs.size) * 0.6 * gs.h_scale
        extent = _bbox([_point(trm, x, y) for x in (0.0, width) for y in (-0.25 * gs.size, gs.size)])
        if extent is None or _intersect(extent, self.page) is None:
            return "offpage"
        if gs.clip is None or _intersect(extent, gs.clip) is None:
            return "clipped"
        paints = []
        if gs.render in (0, 2, 4, 6):
            paints.append((gs.fill, gs.fill_alpha))
        if gs.render in (1, 2, 5, 6):
            paints.append((gs.stroke, gs.stroke_alpha))
        if all(alpha < 0.05 for _, alpha in paints):
            return "transparent"
        background = self._background(_point(trm, 0.25 * gs.size, 0.35 * gs.size))
        if background is not None and all(c is not None and _close(c, background) for c, _ in paints):
            return "colour"
        return None

    def _background(self, point: tuple[float, float]) -> RGB | None:
        x, y = point
        for (x0, y0, x1, y1), colour in reversed(self.regions):
            if x0 <= x <= x1 and y0 <= y <= y1:
                return colour
        return _WHITE


_TEXT_PARAMS = {b"Tf", b"Tr", b"Tz", b"TL", b"Tc"}
_COLOUR_OPS = {b"g", b"rg", b"k", b"G", b"RG", b"K", b"cs", b"CS", b"sc", b"scn", b"SC", b"SCN"}


def _set_text_param(gs: _State, op: bytes, operands: Any, resources: Any) -> None:
    if op == b"Tf":
        gs.size = _num(operands, 1, gs.size)
        gs.wide_font = _is_wide_font(resources, operands[0] if operands else None)
    elif op == b"Tr":
        mode = int(_num(operands, 0, 0))
        gs.render = mode if 0 <= mode <= 7 else 0  # viewers fall back to filling on nonsense
    elif op == b"Tz":
        gs.h_scale = _num(operands, 0, 100.0) / 100
    elif op == b"TL":
        gs.leading = _num(operands, 0, 0.0)
    else:
        gs.char_space = _num(operands, 0, 0.0)


def _set_colour(gs: _State, op: bytes, operands: Any, resources: Any) -> None:
    """Lower-case operators set the fill colour, upper-case ones the stroke colour."""
    fill = op.islower()
    if op in (b"cs", b"CS"):
        n = _space_components(resources, operands[0] if operands else None)
        colour = _device_colour([0.0] * (n - 1) + [1.0 if n == 4 else 0.0]) if n else None  # initial: black
    elif op.lower() in (b"sc", b"scn"):
        n = gs.fill_n if fill else gs.stroke_n
        colour = _device_colour(operands) if n and len(operands) == n else None
    else:
        n, colour = len(operands), _device_colour(operands)
    if fill:
        gs.fill, gs.fill_n = colour, n
    else:
        gs.stroke, gs.stroke_n = colour, n


# --- small helpers --------------------------------------------------------------------


def _num(operands: Any, index: int, default: float) -> float:
    try:
        value = operands[index]
    except (IndexError, TypeError, KeyError):
        return default
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else default


def _matrix(operands: Any) -> Matrix:
    values = [_num(operands, i, d) for i, d in enumerate(_IDENTITY)]
    return (values[0], values[1], values[2], values[3], values[4], values[5])


def _mul(m: Iterable[float], n: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u)


def _point(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return (x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5])


def _unit_square(ctm: Matrix) -> Box | None:
    """Where an image lands: the unit square under the current transformation."""
    return _bbox([_point(ctm, x, y) for x in (0.0, 1.0) for y in (0.0, 1.0)])


def _bbox(points: list[tuple[float, float]]) -> Box | None:
    if not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


def _intersect(a: Box | None, b: Box) -> Box | None:
    if a is None:
        return None
    box = (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
    return box if box[0] <= box[2] and box[1] <= box[3] else None


def _box(rect: Any) -> Box:
    x0, y0, x1, y1 = (float(v) for v in (rect.left, rect.bottom, rect.right, rect.top))
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _close(a: RGB, b: RGB) -> bool:
    return max(abs(x - y) for x, y in zip(a, b, strict=True)) <= _NEAR


def _device_colour(operands: Any) -> RGB | None:
    """Gray, RGB or CMYK components as RGB; anything else (pattern names) is unknown."""
    if not all(isinstance(v, int | float) for v in operands):
        return None
    v = [min(1.0, max(0.0, _num(operands, i, 0.0))) for i in range(len(operands))]
    if len(v) == 1:
        return (v[0], v[0], v[0])
    if len(v) == 3:
        return (v[0], v[1], v[2])
    if len(v) == 4:
        return (1 - min(1.0, v[0] + v[3]), 1 - min(1.0, v[1] + v[3]), 1 - min(1.0, v[2] + v[3]))
    return None


_DEVICE_SPACES = {"/DeviceGray": 1, "/CalGray": 1, "/DeviceRGB": 3, "/CalRGB": 3, "/DeviceCMYK": 4}


def _space_components(resources: Any, name: Any) -> int:
    """Components of a colour space we can judge as gray/RGB/CMYK, else 0."""
    if name in _DEVICE_SPACES:
        return _DEVICE_SPACES[name]
    spaces = resources.get("/ColorSpace")
    space = spaces.get_object().get(name) if spaces is not None else None
    space = space.get_object() if space is not None else None
    if isinstance(space, str):
        return _DEVICE_SPACES.get(space, 0)
    if isinstance(space, list) and len(space) == 2 and space[0] == "/ICCBased":
        n = space[1].get_object().get("/N")
        return int(n) if n in (1, 3, 4) else 0
    return 0


def _apply_ext_gstate(gs: _State, resources: Any, name: Any) -> None:
    states = resources.get("/ExtGState")
    state = states.get_object().get(name) if states is not None else None
    if state is None:
        return
    state = state.get_object()
    gs.fill_alpha = _num([state.get("/ca")], 0, gs.fill_alpha)
    gs.stroke_alpha = _num([state.get("/CA")], 0, gs.stroke_alpha)


def _is_wide_font(resources: Any, name: Any) -> bool:
    fonts = resources.get("/Font")
    font = fonts.get_object().get(name) if fonts is not None else None
    return font is not None and font.get_object().get("/Subtype") == "/Type0"


def _strings(operands: Any, op: bytes) -> list[Any]:
    if op == b"TJ":
        array = operands[0] if operands and isinstance(operands[0], list) else []
        return [item for item in array if isinstance(item, str | bytes)]
    item = operands[-1] if operands else None
    return [item] if isinstance(item, str | bytes) else []


def _glyphs(operands: Any, op: bytes, gs: _State) -> int:
    total = sum(len(s) for s in _strings(operands, op))
    return total // 2 if gs.wide_font else total


def _advance(operands: Any, op: bytes, gs: _State) -> float:
    """Estimated pen advance in text space (0.5 em a glyph; real widths are not needed here)."""
    glyphs = _glyphs(operands, op, gs)
    kerning = 0.0
    if op == b"TJ" and operands and isinstance(operands[0], list):
        kerning = sum(float(v) for v in operands[0] if isinstance(v, int | float) and math.isfinite(v))
    return (glyphs * (0.5 * gs.size + gs.char_space) - kerning / 1000 * gs.size) * gs.h_scale


def _without_text(operands: Any, op: bytes) -> list[tuple[Any, bytes]]:
    """What remains of a dropped show operator: its line move and spacing side effects."""
    if op == b"'":
        return [([], b"T*")]
    if op == b'"' and len(operands) >= 2:
        return [([operands[0]], b"Tw"), ([operands[1]], b"Tc"), ([], b"T*")]
    return []


# --- reading order ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Chunk:
    x: float
    y: float
    size: float
    text: str

    @property
    def right(self) -> float:
        return self.x + len(self.text) * self.size * 0.5


def _column_text(chunks: list[_Chunk], page: Box) -> str | None:
    """Column-by-column text when the page clearly has two columns, else None."""
    width = page[2] - page[0]
    split = _gutter(chunks, page[0], width)
    if split is None:
        return None
    right = [c for c in chunks if c.x >= split]
    spanning = {c for c in chunks if c.x < split and c.right > split + 0.02 * width and not _beside(c, right)}
    left = [c for c in chunks if c.x < split and c not in spanning]
    if not _looks_like_columns(left, right):
        return None
    bands: list[str] = []
    left_buf: list[_Chunk] = []
    right_buf: list[_Chunk] = []
    for chunk in sorted(chunks, key=lambda c: (-c.y, c.x)):
        if chunk in spanning:
            bands += [_lines(left_buf), _lines(right_buf), chunk.text]
            left_buf, right_buf = [], []
        else:
            (left_buf if chunk.x < split else right_buf).append(chunk)
    bands += [_lines(left_buf), _lines(right_buf)]
    return "\n\n".join(b for b in bands if b)


def _gutter(chunks: list[_Chunk], x0: float, width: float) -> float | None:
    """The x where the widest empty vertical strip between chunk starts ends, if central."""
    xs = sorted({round(c.x) for c in chunks})
    best: tuple[float, float] | None = None
    for a, b in itertools.pairwise(xs):
        middle = (a + b) / 2
        if x0 + 0.2 * width <= middle <= x0 + 0.8 * width and (best is None or b - a > best[0]):
            best = (b - a, b)
    return best[1] - 0.5 if best and best[0] >= 0.08 * width else None


def _beside(chunk: _Chunk, others: list[_Chunk]) -> bool:
    return any(abs(o.y - chunk.y) < 0.5 * chunk.size for o in others)


def _looks_like_columns(left: list[_Chunk], right: list[_Chunk]) -> bool:
    if len(left) < 3 or len(right) < 3:
        return False
    left_chars, right_chars = sum(len(c.text) for c in left), sum(len(c.text) for c in right)
    if min(left_chars, right_chars) < 0.15 * (left_chars + right_chars):
        return False  # e.g. dates right-aligned beside job titles
    if right_chars / len(right) < 20 and sum(_beside(c, left) for c in right) >= 0.8 * len(right):
        return False  # a two-column table reads better row by row
    lo = max(min(c.y for c in left), min(c.y for c in right))
    hi = min(max(c.y for c in left), max(c.y for c in right))
    shorter = min(max(c.y for c in s) - min(c.y for c in s) for s in (left, right))
    return hi - lo >= 0.5 * shorter


def _lines(chunks: list[_Chunk]) -> str:
    out: list[str] = []
    previous: _Chunk | None = None
    for chunk in chunks:  # already sorted top to bottom, then left to right
        if previous is not None and abs(previous.y - chunk.y) < 0.5 * previous.size:
            out[-1] += ("" if chunk.text[0] in ",.;:)]!?%" else " ") + chunk.text
        else:
            if previous is not None and previous.y - chunk.y > 1.9 * previous.size:
                out.append("")
            out.append(chunk.text)
        previous = chunk
    return "\n".join(out)
