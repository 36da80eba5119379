"""Site settings (guidegen.yaml): title, organization, languages, paper, sections, crisis lines.

Every text that settings put in front of the person (title, organization, contact note, crisis
labels and notes) is one string or a map with one value per language; `Settings.in_language`
resolves them before a page is rendered, so templates only ever see plain strings.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal

from babel import Locale, UnknownLocaleError
from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from ..errors import InvalidInput, Problem, display_path
from ..text.formal import alternation_problems, choose
from .schema import Frozen, Text, Whole, key_text, validate
from .yamlfile import YamlDocument, read_yaml

SETTINGS_FILE = "guidegen.yaml"
MIN_PAGES = 8
"""The parts that are always printed (cover, contents, My plan, safety plan, back page) take about this many."""
Slug = Annotated[str, Field(strict=True, pattern=r"^[a-z0-9][a-z0-9-]*$")]
Localized = Annotated[
    Annotated[Text, Tag("str")] | Annotated[dict[str, Text], Tag("dict[language]")],
    Discriminator(lambda value: "dict[language]" if isinstance(value, dict) else "str"),
]
"""Text the person reads: one string, or one per language ({en: ..., es: ...}).

The discriminator picks one branch, so a wrong value gets one message, not one per branch
(the tags are named so that `schema.validate` leaves them out of the key it shows)."""


def in_language(value: Localized, language: str, default: str) -> str:
    """The text of a Localized value in `language` (a loaded map always has every language)."""
    if isinstance(value, str):
        return value
    return value.get(language) or value[default]


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
    note: Localized | None = None
    """A short note shown with the contact details, e.g. opening hours."""

    @field_validator("web")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        return None if value is None else web_address(value)


class CrisisLine(Frozen):
    """A crisis line shown on every page of every guide."""

    label: Localized
    """What the line is, e.g. '988 Suicide & Crisis Lifeline'; per language when it differs."""
    phone: Text
    """The number to call."""
    text: Text | None = None
    """A number that takes text messages, when different from `phone`."""
    note: Localized | None = None
    """A short note under the line, e.g. when it is open or how to reach a counselor in a language."""
    when: dict[str, Any] | None = None
    """Who the line is for, in the modules' rule language (e.g. `{population: [veteran]}`); without
    it, everyone. Checked against the vocabulary when the project loads."""


class CheckSettings(Frozen):
    """Limits used by `guidegen check` for editors."""

    max_grade: float = 8.0
    """Highest Flesch-Kincaid grade for English text."""
    min_reading_ease_es: float = 60.0
    """Lowest Fernández-Huerta reading ease for Spanish text (60-70 reads at about grade 8)."""
    review_age_days: Whole = 365
    """A module reviewed longer ago than this gets a warning."""


class WebSettings(Frozen):
    """How web guides are published."""

    access: Literal["private", "open"] = "private"
    """private: each guide is sealed for its person (the key is in their link); open: plain pages."""


class FhirImport(Frozen):
    """How `guidegen import fhir` reads the clinic's records."""

    id_system: Text | None = None
    """The Patient identifier system whose value becomes the profile id (e.g. the clinic's record number)."""


class ImportSettings(Frozen):
    """Settings for importing profiles from the clinic's record system."""

    fhir: FhirImport = FhirImport()
    """FHIR R4 import (`guidegen import fhir`)."""


class PrintSettings(Frozen):
    """The printed guide."""

    pages: Annotated[Whole, Field(ge=MIN_PAGES)] = 24
    """Page budget of every printed guide, whatever the format (see docs/print.md)."""


class Settings(Frozen):
    """Everything in guidegen.yaml, validated."""

    title: Localized = "My Recovery Guide"
    """The guide's title on the cover and in the browser."""
    organization: Localized
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
    """What may be published (web guides, shared assets), relative to the project."""
    print_output: Text = "print"
    """Print guides for staff (print/<id>.pdf), relative to the project; never published."""
    web: WebSettings = WebSettings()
    """How web guides are published."""
    check: CheckSettings = CheckSettings()
    """Limits for `guidegen check`."""
    import_: ImportSettings = Field(default=ImportSettings(), alias="import")
    """Importing profiles from the clinic's record system (`import: {fhir: {id_system: ...}}`)."""

    @model_validator(mode="after")
    def _staff_files_stay_out_of_the_published_folder(self) -> Settings:
        published = PurePosixPath(self.output)
        for name, value in (("print_output", self.print_output), ("the project state", ".guidegen")):
            kept = PurePosixPath(value)
            if kept == published or published in kept.parents or published == PurePosixPath("."):
                raise ValueError(f"output: {name} may not be inside the published folder")
        return self

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

    def in_language(self, language: str, formal: bool = False) -> Settings:
        """These settings with every per-language text resolved to `language` (for page templates),
        in the usted form for a person whose profile says `formal`."""

        def text(value: Localized) -> str:
            return choose(in_language(value, language, self.default_language), formal)

        def maybe(value: Localized | None) -> str | None:
            return None if value is None else text(value)

        contact = self.contact.model_copy(update={"note": maybe(self.contact.note)})
        crisis = tuple(
            line.model_copy(update={"label": text(line.label), "note": maybe(line.note)}) for line in self.crisis
        )
        return self.model_copy(
            update={
                "title": text(self.title),
                "organization": text(self.organization),
                "contact": contact,
                "crisis": crisis,
            }
        )


def _localized_texts(settings: Settings) -> list[tuple[tuple[str | int, ...], Localized | None]]:
    """Every per-language text of the settings, with its key."""
    found: list[tuple[tuple[str | int, ...], Localized | None]] = [
        (("title",), settings.title),
        (("organization",), settings.organization),
        (("contact", "note"), settings.contact.note),
    ]
    for index, line in enumerate(settings.crisis):
        found += [(("crisis", index, "label"), line.label), (("crisis", index, "note"), line.note)]
    return found


def language_problems(settings: Settings, document: YamlDocument, where: str) -> list[Problem]:
    """A text given per language must give exactly the languages of `languages`."""
    problems = []
    for key, value in _localized_texts(settings):
        problems += _alternation_problems(key, value, settings, document, where)
        if not isinstance(value, dict):
            continue
        name = key_text(key)
        missing = [language for language in settings.languages if language not in value]
        if missing:
            problems.append(
                Problem(
                    where,
                    document.line(key),
                    f"{name}: give this text in every language of `languages` (missing: {', '.join(missing)}), or give one text for all",
                )
            )
        for language in value:
            if language not in settings.languages:
                problems.append(
                    Problem(
                        where,
                        document.line((*key, language)),
                        f"{name}.{language}: '{language}' is not in `languages` ({', '.join(settings.languages)})",
                    )
                )
    return problems


def _alternation_problems(
    key: tuple[str | int, ...], value: Localized | None, settings: Settings, document: YamlDocument, where: str
) -> list[Problem]:
    """((tú|usted)) alternations only in a Spanish text, and well formed; one text for every
    language is read in each of them."""
    if value is None:
        return []
    texts = value.items() if isinstance(value, dict) else [(language, value) for language in settings.languages]
    found: list[Problem] = []
    for language, text in texts:
        line = document.line((*key, language) if isinstance(value, dict) else key)
        for problem in alternation_problems(text, where, language, line or 1, key_text(key)):
            if problem not in found:
                found.append(problem)
    return found


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
    where = display_path(path, project)
    settings, problems = validate(Settings, document, where)
    if settings is None:
        raise InvalidInput(problems)
    problems = language_problems(settings, document, where)
    if problems:
        raise InvalidInput(problems)
    return settings
