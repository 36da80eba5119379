"""Site settings (guidegen.yaml): title, organization, languages, paper, sections, crisis lines."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from babel import Locale, UnknownLocaleError
from pydantic import Field, field_validator

from .errors import InvalidInput, Problem, display_path
from .schema import Frozen, Text, Whole, validate
from .yamlfile import read_yaml

SETTINGS_FILE = "guidegen.yaml"
MIN_PAGES = 8
"""The parts that are always printed (cover, contents, My plan, safety plan, back page) take about this many."""
Slug = Annotated[str, Field(strict=True, pattern=r"^[a-z0-9][a-z0-9-]*$")]


class Contact(Frozen):
    """How to reach the organization."""

    phone: Text | None = None
    """Main phone number."""
    web: Text | None = None
    """Web address."""


class CrisisLine(Frozen):
    """A crisis line shown on every page of every guide."""

    label: Text
    """What the line is, e.g. '988 Suicide & Crisis Lifeline'."""
    phone: Text
    """The number to call."""
    text: Text | None = None
    """A number that takes text messages, when different from `phone`."""


class CheckSettings(Frozen):
    """Limits used by `guidegen check` for editors."""

    max_grade: float = 8.0
    """Highest Flesch-Kincaid grade for English text."""
    min_reading_ease_es: float = 60.0
    """Lowest Fernández-Huerta reading ease for Spanish text (60-70 reads at about grade 8)."""
    review_age_days: Whole = 365
    """A module reviewed longer ago than this gets a warning."""


class PrintSettings(Frozen):
    """The printed guide."""

    pages: Annotated[Whole, Field(ge=MIN_PAGES)] = 24
    """Page budget of every printed guide, whatever the format (see docs/print.md)."""


class Settings(Frozen):
    """Everything in guidegen.yaml, validated."""

    title: Text = "My Recovery Guide"
    """The guide's title on the cover and in the browser."""
    organization: Text
    """Who gives the guide."""
    contact: Contact = Contact()
    """How to reach the organization."""
    base_url: Text | None = None
    """Where the web guides are published (for links and the QR code on the printed guide)."""
    languages: tuple[Annotated[str, Field(strict=True, pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")], ...] = ("en",)
    """Languages guides can be written in; the first is the default."""
    paper: Literal["letter", "a4"] = "letter"
    """Paper size for the PDF."""
    sections: tuple[Slug, ...]
    """Folders of content/, in the order they appear in a guide."""
    crisis: tuple[CrisisLine, ...]
    """Crisis lines on every page."""
    print: PrintSettings = PrintSettings()
    """The printed guide: its page budget."""
    output: Text = "site"
    """Output folder, relative to the project."""
    check: CheckSettings = CheckSettings()
    """Limits for `guidegen check`."""

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("list at least one language")
        for code in value:
            try:
                Locale.parse(code)
            except (UnknownLocaleError, ValueError):
                raise ValueError(f"'{code}' is not a language code babel knows (e.g. en, es)") from None
        if len(set(value)) != len(value):
            raise ValueError("a language is listed twice")
        return value

    @field_validator("sections", "crisis")
    @classmethod
    def _not_empty(cls, value: tuple[object, ...]) -> tuple[object, ...]:
        if not value:
            raise ValueError("list at least one")
        return value

    @field_validator("base_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("https://", "http://")):
            raise ValueError("expected a web address starting with https://")
        return value if value.endswith("/") else value + "/"

    @property
    def default_language(self) -> str:
        """The language of a profile that names none."""
        return self.languages[0]


def load_settings(project: Path) -> Settings:
    """Read and validate guidegen.yaml, or raise InvalidInput with every problem."""
    path = project / SETTINGS_FILE
    if not path.is_file():
        raise InvalidInput(
            [
                Problem(
                    display_path(path, project),
                    None,
                    "no guidegen.yaml here: is this a guidegen project? (guidegen init DIR makes one)",
                )
            ]
        )
    document, problems = read_yaml(path, project)
    if document is None:
        raise InvalidInput(problems)
    settings, problems = validate(Settings, document, display_path(path, project))
    if settings is None:
        raise InvalidInput(problems)
    return settings
