"""Worksheet fields in the PDF: named after their labels, their text drawn on the ruled lines.

WeasyPrint leaves the drawing of text fields to the reader, and readers use their own line spacing."""

from __future__ import annotations

import io
import re
from typing import Any

import pydyf  # type: ignore[import-untyped]  # WeasyPrint's own PDF writer
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # WeasyPrint's own dependency
from weasyprint.formatting_structure import boxes

from .layout import PX, _boxes

MM = 72 / 25.4
"""PDF points per millimetre."""


RULE_MM = 0.5
"""How far above the bottom of each line of a worksheet field its ruled line ends (print.css)."""


_TEXT_FONT = re.compile(rb"/(\S+)\s+([\d.]+)\s+Tf")


def finish_form_fields(document: Any, pdf: Any) -> None:
    """Name each worksheet field after its label, and draw its text on its ruled lines.

    WeasyPrint names a field after its label only inside a <form>, and leaves the drawing of
    text fields to the reader (NeedAppearances), which puts the text at its own line spacing,
    off the lines. Here each field gets an appearance stream with its text where WeasyPrint
    wrapped it (the textarea is laid out hidden, at the ruled line height), one line on each
    rule. With an appearance for every text field, readers show and print ours and make a new
    one only when someone types.
    """
    form = pdf.catalog.get("AcroForm")
    if form is None:
        return
    labels: dict[str, str] = {}
    fields = []
    for page in document.pages:
        for box in _boxes(page._page_box):
            if box.element is None:
                continue
            if box.element.tag == "label" and box.element.get("for") and isinstance(box, boxes.BlockBox):
                labels[box.element.get("for")] = " ".join(_box_text(box).split())
            elif box.widget_annotation is not None and box.element.tag == "textarea":
                fields.append(box)
    fonts = {font.hash: font for font in document.fonts.values()}
    glyph_maps: dict[str, dict[int, int]] = {}
    drawn = 0
    for box in fields:
        field = box.widget_annotation
        label = labels.get(box.element.get("id", ""))
        if label:
            field["TU"] = pydyf.String(label)
        match = _TEXT_FONT.search(_pdf_bytes(field["DA"]))
        font = fonts.get(match.group(1).decode()) if match else None
        if match is None or font is None:
            continue
        if font.hash not in glyph_maps:
            glyph_maps[font.hash] = _glyph_ids(font.file_content, font.index)
        appearance = _appearance(box, field["Rect"], font.hash, float(match.group(2)), glyph_maps[font.hash])
        appearance.extra["Resources"] = form["DR"]
        pdf.add_object(appearance)
        field["AP"] = pydyf.Dictionary({"N": appearance.reference})
        drawn += 1
    text_fields = sum(1 for obj in pdf.objects if isinstance(obj, dict) and obj.get("FT") == "/Tx")
    if drawn == text_fields:
        form["NeedAppearances"] = "false"


def _appearance(box: Any, rect: Any, font_name: str, size: float, glyphs: dict[int, int]) -> Any:
    """A field's appearance: its lines of text, each just above its ruled line (see print.css)."""
    lines = ["".join(text.text for text in line.children if isinstance(text, boxes.TextBox)) for line in box.children]
    pitch = _line_pitch(box.style, size)
    x1, y1, x2, y2 = (float(v) for v in rect)
    width, height = abs(x2 - x1), abs(y1 - y2)
    rise = (RULE_MM + 0.25 * size / MM) * MM  # clear of the rule, descenders included
    operations = [b"/Tx BMC", b"q", b"BT", f"/{font_name} {size:g} Tf".encode(), b"0 g"]
    for number, text in enumerate(line.rstrip() for line in lines):
        baseline = height - (number + 1) * pitch + rise
        if text and baseline > 0:
            codes = "".join(f"{glyphs.get(ord(c), 0):04x}" for c in text)
            operations.append(f"1 0 0 1 1 {baseline:.2f} Tm <{codes}> Tj".encode())
    operations += [b"ET", b"Q", b"EMC"]
    bounds = pydyf.Array((0, 0, round(width, 2), round(height, 2)))
    return pydyf.Stream(operations, {"Type": "/XObject", "Subtype": "/Form", "BBox": bounds}, compress=True)


def _box_text(box: Any) -> str:
    """The text laid out inside a box."""
    return "".join(child.text for child in _boxes(box) if isinstance(child, boxes.TextBox))


def _pdf_bytes(value: Any) -> bytes:
    """The bytes of a pydyf string (or of a plain one)."""
    if isinstance(value, pydyf.String):
        value = value.string
    return value if isinstance(value, bytes) else str(value).encode()


def _line_pitch(style: Any, font_size_pt: float) -> float:
    """The ruled line spacing of a field, in points: its CSS line height."""
    line_height = style["line_height"]
    if getattr(line_height, "unit", None) == "px":
        return float(line_height.value) * PX
    return font_size_pt * 1.5


def _glyph_ids(font_file: bytes, index: int) -> dict[int, int]:
    """Character -> glyph id in an embedded font (WeasyPrint embeds form fonts whole)."""
    font = TTFont(io.BytesIO(font_file), fontNumber=index, lazy=True)
    return {char: font.getGlyphID(name) for char, name in font.getBestCmap().items()}
