"""Page rendering: one personalised guide to the web page and to the print HTML for the PDF."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from babel.dates import format_date
from markupsafe import Markup

from .profiles import Profile
from .progress import Progress
from .settings import Settings
from .theme import Theme
from .vocabulary import Vocabulary
from .whatsnew import ChangeLine

WEB_TEMPLATE = "guide.html"
PRINT_TEMPLATE = "print.html"


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
    terms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Profile term fields as labels in the guide's language."""
    has_pdf: bool = True
    """Whether guide.pdf sits beside the web guide (so the page offers the download)."""
    progress: Progress = Progress()
    """Scores over time and reached goals ("My progress"); empty when there are none."""
    changes: tuple[ChangeLine, ...] = ()
    """What changed since this person's last guide ("What's new"); empty for a first guide."""

    @property
    def new_modules(self) -> frozenset[str]:
        """Modules this person did not get in their last guide (marked "New" on the web)."""
        return frozenset(c.module for c in self.changes if c.kind == "module_added" and c.module)


def _date_filter(language: str) -> Any:
    def format_day(value: date | None, style: str = "long") -> str:
        return "" if value is None else format_date(value, format=style, locale=language)

    return format_day


def term_labels(person: Profile, vocabulary: Vocabulary, default_language: str) -> dict[str, tuple[str, ...]]:
    """The person's terms in their language, by field."""
    language = person.language or default_language
    result: dict[str, tuple[str, ...]] = {}
    for name in vocabulary.fields:
        value = getattr(person, name, None)
        terms = (value,) if isinstance(value, str) else tuple(value or ())
        result[name] = tuple(vocabulary.labels(terms, language, default_language))
    return result


def _context(guide: Guide, settings: Settings, target: str) -> dict[str, Any]:
    return {
        "guide": guide,
        "person": guide.person,
        "settings": settings,
        "t": guide.strings,
        "lang": guide.language,
        "format_classes": " ".join(f"format-{f.replace('_', '-')}" for f in guide.person.format),
        "target": target,
    }


def render_web(guide: Guide, settings: Settings, theme: Theme, env: Any | None = None) -> str:
    """The one-page web guide (site/<id>/index.html)."""
    env = env or theme.page_environment()
    env.filters["day"] = _date_filter(guide.language)
    return str(env.get_template(WEB_TEMPLATE).render(_context(guide, settings, "web")))


def guide_url(settings: Settings, guide_id: str) -> str | None:
    """The person's web guide, `<base_url><id>/`, when the guides are published."""
    if not settings.base_url:
        return None
    return settings.base_url.rstrip("/") + "/" + guide_id + "/"


def qr_data_uri(url: str) -> str:
    """A QR code for `url` as an SVG data: URI (the PDF may load nothing else)."""
    import segno

    return str(segno.make(url, error="m", micro=False).svg_data_uri(border=4, dark="#000", light="#fff"))


def css_string(value: str) -> Markup:
    """A CSS string literal for a page template's <style> (UI strings in @page content)."""
    escaped = "".join(c if c.isalnum() or c in " .,:;!?'()-" else f"\\{ord(c):x} " for c in value)
    return Markup(f'"{escaped}"')


def render_print(
    guide: Guide,
    settings: Settings,
    theme: Theme,
    env: Any | None = None,
    extra: Mapping[str, Any] | None = None,
    *,
    fit: int = 0,
    safety_plan_only: bool = False,
) -> str:
    """The print HTML that WeasyPrint lays out into guide.pdf.

    `fit` tightens the safety plan card (0 to 4) when it does not fit on one page;
    `safety_plan_only` leaves out everything else, to measure that page quickly.
    """
    env = env or theme.page_environment()
    env.filters["day"] = _date_filter(guide.language)
    env.filters["css_string"] = css_string
    url = guide_url(settings, guide.person.id)
    context = {
        **_context(guide, settings, "print"),
        "guide_url": url,
        "qr_code": qr_data_uri(url) if url and not safety_plan_only else None,
        "fit": fit,
        "safety_plan_only": safety_plan_only,
        **(extra or {}),
    }
    return str(env.get_template(PRINT_TEMPLATE).render(context))
