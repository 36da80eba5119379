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
Slug = Annotated[str, Field(strict=True, pattern=r"^[a-z0-9][a-z0-9-]*$")]


WEB_SCHEMES = ("https://", "http://")
"""The only kinds of address that become links: never javascript:, data: or file:."""


def web_address(value: str) -> str:
    """A web address that may become a link, or ValueError (without the value)."""
    if not value.lower().startswith(WEB_SCHEMES) or len(value) <= len("https://") or any(c.isspace() for c in value):
        raise ValueError("expected a web address starting with https:// (or http://)")
    return value


class Contact(Frozen):
    """How to reach the organization."""

    phone: Text | None = None
    """Main phone number."""
    web: Text | None = None
    """Web address (https:// or http:// only)."""

    @field_validator("web")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        return None if value is None else web_address(value)


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
    output: Text = "site"
    """Output folder, relative to the project."""
    check: CheckSettings = CheckSettings()
    """Limits for `guidegen check`."""

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("list at least one language")
        for index, code in enumerate(value):
            try:
                Locale.parse(code)
            except (UnknownLocaleError, ValueError, TypeError):
                raise ValueError(f"item {index + 1} is not a language code babel knows (e.g. en, es)") from None
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
        value = web_address(value)
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
