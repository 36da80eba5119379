"""Markdown to HTML for module bodies: CommonMark with tables, callouts, worksheets and shared blocks.

Raw HTML is off. Links may only go to web addresses, `tel:`, `mailto:` and `#anchors`; images
may only come from the theme's assets/ folder or `data:` URLs, and say what they show (alt text).
A `::: figure` holds numbered panels; its drawings (assets/figures/*.svg) are put into the page
inline, so they take the text colour (drawings.py). `lint_markdown` finds every
breach in a module's source at load time, so the build can refuse the module with file:line.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from functools import lru_cache
from html.parser import HTMLParser
from typing import Any

from babel.dates import format_date
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin

from ..errors import Problem
from .drawings import DRAWING, Drawing, drawing_marker, put_drawings

CALLOUTS = ("tip", "warning", "crisis")
FILL_FIELDS = ("reasons", "goals", "triggers", "warning_signs", "coping", "people", "care_team")
_DIRECTIVE = re.compile(r"\s*\{\s*((?:[a-z_]+=[A-Za-z0-9_-]+\s*)+)\}\s*$")
_LINK_OK = re.compile(r"^(?:https?://|mailto:|tel:|#)", re.IGNORECASE)
_DATA_IMAGE = re.compile(r"^data:image/(?:png|jpeg|gif|webp|svg\+xml);", re.IGNORECASE)
_ASSET = re.compile(r"^assets/(?!.*\.\.)[A-Za-z0-9_./-]+\Z")
_PLACEHOLDER = "\ue000"
_FIELD_OPEN, _FIELD_CLOSE = "\ue002", "\ue003"
_FIELD = re.compile(f"{_FIELD_OPEN}([^{_FIELD_CLOSE}]*){_FIELD_CLOSE}")
DEFAULT_LINES = 3
SHARED_OPEN, SHARED_CLOSE = "\ue004", "\ue005"
SHARED_MARKER = re.compile(f"{SHARED_OPEN}([a-z0-9-]+){SHARED_CLOSE}")
"""Where a `::: shared <id>` directive stood in rendered HTML: the guide puts the block or a link there."""
_SHARED_LINE = re.compile(r"^[ ]{0,3}:::[ \t]*shared\b(?P<rest>.*)$")
_SHARED_ID = re.compile(r"^[ \t]+(?P<id>[a-z0-9][a-z0-9-]*)[ \t]*$")


def _worksheet_fields(state: StateCore) -> None:
    """Mark the list items inside `::: worksheet` as fields and read their {fill= lines=}."""
    depth = 0
    count = 0
    for token in state.tokens:
        if token.type == "container_worksheet_open":
            depth += 1
            count += 1
            token.meta["worksheet"] = count
        elif token.type == "container_worksheet_close":
            depth -= 1
        elif depth and token.type in (
            "bullet_list_open",
            "bullet_list_close",
            "ordered_list_open",
            "ordered_list_close",
        ):
            token.meta["worksheet"] = True
        elif depth and token.type == "list_item_open":
            token.meta["field"] = {}
        elif depth and token.type in ("paragraph_open", "paragraph_close") and token.level >= 2:
            token.hidden = True
        elif depth and token.type == "inline":
            match = _DIRECTIVE.search(token.content)
            if match:
                token.content = token.content[: match.start()]
                token.meta["directive"] = match.group(1)
                token.meta["line"] = token.map[0] + 1 if token.map else None


def _shared_directive(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """`::: shared <id>` on a line of its own: one token, no closing `:::`."""
    line = state.src[state.bMarks[start] : state.eMarks[start]]
    directive = _SHARED_LINE.match(line)
    found = _SHARED_ID.match(directive["rest"]) if directive else None
    if found is None:
        return False
    if not silent:
        token = state.push("shared_block", "", 0)
        token.info = found["id"]
        token.map = [start, start + 1]
    state.line = start + 1
    return True


def shared_references(source: str) -> list[tuple[int, str | None]]:
    """Each `::: shared` directive in a source as (line, id); the id is None when the line is not
    `::: shared <id>` alone (an id written by a template, or words after it)."""
    found: list[tuple[int, str | None]] = []
    for number, line in enumerate(source.split("\n"), start=1):
        directive = _SHARED_LINE.match(line)
        if directive:
            named = _SHARED_ID.match(directive["rest"])
            found.append((number, named["id"] if named else None))
    return found


def _make_parser(validate_everything: bool) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": validate_everything, "linkify": False, "typographer": False})
    md.enable("table")
    for name in (*CALLOUTS, "worksheet", "figure"):
        container_plugin(md, name)
    md.block.ruler.before(
        "fence", "shared_block", _shared_directive, {"alt": ["paragraph", "reference", "blockquote", "list"]}
    )
    md.core.ruler.before("inline", "worksheet_fields", _worksheet_fields)
    if validate_everything:
        md.validateLink = lambda url: True  # type: ignore[method-assign]  # the linter judges links itself
    else:
        md.validateLink = lambda url: bool(  # type: ignore[method-assign]
            _LINK_OK.match(url) or _ASSET.match(url) or _DATA_IMAGE.match(url) or url.startswith("../assets/")
        )
    return md


_RENDER = _make_parser(validate_everything=False)
_LINT = _make_parser(validate_everything=True)


def _directive_fields(text: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in text.split())


def lint_markdown(source: str, where: str, asset_exists: Callable[[str], bool]) -> list[Problem]:
    """Every breach of the module rules in a module body (lines are the source's lines)."""
    problems: list[Problem] = []
    block_line: int | None = None
    for token in _LINT.parse(source):
        if token.map:
            block_line = token.map[0] + 1
        messages = _block_breaches(token)
        for child in token.children or ():
            messages.extend(_inline_breaches(child, asset_exists))
        problems.extend(Problem(where, block_line, message) for message in messages)
    return problems


def _block_breaches(token: Token) -> list[str]:
    """What is wrong with a block token: raw HTML, a top-level heading, worksheet settings."""
    if token.type == "html_block":
        return ["raw HTML is not allowed in modules: use Markdown (callouts with ::: tip, ::: warning ...)"]
    if token.type == "container_figure_open" and not token.info.strip()[len("figure") :].strip():
        return ["a figure needs a title: ::: figure <what it shows>"]
    if token.type == "heading_open" and token.tag == "h1":
        return ["use ## for headings inside a module (the module title is the top heading)"]
    if token.type != "inline" or "directive" not in token.meta:
        return []
    messages = []
    for key, value in _directive_fields(token.meta["directive"]).items():
        if key == "fill" and value not in FILL_FIELDS:
            messages.append(
                f"worksheet: fill={value} is not a field that can pre-fill (expected one of: {', '.join(FILL_FIELDS)})"
            )
        elif key == "lines" and not (value.isdigit() and 1 <= int(value) <= 30):
            messages.append("worksheet: lines= expects a number from 1 to 30")
        elif key not in ("fill", "lines"):
            messages.append(f"worksheet: unknown setting '{key}' (expected fill= or lines=)")
    return messages


def _inline_breaches(child: Token, asset_exists: Callable[[str], bool]) -> list[str]:
    """What is wrong with an inline token: raw HTML, a link or an image from where they may not come."""
    if child.type == "html_inline":
        return ["raw HTML is not allowed in modules: use Markdown"]
    if child.type == "link_open":
        href = str(child.attrs.get("href", ""))
        if _PLACEHOLDER in href or "{{" in href:
            return ["a link address may not come from the profile"]
        if not _LINK_OK.match(href):
            return [f"link to '{href}' is not allowed: use https://, tel:, mailto: or #anchor"]
    if child.type == "image":
        src = str(child.attrs.get("src", ""))
        if _PLACEHOLDER in src or "{{" in src:
            return ["an image address may not come from the profile"]
        if not "".join(c.content for c in child.children or ()).strip():
            return ["an image needs a text alternative that says what it shows: ![what it shows](...)"]
        if _DATA_IMAGE.match(src):
            return []
        if not _ASSET.match(src):
            return [f"image '{src}' is not allowed: images must come from the theme's assets/ folder or a data: URL"]
        if not asset_exists(src[len("assets/") :]):
            return [f"image '{src}' does not exist in the theme's assets/ folder"]
    return []


def worksheet_shape(source: str) -> list[list[str]]:
    """Each worksheet as the list of its prompts' {fill= lines=} settings."""
    shapes: list[list[str]] = []
    inside = 0
    for token in _LINT.parse(source):
        if token.type == "container_worksheet_open":
            inside += 1
            shapes.append([])
        elif token.type == "container_worksheet_close":
            inside -= 1
        elif inside and token.type == "list_item_open":
            shapes[-1].append("")
        elif inside and token.type == "inline" and shapes and shapes[-1]:
            shapes[-1][-1] = " ".join(sorted(token.meta.get("directive", "").split()))
    return shapes


def prefill(person: Mapping[str, Any], field: str, language: str = "en") -> str:
    """What the profile already says for a worksheet field, one entry a line (dates written the
    way the guide's language writes them)."""
    lines: list[str] = []
    for item in person.get(field) or ():
        if field == "goals":
            by = item.get("by")
            lines.append(
                item["text"] + (f" ({format_date(by, format='long', locale=language)})" if isinstance(by, date) else "")
            )
        elif field in ("people", "care_team"):
            extra = item.get("relation") or item.get("role")
            parts = [item["name"] + (f" ({extra})" if extra else "")]
            if item.get("phone"):
                parts.append(item["phone"])
            lines.append(" — ".join(parts))
        else:
            lines.append(str(item))
    return "\n".join(lines)


class _GuideRenderer(RendererHTML):
    """Renders callouts and worksheets; everything else is CommonMark's own HTML."""

    def container_open(self, tokens: Sequence[Token], idx: int, env: dict[str, Any], kind: str) -> str:
        token = tokens[idx]
        words = env["strings"]
        title = token.info.strip()[len(kind) :].strip() or words.get(kind, kind.title())
        # A box that is always on the page is not an alert: screen readers would announce each one.
        return f'<aside class="callout callout-{kind}" role="note"><p class="callout-title">{html.escape(title)}</p>\n'

    def render_worksheet_open(self, tokens: Sequence[Token], idx: int, env: dict[str, Any]) -> str:
        token = tokens[idx]
        title = token.info.strip()[len("worksheet") :].strip() or env["strings"].get("worksheet", "Worksheet")
        number = token.meta["worksheet"]
        env["_worksheet"] = number
        env["_field"] = 0
        heading_id = f"ws-{env['module']}-{number}"
        return (
            f'<div class="worksheet" role="group" aria-labelledby="{heading_id}">'
            f'<h4 class="worksheet-title" id="{heading_id}">{html.escape(title)}</h4>\n'
        )

    def list_item_open_field(self, tokens: Sequence[Token], idx: int, env: dict[str, Any]) -> str:
        env["_field"] += 1
        field_id = f"ws-{env['module']}-{env['_worksheet']}-{env['_field']}"
        settings: dict[str, str] = {}
        for inner in tokens[idx:]:
            if inner.type == "inline":
                settings = _directive_fields(inner.meta.get("directive", ""))
                break
        env["_pending"] = (field_id, settings)
        return f'<div class="ws-field"><label for="{field_id}">'

    def list_item_close_field(self, tokens: Sequence[Token], idx: int, env: dict[str, Any]) -> str:
        field_id, settings = env.pop("_pending")
        # The field itself is a marker: its pre-filled value belongs to one person, while this
        # HTML is cached and shared by everyone whose personalised Markdown is the same.
        marker = f"{field_id}|{settings.get('fill', '')}|{int(settings.get('lines', DEFAULT_LINES))}"
        return f"</label>{_FIELD_OPEN}{marker}{_FIELD_CLOSE}</div>\n"

    def container(self, tokens: Sequence[Token], idx: int, env: dict[str, Any]) -> str:
        """The start or end of a callout, a worksheet or a figure (numbered panels under a title)."""
        token = tokens[idx]
        name = token.type[len("container_") :].rpartition("_")[0]
        env["_figure"] = name == "figure" and token.nesting == 1
        if token.nesting == -1:
            return {"worksheet": "</div>\n", "figure": "</figure>\n"}.get(name, "</aside>\n")
        if name == "worksheet":
            return self.render_worksheet_open(tokens, idx, env)
        if name == "figure":
            title = html.escape(token.info.strip()[len("figure") :].strip())
            return f'<figure class="figure"><figcaption class="figure-title">{title}</figcaption>\n'
        return self.container_open(tokens, idx, env, name)

    def render(self, tokens: Sequence[Token], options: Any, env: Any) -> str:
        out = []
        for idx, token in enumerate(tokens):
            kind = token.type
            if env.get("_caption") and kind in ("paragraph_close", "list_item_close"):
                out.append("</span>")  # a panel's caption ends with its paragraph or list item
                env["_caption"] = False
            if kind.startswith("container_"):
                out.append(self.container(tokens, idx, env))
            elif kind == "shared_block":
                out.append(f"{SHARED_OPEN}{token.info}{SHARED_CLOSE}\n")
            elif token.meta.get("worksheet") is True:
                out.append('<div class="ws-fields">\n' if token.nesting == 1 else "</div>\n")
            elif kind == "list_item_open" and "field" in token.meta:
                out.append(self.list_item_open_field(tokens, idx, env))
            elif kind == "list_item_close" and "_pending" in env:
                out.append(self.list_item_close_field(tokens, idx, env))
            elif kind in ("heading_open", "heading_close"):
                level = min(int(token.tag[1]) + 2, 6)
                out.append(f"<h{level}>" if token.nesting == 1 else f"</h{level}>\n")
            elif kind == "inline":
                out.append(self.renderInline(token.children or [], options, env))
            elif kind == "image":
                out.append(self.renderInline([token], options, env))
            elif kind in self.rules:
                out.append(self.rules[kind](tokens, idx, options, env))
            else:
                out.append(self.renderToken(tokens, idx, options, env))
        return "".join(out)

    def image(self, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        token = tokens[idx]
        src = str(token.attrs.get("src", ""))
        if DRAWING.match(src):  # drawn inline by render_markdown, from the theme's drawings
            marker = drawing_marker(src, self.renderInlineAsText(token.children or [], options, env))
            env["_caption"] = env.get("_figure", False)  # in a figure, what follows is the caption
            return marker + ('<span class="figure-caption">' if env["_caption"] else "")
        if src.startswith("assets/"):
            token.attrSet("src", env.get("asset_prefix", "../") + src)
        return super().image(tokens, idx, options, env)


_RENDER.renderer = _GuideRenderer(_RENDER)


@lru_cache(maxsize=8192)
def _render_cached(source: str, module: str, callout_titles: tuple[str, ...]) -> str:
    strings = dict(zip((*CALLOUTS, "worksheet"), callout_titles, strict=True))
    return str(_RENDER.render(source, {"module": module, "strings": strings}))


def _field_html(person: Mapping[str, Any], marker: str, language: str) -> str:
    field_id, fill, lines_text = marker.split("|")
    value = prefill(person, fill, language) if fill else ""
    lines = max(int(lines_text), value.count("\n") + 1) if value else int(lines_text)
    return (
        f'<textarea id="{field_id}" name="{field_id}" rows="{lines}" '
        f'style="--lines: {lines}" data-lines="{lines}">{html.escape(value)}</textarea>'
    )


def render_markdown(
    source: str,
    *,
    module: str,
    person: Mapping[str, Any],
    strings: Mapping[str, str],
    language: str = "en",
    drawings: Mapping[str, Drawing] | None = None,
) -> str:
    """Render a personalised module body to an HTML fragment; `drawings` are the theme's figure
    drawings by their path under assets/.

    Rendering is cached on the personalised source: profile values are placeholders by then,
    so people whose templates took the same branches share one rendering.
    """
    titles = tuple(strings.get(name, name.title()) for name in (*CALLOUTS, "worksheet"))
    rendered = _render_cached(source, module, titles)
    rendered = put_drawings(rendered, drawings or {})
    return _FIELD.sub(lambda match: _field_html(person, match.group(1), language), rendered)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("textarea", "script", "style"):
            self.skip += 1
        elif tag in ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "label", "td", "th", "br"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("textarea", "script", "style"):
            self.skip -= 1
        elif tag in ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "label", "td", "th"):
            self.parts.append(".\n")  # a block ends a sentence, even without a full stop

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_to_text(fragment: str) -> str:
    """The words a reader sees in an HTML fragment (for reading-level checks)."""
    parser = _TextExtractor()
    parser.feed(fragment)
    parser.close()
    text = SHARED_MARKER.sub("", "".join(parser.parts))
    text = re.sub(r"([.!?:;])\.\n", r"\1\n", text)
    return re.sub(r"[ \t]+", " ", text).strip()
