"""What one person gets: their modules selected, personalised and rendered to HTML fragments,
with the dates and labels the page templates show. Nothing here writes a file.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from markupsafe import Markup

from ..errors import InvalidInput
from ..project.content import Module, modules_by_section, section_titles
from ..project.profiles import Profile
from ..project.rules import holds, select_modules
from ..project.vocabulary import Vocabulary
from ..text.drawings import Drawing
from .progress import Progress, progress_for
from .shared import SharedRender, blocks_used, personalised_html, place_shared, render_shared
from .tiers import Tier, in_reading_order, ranked, struggles_of, tier_of

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
    marked: str = ""
    """The body with a marker where each shared block goes (see with_shared_placed); empty for a
    module made without any, whose `html` is then kept as it is."""


@dataclass(frozen=True)
class StartItem:
    """One line of "Start here": a part of the guide, and why it matters for this person."""

    target: str
    """The id of the part it links to (m-<module id>, safety-plan)."""
    title: str
    why: str
    """One line, in the person's language."""


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
    tiers: Mapping[str, Tier] = field(default_factory=dict)
    """Each module's tier for this person (guide/tiers.py), by module id."""
    start_here: tuple[StartItem, ...] = ()
    """The pages most important for this person, most important first ("Start here")."""
    crisis: tuple[int, ...] | None = None
    """The crisis lines in settings that fit this person, by position (None: every line)."""
    shared: Mapping[str, SharedRender] = field(default_factory=dict)
    """The shared blocks its modules include that concern this person, rendered for them."""

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
    module: Module,
    language: str,
    view: dict[str, object],
    strings: Mapping[str, str],
    sections: Mapping[str, str],
    drawings: Mapping[str, Drawing] | None = None,
) -> GuideModule:
    """One module personalised for a person and rendered to an HTML fragment; `sections` are the
    guide's section headings, which a module may name (`{{ sections.coping }}`); `drawings` the
    theme's figure drawings. A person whose profile says `formal` reads the usted form of a text
    that has one."""
    text, untranslated = module.text_for(language)
    formal = bool(view.get("formal"))
    title, summary = text.heading(formal)
    marked = personalised_html(text, formal, module.id, view, strings, sections, language, drawings)
    return GuideModule(module.id, title, summary, marked, untranslated, text.language, marked)


def with_shared_placed(guide: Guide) -> Guide:
    """The guide with each shared block in full where it first appears and a link back after that;
    made again for a printed guide with fewer modules, so paper links only to what is on paper."""
    modules = [module for section in guide.sections for module in section.modules]
    bodies = iter(place_shared([m.marked or m.html for m in modules], guide.shared, guide.strings, guide.language))
    sections = tuple(
        replace(section, modules=tuple(replace(m, html=next(bodies)) for m in section.modules))
        for section in guide.sections
    )
    return replace(guide, sections=sections)


def make_guide(project: Project, person: Profile) -> Guide:
    """Select, personalise and render the modules for one person."""
    language = person.language or project.settings.default_language
    strings = project.theme.strings_for(language, person.formal)
    view = person.template_view()
    titles = section_titles(project.settings.sections, strings)
    selected = select_modules(person, project.modules)
    struggles = struggles_of(person, project.vocabulary)
    tiers = {module.id: tier_of(module, person, struggles) for module in selected}
    sections = []
    try:
        for section_id, modules in modules_by_section(in_reading_order(selected, tiers)).items():
            rendered = tuple(
                render_module(module, language, view, strings, titles, project.theme.drawings) for module in modules
            )
            sections.append(GuideSection(section_id, titles[section_id], rendered))
        wanted = blocks_used(m.marked for section in sections for m in section.modules)
        shared = render_shared(project.blocks, wanted, person, language, view, strings, titles, project.theme.drawings)
    except InvalidInput as error:
        raise InvalidInput(p.adding(f"building guide {person.id}") for p in error.problems) from None
    made = guide_date([entry.date for entry in person.review.history])
    terms = term_labels(person, project.vocabulary, project.settings.default_language)
    progress = progress_for(person, project.vocabulary, language, project.settings.default_language, strings)
    shown = {module.id: module for section in sections for module in section.modules}
    labels = functools.partial(term_label, project.vocabulary, language, project.settings.default_language)
    start = start_here(person, ranked(selected, tiers), tiers, shown, labels, strings)
    crisis = tuple(i for i, rule in enumerate(project.crisis_rules) if rule is None or holds(rule, person))
    guide = Guide(
        person,
        language,
        made,
        tuple(sections),
        strings,
        terms,
        progress=progress,
        tiers=tiers,
        start_here=start,
        crisis=crisis,
        shared=shared,
    )
    return with_shared_placed(guide)


START_HERE = (3, 5)
"""Fewest and most pages "Start here" lists."""
PLAN_FIRST = frozenset({"suicide_risk", "firearm_access"})
"""Risk terms that put "My safety plan" first in "Start here"."""


def start_here(
    person: Profile,
    modules: Sequence[Module],
    tiers: Mapping[str, Tier],
    shown: Mapping[str, GuideModule],
    labels: Callable[[str, str], str],
    strings: Mapping[str, str],
) -> tuple[StartItem, ...]:
    """The three to five parts most important for this person: My safety plan first when they are at
    risk, then their own pages by tier; pages for everyone only to make up three."""
    items = []
    if PLAN_FIRST & set(person.risk_terms()):
        items.append(StartItem("safety-plan", strings["safety_plan"], strings["why_plan"]))
    own = [m for m in modules if tiers[m.id].name != "everyone"]
    for_all = [m for m in modules if tiers[m.id].name == "everyone"]
    room = START_HERE[1] - len(items)
    chosen = own[:room] + for_all[: max(0, START_HERE[0] - len(items) - len(own))]
    for module in chosen:
        why = why_line(tiers[module.id], labels, strings)
        items.append(StartItem(f"m-{module.id}", shown[module.id].title, why))
    return tuple(items)


def why_line(tier: Tier, labels: Callable[[str, str], str], strings: Mapping[str, str]) -> str:
    """Why a page matters for this person, in one line of their language."""
    if tier.name == "safety" and any(key == "risk" for key, _ in tier.because):
        return strings["why_risk"]
    words = []
    for key, term in tier.because:
        label = labels(key, term)
        if label not in words:
            words.append(label)
    return strings[f"why_{tier.name}"].format(terms=", ".join(words))


def term_label(vocabulary: Vocabulary, language: str, fallback: str, key: str, term: str) -> str:
    """A profile term (or a measure's name) in the reader's language."""
    measure = vocabulary.measures.get(term) if key == "measures" else None
    if measure is not None:
        return measure.labels.get(language) or measure.labels.get(fallback) or term
    return vocabulary.label(term, language, fallback)
