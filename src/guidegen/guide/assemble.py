"""What one person gets: their modules selected, personalised and rendered to HTML fragments,
with the dates and labels the page templates show. Nothing here writes a file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from markupsafe import Markup

from ..errors import InvalidInput
from ..project.content import Module, modules_by_section, section_titles
from ..project.profiles import Profile
from ..project.rules import select_modules
from ..project.vocabulary import Vocabulary
from ..text.markdown import render_markdown
from ..text.personalise import personalise
from .progress import Progress, progress_for

if TYPE_CHECKING:
    from ..project.load import Project  # a type only: the project loads before any guide is made


@dataclass(frozen=True)
class ChangeLine:
    """One change as the page shows it."""

    kind: str
    """One of KINDS."""
    text: str | None = None
    """A module's title, a goal in the person's words, or a stage's label."""
    module: str | None = None
    """The module id, to link to it."""
    day: date | None = None
    """The new review date."""


@dataclass(frozen=True)
class GuideModule:
    """A selected module, personalised and rendered for one person."""

    id: str
    title: str
    summary: str
    html: Markup
    """The body as safe HTML (profile values already escaped)."""
    untranslated: bool
    """True when shown in the default language because no translation exists."""
    language: str
    """The language the text is in."""


@dataclass(frozen=True)
class GuideSection:
    """One section of a guide with its selected modules."""

    id: str
    title: str
    modules: tuple[GuideModule, ...]


@dataclass(frozen=True)
class Guide:
    """Everything one person's guide shows, ready for the page templates."""

    person: Profile
    language: str
    made: date
    """The date printed on the cover."""
    sections: tuple[GuideSection, ...]
    strings: Mapping[str, str]
    """The theme's UI strings in the guide's language."""
    terms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Profile term fields as labels in the guide's language."""
    has_pdf: bool = True
    """Whether the printable guide sits beside the web guide (so the page offers the download)."""
    link: str | None = None
    """The person's private link (what their QR code holds), when it is known."""
    progress: Progress = Progress()
    """Scores over time and reached goals ("My progress"); empty when there are none."""
    changes: tuple[ChangeLine, ...] = ()
    """What changed since this person's last guide ("What's new"); empty for a first guide."""

    @property
    def new_modules(self) -> frozenset[str]:
        """Modules this person did not get in their last guide (marked "New" on the web)."""
        return frozenset(c.module for c in self.changes if c.kind == "module_added" and c.module)


def guide_date(reviews: Sequence[date]) -> date:
    """The date on the cover: SOURCE_DATE_EPOCH, else the latest review, else today."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC).date()
    if reviews:
        return max(reviews)
    return date.today()


def term_labels(person: Profile, vocabulary: Vocabulary, default_language: str) -> dict[str, tuple[str, ...]]:
    """The person's terms in their language, by field."""
    language = person.language or default_language
    result: dict[str, tuple[str, ...]] = {}
    for name in vocabulary.fields:
        value = getattr(person, name, None)
        terms = (value,) if isinstance(value, str) else tuple(value or ())
        result[name] = tuple(vocabulary.labels(terms, language, default_language))
    return result


def render_module(
    module: Module, language: str, view: dict[str, object], strings: Mapping[str, str], sections: Mapping[str, str]
) -> GuideModule:
    """One module personalised for a person and rendered to an HTML fragment; `sections` are the
    guide's section headings, which a module may name (`{{ sections.coping }}`)."""
    text, untranslated = module.text_for(language)
    personalised = personalise(text.template, text.source, text.where, view, sections)
    body = render_markdown(personalised.markdown, module=module.id, person=view, strings=strings, language=language)
    return GuideModule(
        module.id, text.title, text.summary, Markup(personalised.fill(body)), untranslated, text.language
    )


def make_guide(project: Project, person: Profile) -> Guide:
    """Select, personalise and render the modules for one person."""
    language = person.language or project.settings.default_language
    strings = project.theme.strings[language]
    view = person.template_view()
    titles = section_titles(project.settings.sections, strings)
    sections = []
    try:
        for section_id, modules in modules_by_section(select_modules(person, project.modules)).items():
            rendered = tuple(render_module(module, language, view, strings, titles) for module in modules)
            sections.append(GuideSection(section_id, titles[section_id], rendered))
    except InvalidInput as error:
        raise InvalidInput(p.adding(f"building guide {person.id}") for p in error.problems) from None
    made = guide_date([entry.date for entry in person.review.history])
    terms = term_labels(person, project.vocabulary, project.settings.default_language)
    progress = progress_for(person, project.vocabulary, language, project.settings.default_language, strings)
    return Guide(person, language, made, tuple(sections), strings, terms, progress=progress)
