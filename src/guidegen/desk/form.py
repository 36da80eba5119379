"""A person's form, made from the Profile model and the vocabulary: which fields, their kind,
their choices; the values a profile file holds for them; what a submitted form means as profile
data; and where each of the loader's problems belongs on the form."""

from __future__ import annotations

import re
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from starlette.datastructures import FormData

from ..project.profile_parts import Review, Risk, SafetyPlan
from ..project.profiles import Profile
from ..project.settings import Settings
from ..project.vocabulary import BORROWED_FIELDS, LIST_FIELDS, SINGLE_FIELDS, Vocabulary
from .strings import field_text, ui

MAX_ROWS = 500
"""Rows read per repeatable field: a bound on what one form may hold."""
LONG_TEXT = frozenset({"message"})
"""Text fields shown as a text area."""
_ROW_KEY = re.compile(r"^(?P<field>[a-z_-]+)-(?P<row>\d{1,4})-(?P<column>[a-z_]+)$")
_PATH = re.compile(r"^[a-z_][a-z0-9_.\[\]-]*$")


@dataclass(frozen=True)
class Choice:
    """One option of a select or a group of checkboxes."""

    value: str
    label: str


@dataclass(frozen=True)
class Column:
    """One input of a repeatable row."""

    name: str
    kind: str
    """text, date, score or select."""
    label: str
    help: str
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class FormField:
    """One field of the form: a profile key (dotted when nested) and how it is edited."""

    key: str
    kind: str
    """text, textarea, lines, date, flag, select, checkboxes, rows or contacts."""
    label: str
    help: str
    choices: tuple[Choice, ...] = ()
    columns: tuple[Column, ...] = ()

    @property
    def name(self) -> str:
        """The form's name (and element id) for this field."""
        return self.key.replace(".", "-")


@dataclass(frozen=True)
class PersonForm:
    """Every field, in the Profile model's order, in one staff language."""

    fields: tuple[FormField, ...]
    risk: tuple[FormField, ...]
    """Clinical risk (suicide screen, past attempt, firearm access, recent overdose), shown together."""
    safety: tuple[FormField, ...]
    """The safety plan's six steps and the reason for living, shown together."""

    def all(self) -> tuple[FormField, ...]:
        return self.fields + self.risk + self.safety


def person_form(settings: Settings, vocabulary: Vocabulary, language: str) -> PersonForm:
    """The form for this project's profiles, labelled in `language`."""
    fields = []
    for name, info in Profile.model_fields.items():
        if name == "id":
            continue
        if name in ("safety_plan", "risk"):
            continue
        if name == "review":
            label, help_text = field_text("review.next", language)
            fields.append(FormField("review.next", "date", label, help_text))
            continue
        made = _field(name, info.annotation, info.description or "", settings, vocabulary, language)
        if made is not None:
            fields.append(made)
    risk = _expand("risk", Risk, settings, vocabulary, language)
    safety = _expand("safety_plan", SafetyPlan, settings, vocabulary, language)
    return PersonForm(tuple(fields), risk, safety)


def _expand(
    prefix: str, model: type[BaseModel], settings: Settings, vocabulary: Vocabulary, language: str
) -> tuple[FormField, ...]:
    """A nested part of the profile as fields with dotted keys (risk.suicide_screen.result)."""
    found: list[FormField] = []
    for name, info in model.model_fields.items():
        key = f"{prefix}.{name}"
        inner = _unwrap(info.annotation)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            found += _expand(key, inner, settings, vocabulary, language)
            continue
        made = _field(key, info.annotation, info.description or "", settings, vocabulary, language)
        if made is not None:
            found.append(made)
    return tuple(found)


def not_shown(form: PersonForm) -> list[str]:
    """Profile keys the form leaves as they are in the file (edited in the file itself)."""
    shown = {f.key for f in form.all()}
    keys = [f"review.{name}" for name in Review.model_fields]
    keys += [name for name in Profile.model_fields if name not in ("review", "safety_plan", "risk")]
    return [key for key in keys if key not in shown]


def _field(
    key: str, annotation: Any, description: str, settings: Settings, vocabulary: Vocabulary, language: str
) -> FormField | None:
    """How a profile key is edited; None for a shape the form does not know (the file keeps it)."""
    label, help_text = field_text(key, language, description)
    name = key.rsplit(".", 1)[-1]
    fallback = settings.default_language

    def terms(field_name: str) -> tuple[Choice, ...]:
        return tuple(Choice(t, vocabulary.label(t, language, fallback)) for t in vocabulary.terms(field_name))

    if key in (*LIST_FIELDS, *BORROWED_FIELDS):
        return FormField(key, "checkboxes", label, help_text, terms(key))
    if key in SINGLE_FIELDS:
        return FormField(key, "select", label, help_text, (Choice("", ui(language)["none"]), *terms(key)))
    if key == "language":
        return FormField(
            key, "select", label, help_text, tuple(Choice(c, _language_name(c, language)) for c in settings.languages)
        )
    if key == "measures":
        return FormField(key, "rows", label, help_text, columns=_measure_columns(vocabulary, language))
    base = _unwrap(annotation)
    if get_origin(base) is Literal:
        choices = tuple(Choice(v, field_text(f"{key}.{v}", language)[0]) for v in get_args(base))
        if "." in key:  # inside an optional part: it may be left out
            choices = (Choice("", ui(language)["none"]), *choices)
        return FormField(key, "select", label, help_text, choices)
    if base is bool:
        return FormField(key, "flag", label, help_text)
    if base is date:
        return FormField(key, "date", label, help_text)
    if get_origin(base) is tuple:
        return _list_field(key, _unwrap(get_args(base)[0]), label, help_text, language)
    if base is not str:
        return None
    kind = "textarea" if name in LONG_TEXT else "text"
    return FormField(key, kind, label, help_text)


def _list_field(key: str, item: Any, label: str, help_text: str, language: str) -> FormField | None:
    if item is str:
        return FormField(key, "lines", label, help_text + " " + ui(language)["one_per_line"])
    words = ui(language)
    if isinstance(item, tuple):  # text or a contact: a name and an optional phone
        contact = (
            Column("name", "text", words["who_or_what"], words["who_or_what_help"]),
            Column("phone", "text", words["phone"], words["phone_help"]),
        )
        return FormField(key, "contacts", label, help_text, columns=contact)
    if not (isinstance(item, type) and issubclass(item, BaseModel)):
        return None
    model: type[BaseModel] = item
    columns = tuple(
        Column(name, "date" if _unwrap(info.annotation) is date else "text", *field_text(f"{key}.{name}", language))
        for name, info in model.model_fields.items()
    )
    return FormField(key, "rows", label, help_text, columns=columns)


def _measure_columns(vocabulary: Vocabulary, language: str) -> tuple[Column, ...]:
    choices = tuple(
        Choice(m.id, m.labels.get(language) or next(iter(m.labels.values()), m.id))
        for m in vocabulary.measures.values()
    )
    return (
        Column(
            "measure", "select", *field_text("measures.measure", language), (Choice("", ui(language)["none"]), *choices)
        ),
        Column("date", "date", *field_text("measures.date", language)),
        Column("score", "score", *field_text("measures.score", language)),
    )


def _unwrap(annotation: Any) -> Any:
    """The type under Annotated and Optional; a union of text and a model as a tuple of both."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        options = tuple(_unwrap(a) for a in get_args(annotation) if a is not type(None))
        return options[0] if len(options) == 1 else options
    return annotation


def _language_name(code: str, language: str) -> str:
    from babel import Locale, UnknownLocaleError

    try:
        return f"{Locale.parse(code).get_display_name(language) or code} ({code})"
    except (ValueError, UnknownLocaleError):
        return code


# -- values: from a profile's data to the form, and back ------------------------------------------


def get_path(data: Any, key: str) -> Any:
    """The value at a dotted key in plain data, or None."""
    for part in key.split("."):
        if not isinstance(data, Mapping):
            return None
        data = data.get(part)
    return data


def form_values(form: PersonForm, data: Any) -> dict[str, Any]:
    """What each field shows for a profile's data (text as typed; rows as lists of dicts of text)."""
    values: dict[str, Any] = {}
    for item in form.all():
        value = get_path(data, item.key)
        values[item.name] = _shown(item, value)
    return values


def _shown(item: FormField, value: Any) -> Any:
    if item.kind == "flag":
        return value is True
    if item.kind == "checkboxes":
        return [str(v) for v in value] if isinstance(value, list) else []
    if item.kind == "lines":
        return "\n".join(str(v) for v in value) if isinstance(value, list) else ""
    if item.key == "measures":
        rows = []
        for measure, scores in (value or {}).items() if isinstance(value, Mapping) else ():
            for entry in scores if isinstance(scores, list) else ():
                if isinstance(entry, Mapping):
                    rows.append({"measure": str(measure), **{k: _text(entry.get(k)) for k in ("date", "score")}})
        return rows
    if item.kind in ("rows", "contacts"):
        rows = []
        for entry in value if isinstance(value, list) else ():
            if isinstance(entry, Mapping):
                rows.append({c.name: _text(entry.get(c.name)) for c in item.columns})
            else:
                rows.append({"name": _text(entry), "phone": ""})
        return rows
    return _text(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dataclass
class Submitted:
    """A submitted form as profile data, and which form element each data path came from."""

    values: dict[str, Any] = field(default_factory=dict)
    """field key -> plain value (None: remove the key)."""
    shown: dict[str, Any] = field(default_factory=dict)
    """field name -> what to show again when the form comes back with errors."""
    aliases: dict[str, str] = field(default_factory=dict)
    """data path as the loader writes it (goals[0].by) -> form element id (goals-3-by)."""


def read_submitted(form: PersonForm, posted: FormData) -> Submitted:
    """The form's fields as profile data."""
    result = Submitted()
    rows = _rows_posted(posted)
    for item in form.all():
        name = item.name
        if item.kind in ("rows", "contacts"):
            table = rows.get(name, {})
            kept = [table[i] for i in sorted(table) if any(table[i].values())]  # an empty row is no row
            result.shown[name] = kept
            _read_rows(item, kept, result)
        elif item.kind == "checkboxes":
            chosen = {str(v) for v in posted.getlist(name)}
            result.values[item.key] = [c.value for c in item.choices if c.value in chosen]
            result.shown[name] = result.values[item.key]
        elif item.kind == "flag":
            result.values[item.key] = posted.get(name) == "yes"
            result.shown[name] = result.values[item.key]
        else:
            text = str(posted.get(name) or "")
            result.shown[name] = text
            result.values[item.key] = _scalar(item.kind, text)
    return result


def _rows_posted(posted: FormData) -> dict[str, dict[int, dict[str, str]]]:
    tables: dict[str, dict[int, dict[str, str]]] = {}
    for key in posted:
        match = _ROW_KEY.match(key)
        if match and int(match["row"]) < MAX_ROWS:
            row = tables.setdefault(match["field"], {}).setdefault(int(match["row"]), {})
            row[match["column"]] = str(posted.get(key) or "").strip()
    return tables


def _scalar(kind: str, text: str) -> Any:
    if kind == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()]
    if kind == "textarea":
        text = "\n".join(line.rstrip() for line in text.strip().splitlines())
        return text or None
    text = text.strip()
    if not text:
        return None
    return _day(text) if kind == "date" else text


def _day(text: str) -> date | str:
    """A date when the text is one; otherwise the text, for the loader to say what is wrong."""
    try:
        return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else text
    except ValueError:
        return text


def _read_rows(item: FormField, table: list[dict[str, str]], result: Submitted) -> None:
    """Rows as profile data; each data path is aliased to its row as the form shows it again."""
    path = item.key
    if item.key == "measures":
        measures: dict[str, list[dict[str, Any]]] = {}
        for index, row in enumerate(table):
            series = measures.setdefault(row.get("measure", ""), [])
            at = f"measures.{row.get('measure', '')}[{len(series)}]"
            result.aliases[at] = f"measures-{index}"
            for part in ("date", "score"):
                result.aliases[f"{at}.{part}"] = f"measures-{index}-{part}"
            series.append({"date": _day(row.get("date", "")), "score": _whole(row.get("score", ""))})
        result.values[item.key] = measures
        return
    entries: list[Any] = []
    for index, posted in enumerate(table):
        row = {c.name: posted.get(c.name, "") for c in item.columns}
        at = f"{path}[{len(entries)}]"
        result.aliases[at] = f"{item.name}-{index}-{item.columns[0].name}"
        for column in item.columns:
            result.aliases[f"{at}.{column.name}"] = f"{item.name}-{index}-{column.name}"
        if item.kind == "contacts" and not row["phone"]:
            entries.append(row["name"])
        else:
            kinds = {c.name: c.kind for c in item.columns}
            entries.append({k: _day(v) if kinds[k] == "date" else v for k, v in row.items() if v})
    result.values[item.key] = entries


def _whole(text: str) -> int | str:
    return int(text) if re.fullmatch(r"-?\d{1,9}", text) else text


def place_problem(message: str, aliases: Mapping[str, str], known: set[str]) -> tuple[str, str]:
    """The form element a loader's message belongs to, and the message without its key path."""
    path, _, rest = message.partition(": ")
    if not rest or not _PATH.match(path):
        return "form", message
    candidate = aliases.get(path) or re.sub(r"\[(\d+)\]", r"-\1", path).replace(".", "-")
    while candidate:
        if candidate in known:
            return candidate, rest
        shorter = candidate.rsplit("-", 1)[0]
        candidate = "" if shorter == candidate else shorter
    return "form", message
