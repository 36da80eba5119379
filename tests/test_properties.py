"""Property-based tests: any settings, vocabulary, profile, module or theme template gives a valid
object or problems with file:line, never another exception, and never a message that repeats text
from the file (a marker planted in values, keys and tags never shows up in a message).

A seeded, bounded run is part of the normal test run; for a long run set
GUIDEGEN_HYPOTHESIS_EXAMPLES, e.g. GUIDEGEN_HYPOTHESIS_EXAMPLES=5000 (then runs are random).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases import FIXTURES
from guidegen.errors import InvalidInput, Problem
from guidegen.project.content import load_module_text, make_module_environment
from guidegen.project.profiles import Profile, load_profile
from guidegen.project.settings import Settings, load_settings
from guidegen.project.theme import load_theme
from guidegen.project.vocabulary import load_vocabulary
from guidegen.text.personalise import compile_template, personalise
from guidegen.web.themecheck import trial_render_theme

LONG_RUN = int(os.environ.get("GUIDEGEN_HYPOTHESIS_EXAMPLES", "0"))
settings.register_profile(
    "guidegen",
    max_examples=LONG_RUN or 150,
    derandomize=not LONG_RUN,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
settings.load_profile("guidegen")

MARK = "ZQX"
"""Every planted value, key and tag starts with this: no message may contain it."""

# --- YAML-ish strategies -----------------------------------------------------------------------------

markers = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8).map(lambda s: MARK + s)
words = st.sampled_from(["alcohol", "opioids", "action", "secular", "large_print", "en", "es", "true", "3"])

scalars = st.one_of(
    markers,
    markers.map(lambda m: f'"{m}"'),
    markers.map(lambda m: f"'{m} x'"),
    markers.map(lambda m: f"!!float {m}"),
    markers.map(lambda m: f"!!{m} 1"),
    markers.map(lambda m: f"!{m} x"),
    markers.map(lambda m: f"!!python/object/apply:os.system [{m}]"),
    st.sampled_from(["!!int 3", "!!bool yes", "!!timestamp 2026-01-01", "!!binary aGk=", "!!str x"]),
    st.sampled_from(["2026-02-30", "2026-13-01", "2026-12-31", "2026-01-01 10:00:00", "0000-01-01", "9999-12-31"]),
    st.sampled_from(["no", "yes", "on", "1:20", "012", "0x1f", "1_000", "~", "null", "", "-", "[]", "{}"]),
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    words,
    markers.map(lambda m: f"&{m} x"),
    markers.map(lambda m: f"*{m}"),
    st.integers(1, 800).map(lambda n: "[" * n + "]" * n),
    markers.map(lambda m: f'"\\{m[-1]}{m}"'),
)


def keys_for(fields: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Known fields, near misses of them, and planted keys."""
    near = st.sampled_from(fields).map(lambda f: f[:-1] if len(f) > 3 else f + "s")
    return st.one_of(st.sampled_from(fields), near, markers, markers.map(lambda m: f'"{m} {m}"'))


def flow(keys: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Flow-style YAML values: scalars, lists and mappings, nested a few levels."""
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
            st.lists(st.tuples(keys, inner), max_size=4).map(
                lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
            ),
        ),
        max_leaves=12,
    )


def documents(fields: tuple[str, ...], required: dict[str, str] | None = None) -> st.SearchStrategy[str]:
    """A YAML mapping in block style (with flow values), sometimes garbled or not a mapping at all."""
    keys = keys_for(fields)
    lines = st.lists(st.tuples(keys, flow(keys)), max_size=8).map(lambda pairs: [f"{k}: {v}" for k, v in pairs])
    base = "".join(f"{k}: {v}\n" for k, v in (required or {}).items())
    block = lines.map(lambda ls: base + "\n".join(ls) + "\n")
    nested = st.tuples(keys, st.lists(st.tuples(keys, flow(keys)), min_size=1, max_size=3)).map(
        lambda kv: base + f"{kv[0]}:\n" + "".join(f"  - {k}: {v}\n" for k, v in kv[1])
    )
    garbage = st.text(max_size=200).map(lambda t: base + t)
    return st.one_of(block, block, nested, garbage, flow(keys))


# --- the loaders, in a throw-away copy of the small project --------------------------------------------


_COPY: list[Path] = []


@contextmanager
def project() -> Iterator[Path]:
    """One copy of the small project per test session; each example's files are undone after it."""
    if not _COPY:
        folder = Path(tempfile.mkdtemp(prefix="guidegen-properties-"))
        _COPY.append(Path(shutil.copytree(FIXTURES / "mini", folder / "mini")))
    root = _COPY[0]
    try:
        yield root
    finally:
        for name in ("guidegen.yaml", "content/vocabulary.yaml"):
            shutil.copy(FIXTURES / "mini" / name, root / name)
        for name in ("profiles/r-any.yaml", "content/coping/any.md"):
            (root / name).unlink(missing_ok=True)
        shutil.rmtree(root / "templates", ignore_errors=True)


def assert_clean(problems: list[Problem] | tuple[Problem, ...], expected_path: str | None = None) -> None:
    """Problems name a file and a line, and repeat nothing planted in the file."""
    assert problems, "a failure must come with at least one problem"
    for problem in problems:
        text = str(problem)
        assert MARK.lower() not in text.lower(), text
        assert problem.path, text
        if expected_path is not None:
            assert problem.path == expected_path, text
            assert problem.line is not None or "file" in problem.message, text


def outcome(load: Callable[[], object], expected_path: str) -> None:
    try:
        load()
    except InvalidInput as error:
        assert_clean(error.problems, expected_path)


SETTINGS_FIELDS = tuple(Settings.model_fields) + ("phone", "web", "label", "max_grade")
PROFILE_FIELDS = tuple(Profile.model_fields) + ("text", "by", "relation", "phone", "next", "history", "date", "note")
VOCABULARY_FIELDS = ("substances", "stage", "conditions", "therapies", "groups", "format", "support_style", "en", "es")
FRONT_FIELDS = ("title", "summary", "order", "when", "reviewed", "sources", "substances", "not", "any", "stage")


@given(text=documents(SETTINGS_FIELDS))
def test_any_settings_file_loads_or_gives_clean_problems(text: str) -> None:
    with project() as root:
        (root / "guidegen.yaml").write_text(text, encoding="utf-8")
        outcome(lambda: load_settings(root), "guidegen.yaml")


@given(text=documents(VOCABULARY_FIELDS))
def test_any_vocabulary_loads_or_gives_clean_problems(text: str) -> None:
    with project() as root:
        (root / "content" / "vocabulary.yaml").write_text(text, encoding="utf-8")
        outcome(lambda: load_vocabulary(root, load_settings(root)), "content/vocabulary.yaml")


@given(text=documents(PROFILE_FIELDS, {"id": "r-any", "name": "ZQXname"}) | documents(PROFILE_FIELDS))
def test_any_profile_loads_or_gives_clean_problems(text: str) -> None:
    with project() as root:
        settings_ = load_settings(root)
        vocabulary = load_vocabulary(root, settings_)
        path = root / "profiles" / "r-any.yaml"
        path.write_text(text, encoding="utf-8")
        loaded, problems = load_profile(path, root, settings_, vocabulary)
        if loaded is None:
            assert_clean(problems, "profiles/r-any.yaml")


@given(data=st.binary(max_size=300))
def test_any_bytes_as_a_profile_give_clean_problems(data: bytes) -> None:
    with project() as root:
        settings_ = load_settings(root)
        vocabulary = load_vocabulary(root, settings_)
        path = root / "profiles" / "r-any.yaml"
        path.write_bytes(b"id: r-any\nname: Sam\n" + data)
        loaded, problems = load_profile(path, root, settings_, vocabulary)
        if loaded is None:
            for problem in problems:
                assert problem.path == "profiles/r-any.yaml" and problem.line is not None, str(problem)


# --- module bodies and page templates ------------------------------------------------------------------

names = st.sampled_from(
    ["person.name", "person.triggers", "person.substances", "person.people", "person.goals", "person.nmae", "x", "loop"]
)
expressions = st.one_of(
    names,
    st.tuples(names, st.sampled_from(["labels", "join", "length", "upper", "first", "nope"])).map("|".join),
    st.tuples(names, markers).map(lambda nm: f'{nm[0]}["{nm[1]}"]'),
    st.tuples(names, names).map(lambda nn: f"{nn[0]}[{nn[1]}[0]]"),
    markers.map(lambda m: f'"{m}"'),
    st.sampled_from(["range(10**9)", "'x' * 10**9", "9 ** 99", "1 / 0", "''.__class__", "cycler", "lipsum(5)"]),
)
fragments = st.one_of(
    markers,
    st.text(max_size=20),
    expressions.map(lambda e: "{{ " + e + " }}"),
    st.tuples(names, expressions).map(lambda ne: "{% for x in " + ne[0] + " %}{{ " + ne[1] + " }}{% endfor %}"),
    st.tuples(expressions, markers).map(lambda em: "{% if " + em[0] + " %}" + em[1] + "{% endif %}"),
    markers.map(lambda m: "{% " + m + " %}"),
    markers.map(lambda m: "{{ " + m + " " + m + " }}"),
    st.sampled_from(["{% if %}", "{% endfor %}", "{{", "}}", "{#", "\n", "::: tip\n", ":::\n"]),
)
bodies = st.lists(fragments, max_size=10).map("".join)

PERSON = Profile.model_validate(
    {
        "id": "r-any",
        "name": "ZQXname",
        "substances": ["alcohol"],
        "triggers": ["ZQXtrigger"],
        "people": [{"name": "ZQXdana", "phone": "ZQX555"}],
        "goals": [{"text": "ZQXgoal"}],
    }
).template_view()


@given(body=bodies)
def test_any_module_body_renders_or_gives_clean_problems(body: str) -> None:
    with project() as root:
        settings_ = load_settings(root)
        env = make_module_environment(load_vocabulary(root, settings_), settings_)
        try:
            template = compile_template(env, body, "m.md")
            personalise(template, body, "m.md", PERSON)
        except InvalidInput as error:
            for problem in error.problems:
                assert MARK.lower() not in problem.message.lower(), problem.message


@given(front=documents(FRONT_FIELDS, {"title": "ZQXtitle", "summary": "ZQXsummary"}), body=bodies)
def test_any_module_file_loads_or_gives_clean_problems(front: str, body: str) -> None:
    with project() as root:
        settings_ = load_settings(root)
        vocabulary = load_vocabulary(root, settings_)
        path = root / "content" / "coping" / "any.md"
        path.write_text(f"---\n{front}---\n{body}\n", encoding="utf-8")
        env = make_module_environment(vocabulary, settings_)
        outcome(lambda: load_module_text(path, root, "en", settings_, vocabulary, env), "content/coping/any.md")


@given(body=bodies)
def test_any_page_template_override_renders_or_gives_clean_problems(body: str) -> None:
    with project() as root:
        settings_ = load_settings(root)
        (root / "templates").mkdir()
        (root / "templates" / "_plan.html").write_text(body, encoding="utf-8")
        try:
            theme = load_theme(root, settings_)
        except InvalidInput as error:
            assert_clean(error.problems)
            return
        problems = trial_render_theme(theme, settings_, root)
        if problems:
            assert_clean(problems)


@given(text=documents(("en", "es", "title", "section.coping", "skip")))
def test_any_theme_strings_file_loads_or_gives_clean_problems(text: str) -> None:
    with project() as root:
        settings_ = load_settings(root)
        (root / "templates").mkdir()
        (root / "templates" / "strings.yaml").write_text(text, encoding="utf-8")
        try:
            load_theme(root, settings_)
        except InvalidInput as error:
            assert_clean(error.problems)
