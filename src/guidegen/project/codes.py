"""Record-system codes on vocabulary terms (`codes:`, for guidegen import fhir): the code systems
guidegen knows, the form of a code in each, and check digits where a system has them."""

from __future__ import annotations

import re

from ..errors import Problem
from .yamlfile import YamlDocument

CODE_SYSTEMS = {
    "ICD-10-CM": "http://hl7.org/fhir/sid/icd-10-cm",
    "SNOMED": "http://snomed.info/sct",
    "RxNorm": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "LOINC": "http://loinc.org",
}
"""The code systems a term's `codes:` may name, and their FHIR system URIs."""


CODE_FORMS = {
    # A full code (F11.20) or, with a trailing *, any code that starts with it (F11.*, F43.1*).
    "ICD-10-CM": re.compile(
        r"^[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?$|^[A-Z](?:[0-9](?:[0-9A-Z](?:\.[0-9A-Z]{0,3})?)?)?\*$"
    ),
    "SNOMED": re.compile(r"^[1-9][0-9]{5,17}$"),
    "RxNorm": re.compile(r"^[1-9][0-9]{0,9}$"),
    "LOINC": re.compile(r"^[1-9][0-9]{0,6}-[0-9]$"),
}


_CODE_EXAMPLES = {"ICD-10-CM": "F11.* or F11.20", "SNOMED": "66590003", "RxNorm": "1819", "LOINC": "44261-6"}


def parse_codes(
    value: object, document: YamlDocument, where: str, key: tuple[str, ...]
) -> tuple[tuple[str, ...], list[Problem]]:
    """A term's `codes:` list, each "SYSTEM:CODE" with a known system and a well-formed code."""
    name = ".".join(key)
    if not isinstance(value, list) or not value:
        return (), [Problem(where, document.line(key), f'{name}: expected a list like ["ICD-10-CM:F11.*"]')]
    problems = []
    for index, code in enumerate(value):
        line = document.line((*key, index))
        problem = code_problem(code)
        if problem:
            problems.append(Problem(where, line, f"{name}[{index}]: {problem}"))
    if len(set(value)) != len(value):
        problems.append(Problem(where, document.line(key), f"{name}: a code is listed twice"))
    return (tuple(value) if not problems else ()), problems


def code_problem(code: object) -> str | None:
    """What is wrong with one code of a term (None when it is well formed)."""
    if not isinstance(code, str) or ":" not in code:
        return f"expected SYSTEM:CODE text, e.g. ICD-10-CM:F11.* (systems: {', '.join(CODE_SYSTEMS)})"
    system, _, value = code.partition(":")
    if system not in CODE_SYSTEMS:
        return f"unknown code system '{system}' (expected one of: {', '.join(CODE_SYSTEMS)})"
    if not CODE_FORMS[system].match(value):
        return f"not a well-formed {system} code (expected something like {system}:{_CODE_EXAMPLES[system]})"
    if system == "LOINC" and not _luhn_ok(value.replace("-", "")):
        return "the LOINC check digit does not match (a typo in the code?)"
    if system == "SNOMED" and not _verhoeff_ok(value):
        return "the SNOMED CT check digit does not match (a typo in the code?)"
    return None


def _luhn_ok(digits: str) -> bool:
    """LOINC's mod-10 check digit (the Luhn algorithm)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char) * (2 if position % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


_VERHOEFF_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]


_VERHOEFF_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]


def _verhoeff_ok(digits: str) -> bool:
    """SNOMED CT identifiers end in a Verhoeff check digit."""
    check = 0
    for position, char in enumerate(reversed(digits)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[position % 8][int(char)]]
    return check == 0
