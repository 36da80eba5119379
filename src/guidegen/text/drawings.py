"""Drawings for figures: SVG files from the theme's assets/figures/, checked, then drawn inline.

A drawing is put into the page itself, not loaded with <img>, so it takes the colour of the text
around it (`currentColor`): dark mode, high contrast and forced colours draw it as they draw
text, and the PDF tags it as a figure with its text alternative. So it may hold only shapes and
the attributes that draw them. Anything else (scripts, links, styles, text, ids, a DOCTYPE) is
refused with the file and line, and what is inlined is written again from what was read, never
copied. Words belong in the module, where they are translated: the alt text of the image and
the caption beside it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from xml.parsers import expat

SVG_NS = "http://www.w3.org/2000/svg"
SHAPES = frozenset({"g", "path", "circle", "ellipse", "rect", "line", "polyline", "polygon"})
IGNORED = frozenset({"title", "desc"})
"""Read and left out: the text alternative is the module's, in the reader's language."""
ATTRIBUTES = frozenset(
    {
        "d", "cx", "cy", "r", "rx", "ry", "x", "y", "width", "height", "x1", "y1", "x2", "y2", "points",
        "fill", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin", "stroke-dasharray",
        "stroke-miterlimit", "fill-opacity", "stroke-opacity", "opacity", "fill-rule", "transform", "class",
    }
)  # fmt: skip
PAINT = frozenset({"none", "currentColor"})
"""Colours a drawing may use: the text colour or nothing (a tint is `fill-opacity`; class `paper`
fills with the page's background, to hide what lies behind)."""
_VALUE = re.compile(r"^[0-9A-Za-z .,()#%+-]*\Z")
_CLASS = re.compile(r"^[a-z][a-z0-9-]*(?: [a-z][a-z0-9-]*)*\Z")
_VIEW_BOX = re.compile(r"^\s*-?[0-9.]+[ ,]+-?[0-9.]+[ ,]+[0-9.]+[ ,]+[0-9.]+\s*\Z")
MAX_DRAWING_BYTES = 256 * 1024
DRAWING = re.compile(r"^assets/(figures/[A-Za-z0-9_./-]+\.svg)\Z")
"""An image address that names a drawing (its path under assets/ is the group)."""
_OPEN, _SPLIT, _CLOSE = "\ue006", "\ue007", "\ue008"
_MARKER = re.compile(f"{_OPEN}([^{_SPLIT}]*){_SPLIT}([^{_CLOSE}]*){_CLOSE}")


@dataclass(frozen=True)
class Drawing:
    """A checked drawing, ready to be put into a page."""

    view_box: str
    """The drawing's coordinates (its width and height come from the page's CSS)."""
    shapes: str
    """The shapes, written again from what was read."""


class DrawingError(ValueError):
    """Why a file is not a drawing a figure may use, and on which line."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _Reader:
    """Reads one SVG file with expat: shapes kept, everything else refused."""

    def __init__(self) -> None:
        self.parser = expat.ParserCreate(namespace_separator=" ")
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.text
        self.parser.StartDoctypeDeclHandler = self.refuse_doctype
        self.parser.EntityDeclHandler = self.refuse_doctype
        self.out: list[str] = []
        self.open: list[str] = []
        self.skipping = 0
        self.view_box = ""

    def fail(self, message: str) -> DrawingError:
        return DrawingError(self.parser.CurrentLineNumber, message)

    def refuse_doctype(self, *_: object) -> None:
        raise self.fail("a drawing may not have a DOCTYPE or entities")

    def start(self, name: str, attrs: dict[str, str]) -> None:
        namespace, _, tag = name.rpartition(" ")
        if namespace != SVG_NS:
            raise self.fail(f'<{tag}> is not an SVG element (the file needs xmlns="{SVG_NS}")')
        if self.skipping or tag in IGNORED:
            self.skipping += 1
            return
        if not self.open:
            if tag != "svg":
                raise self.fail("a drawing starts with <svg>")
            self.view_box = self.root_view_box(attrs)
            self.open.append(tag)
            return
        if tag not in SHAPES:
            raise self.fail(f"<{tag}> is not allowed in a drawing (only {', '.join(sorted(SHAPES))})")
        self.out.append(f"<{tag}{self.attributes(tag, attrs)}>")
        self.open.append(tag)

    def root_view_box(self, attrs: dict[str, str]) -> str:
        extra = set(attrs) - {"viewBox", "width", "height", "version"}
        if extra:
            raise self.fail(f"<svg> may not have {', '.join(sorted(extra))} (only viewBox, width, height)")
        view_box = attrs.get("viewBox", "")
        if not _VIEW_BOX.match(view_box):
            raise self.fail('<svg> needs a viewBox of four numbers, e.g. viewBox="0 0 200 160"')
        return " ".join(view_box.replace(",", " ").split())

    def attributes(self, tag: str, attrs: dict[str, str]) -> str:
        parts = []
        for name, value in attrs.items():
            if name not in ATTRIBUTES:
                raise self.fail(f"<{tag}> may not have the attribute {name.rpartition(' ')[2]}")
            if name in ("fill", "stroke") and value not in PAINT:
                raise self.fail(
                    f"{name}= may only be none or currentColor (the text colour), so it shows in every contrast"
                )
            if name == "class" and not _CLASS.match(value):
                raise self.fail("class= takes plain names (letters, digits, -)")
            if not _VALUE.match(value) or "url" in value.lower():
                raise self.fail(f"{name}= holds characters a drawing does not need")
            parts.append(f' {name}="{html.escape(value)}"')
        return "".join(parts)

    def end(self, name: str) -> None:
        if self.skipping:
            self.skipping -= 1
            return
        tag = self.open.pop()
        if self.open:
            self.out.append(f"</{tag}>")

    def text(self, data: str) -> None:
        if data.strip() and not self.skipping:
            raise self.fail("a drawing may not hold text: put words in the module (the caption and the alt text)")


def read_drawing(data: bytes) -> Drawing:
    """A drawing from the bytes of an SVG file; DrawingError says what is wrong and where."""
    if len(data) > MAX_DRAWING_BYTES:
        raise DrawingError(None, f"a drawing is at most {MAX_DRAWING_BYTES // 1024} KiB")
    reader = _Reader()
    try:
        reader.parser.Parse(data, True)
    except expat.ExpatError as error:
        raise DrawingError(error.lineno, f"not well-formed SVG ({expat.errors.messages[error.code]})") from None
    if not reader.view_box:
        raise DrawingError(None, "a drawing starts with <svg>")
    return Drawing(reader.view_box, "".join(reader.out))


def drawn_inline(drawing: Drawing, alt: str) -> str:
    """The drawing as an inline <svg> whose name is `alt` (already escaped HTML text)."""
    return (
        f'<svg xmlns="{SVG_NS}" class="figure-art" viewBox="{drawing.view_box}" role="img" '
        f'aria-label="{alt}" focusable="false"><title>{alt}</title>{drawing.shapes}</svg>'
    )


def drawing_marker(src: str, alt: str) -> str:
    """Where a drawing goes in rendered Markdown (the rendering is cached; the theme is not in it)."""
    found = DRAWING.match(src)
    assert found is not None
    return f"{_OPEN}{found[1]}{_SPLIT}{html.escape(alt)}{_CLOSE}"


def put_drawings(rendered: str, drawings: Mapping[str, Drawing]) -> str:
    """Rendered Markdown with each drawing inline; without the theme's drawing, a plain image."""

    def put(match: re.Match[str]) -> str:
        drawing = drawings.get(match[1])
        if drawing is None:
            return f'<img src="../assets/{match[1]}" alt="{match[2]}">'
        return drawn_inline(drawing, match[2])

    return _MARKER.sub(put, rendered)
