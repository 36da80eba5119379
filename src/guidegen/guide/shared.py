"""Shared blocks in one person's guide: each rendered once for them, shown in full where it first
appears and as a link back to that place after that ("See: How to give naloxone")."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from jinja2 import Template
from markupsafe import Markup

from ..project.profiles import Profile
from ..project.rules import holds
from ..project.shared import SharedBlock
from ..text.drawings import Drawing
from ..text.markdown import SHARED_MARKER, render_markdown
from ..text.personalise import personalise


@dataclass(frozen=True)
class SharedRender:
    """A shared block as one person reads it."""

    title: str
    """What the links back to it say."""
    html: Markup
    """The body, personalised and rendered (profile values already escaped)."""
    language: str
    """The language the text is in (the original's when there is no translation)."""


def blocks_used(bodies: Iterable[str]) -> set[str]:
    """The ids of the shared blocks that some rendered module bodies include."""
    return {block_id for body in bodies for block_id in SHARED_MARKER.findall(body)}


class Personalisable(Protocol):
    """A text of the library as guide/ renders it: a module's or a shared block's."""

    @property
    def source(self) -> str: ...
    @property
    def where(self) -> str: ...
    def template_for(self, formal: bool) -> Template: ...


def personalised_html(
    text: Personalisable,
    formal: bool,
    key: str,
    view: dict[str, object],
    strings: Mapping[str, str],
    sections: Mapping[str, str],
    language: str,
    drawings: Mapping[str, Drawing] | None,
) -> Markup:
    """A module's or a shared block's body, personalised for one reader and rendered to HTML;
    `key` names its worksheet fields."""
    personalised = personalise(text.template_for(formal), text.source, text.where, view, sections)
    body = render_markdown(
        personalised.markdown, module=key, person=view, strings=strings, language=language, drawings=drawings
    )
    return Markup(personalised.fill(body))


def render_shared(
    blocks: Mapping[str, SharedBlock],
    wanted: Iterable[str],
    person: Profile,
    language: str,
    view: dict[str, object],
    strings: Mapping[str, str],
    sections: Mapping[str, str],
    drawings: Mapping[str, Drawing] | None = None,
) -> dict[str, SharedRender]:
    """The `wanted` blocks that concern this person (their `when` holds), personalised like a module."""
    rendered = {}
    for block_id in sorted(wanted):
        block = blocks[block_id]
        if not holds(block.rule, person):
            continue
        text = block.text_for(language)
        body = personalised_html(text, person.formal, f"shared-{block_id}", view, strings, sections, language, drawings)
        rendered[block_id] = SharedRender(text.title_for(person.formal), body, text.language)
    return rendered


def place_shared(
    bodies: Sequence[str], blocks: Mapping[str, SharedRender], strings: Mapping[str, str], language: str
) -> list[Markup]:
    """Module bodies in guide order with each block in full the first time and a link back after
    that; a block that does not concern the person leaves nothing."""
    placed: set[str] = set()
    see = html.escape(strings.get("shared_see", "See"))
    page = html.escape(strings.get("page", "Page").lower())

    def put(match: re.Match[str]) -> str:
        block_id = match.group(1)
        block = blocks.get(block_id)
        if block is None:
            return ""
        if block_id in placed:
            return (
                f'<p class="shared-see"><a href="#shared-{block_id}" data-page="{page}">'
                f"{see}: {html.escape(block.title)}</a></p>\n"
            )
        placed.add(block_id)
        lang = f' lang="{block.language}"' if block.language != language else ""
        return f'<div class="shared-block" id="shared-{block_id}"{lang}>\n{block.html}</div>\n'

    return [Markup(SHARED_MARKER.sub(put, body)) for body in bodies]
