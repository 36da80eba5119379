"""Spanish *usted*: one text holds both forms of address, as `((tú form|usted form))`.

`((Llama|Llame)) al 911` reads "Llama al 911" for most readers and "Llame al 911" for a person
whose profile says `formal: true`. Parentheses doubled, with one `|` between the forms, mean
nothing to Markdown, to Jinja (outside its tags) or to the module directives, and do not start a
YAML value the way `[` or `{` would, so a title can begin with one unquoted.

A module or shared block with alternations is compiled twice, once per form (its Jinja code is the
same in both: an alternation holds no braces); line numbers stay the file's. In UI strings and
settings texts the form is chosen before a page is rendered.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..errors import Problem

FORMAL_LANGUAGES = frozenset({"es"})
"""Languages whose texts may hold alternations (by base language: es, es_MX ...)."""

ALTERNATION = re.compile(r"\(\(([^()|\n{}]*)\|([^()|\n{}]*)\)\)")
"""`((tú form|usted form))`: neither form holds parentheses, braces, a `|` or a line break."""

_OPEN = "(("
_TAGS = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", re.DOTALL)
"""Jinja tags: an alternation is never looked for inside one."""

EXPECTED = "expected ((tú form|usted form)) on one line, the two forms split by one |"


def has_formal(language: str) -> bool:
    """Whether texts in `language` may say things two ways (tú and usted)."""
    return language.split("_")[0] in FORMAL_LANGUAGES


def choose(text: str, formal: bool) -> str:
    """A text with each alternation replaced by its tú form, or its usted form when `formal`."""
    if _OPEN not in text:
        return text
    return ALTERNATION.sub(lambda m: m.group(2 if formal else 1), text)


def in_template(source: str, formal: bool) -> str:
    """A module body in one form of address, its Jinja tags left as they are (line numbers keep)."""
    if _OPEN not in source:
        return source
    return _outside_tags(source, lambda text: choose(text, formal))


def alternation_problems(text: str, where: str, language: str, first_line: int = 1, key: str = "") -> list[Problem]:
    """Alternations that are malformed (file:line and what was expected), or any in a language
    without a formal form. `first_line` is the line `text` starts on; `key` names a YAML key."""
    if _OPEN not in text:
        return []
    problems: list[Problem] = []
    prefix = f"{key}: " if key else ""
    allowed = has_formal(language)
    for offset, piece in _text_pieces(text):
        spans = [(m.start(), m.end()) for m in ALTERNATION.finditer(piece)] if allowed else []
        for match in re.finditer(re.escape(_OPEN), piece):
            if any(start <= match.start() + 1 and match.start() < end for start, end in spans):
                continue
            line = first_line + text.count("\n", 0, offset + match.start())
            if allowed:
                problems.append(Problem(where, line, f"{prefix}a (( that is not a tú/usted alternation: {EXPECTED}"))
            else:
                problems.append(
                    Problem(
                        where,
                        line,
                        f"{prefix}((tú form|usted form)) is for Spanish texts only; a '{language}' text says each thing one way",
                    )
                )
    return problems


def _text_pieces(text: str) -> list[tuple[int, str]]:
    """The parts of `text` outside Jinja tags, with where each starts."""
    pieces, position = [], 0
    for tag in _TAGS.finditer(text):
        pieces.append((position, text[position : tag.start()]))
        position = tag.end()
    pieces.append((position, text[position:]))
    return pieces


def _outside_tags(text: str, change: Callable[[str], str]) -> str:
    """`text` with `change` applied to every part outside Jinja tags."""
    parts, position = [], 0
    for tag in _TAGS.finditer(text):
        parts.append(change(text[position : tag.start()]))
        parts.append(tag.group(0))
        position = tag.end()
    parts.append(change(text[position:]))
    return "".join(parts)


TU_WORDS = frozenset(
    {
        *("tú", "tu", "tus", "ti", "contigo", "te", "tuyo", "tuya", "tuyos", "tuyas"),
        *("tienes", "puedes", "quieres", "estás", "eres", "necesitas", "sientes", "haces", "sabes", "vas"),
        *("hablas", "bebes", "consumes", "piensas", "crees", "debes", "recuerdas", "vives", "sigues"),
        *("ayudas", "dejas", "empiezas", "llegas", "tengas", "puedas", "quieras", "estés", "seas", "hayas"),
        *("necesites", "sientas", "hagas", "sepas", "vayas", "uses", "bebas", "consumas", "dejes", "llames"),
        *("pidas", "hables", "tomes", "olvides", "podrías", "quisieras", "estabas", "tenías", "ten", "pon", "haz"),
    }
)
"""Words that only ever speak to the reader as tú (pronouns, second-person verbs, a few
imperatives): in the usted form of a text, each is a word left out of an alternation."""
TU_WHEN_A_VERB = frozenset({"tomas", "notas", "cuentas", "llamas", "usas"})
"""Words that are also nouns ("las tomas de la noche", "sus notas"): tú only after a pronoun or a
conjunction and not before "de" ("si las tomas todos los días")."""
_BEFORE_A_VERB = frozenset({"la", "las", "lo", "los", "le", "les", "me", "nos", "se", "no", "si", "que", "cuando"})
_WORD = re.compile(r"[A-Za-zÁÉÍÓÚÑÜáéíóúñü]+")
_QUOTED = re.compile(r'"[^"\n]*"|“[^”\n]*”|«[^»\n]*»|\]\([^)\n]*\)|<[^>\n]*>')
"""Quoted speech (what the reader says to someone else, or to themselves), link targets and tags."""


def tu_leftovers(text: str) -> list[tuple[int, str]]:
    """Words that speak to the reader as tú in the usted form of `text` (line, word), outside Jinja
    tags and quoted speech: what a reader with `formal: true` would read. A heuristic that finds
    the usual leftovers, not every one."""
    usted = in_template(text, True)
    blank = _QUOTED.sub(lambda m: " " * len(m.group()), _TAGS.sub(lambda m: " " * len(m.group()), usted))
    words = list(_WORD.finditer(blank))
    found = []
    for index, match in enumerate(words):
        word = match.group().lower()
        if word not in TU_WORDS:
            if word not in TU_WHEN_A_VERB:
                continue
            before = words[index - 1].group().lower() if index else ""
            after = words[index + 1].group().lower() if index + 1 < len(words) else ""
            if before not in _BEFORE_A_VERB or after in ("de", "del"):
                continue
        found.append((usted.count("\n", 0, match.start()) + 1, match.group()))
    return found
