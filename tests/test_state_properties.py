"""Property-based tests of the one state reader: any bytes or JSON in any file of .guidegen/ give
the data, a warning with the file kept aside as *.damaged, or (links.json, which holds keys) a
clean OutputError with the file left as it was; never another exception, and never a new key."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guidegen.errors import OutputError
from guidegen.publish.state import HISTORIES_FILE, LINKS_FILE, MAIN_MANIFEST, Manifest, ProjectState
from guidegen.publish.statefile import MAX_DEPTH, Damaged, parse

LONG_RUN = int(os.environ.get("GUIDEGEN_HYPOTHESIS_EXAMPLES", "0"))
EXAMPLES = settings(
    max_examples=LONG_RUN or 150,
    derandomize=not LONG_RUN,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SLUG = "a" * 26
KEY = "k" * 43
HASH = "0" * 32
keys = st.sampled_from(
    ["format", "version", "links", "guides", "slug", "key", "profile", "outputs", "assets", "modules", "shared",
     "summary", "since", "goals", "stage", "next_review", "p-001", "r-0142", "../..", "", "index.html"]
)  # fmt: skip
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.sampled_from([SLUG, KEY, HASH, "index.html", "guide.pdf", "assets/guide.css", "../x", "0.1", ""]),
    st.text(max_size=8),
)
values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5))


def near_valid(name: str) -> st.SearchStrategy[Any]:
    """Documents shaped like the real file, with any value in any place."""
    if name == LINKS_FILE:
        entry = st.fixed_dictionaries(
            {"slug": st.one_of(st.just(SLUG), values), "key": st.one_of(st.just(KEY), values)}
        )
        return st.fixed_dictionaries({"format": st.just(1), "links": st.dictionaries(keys, entry | values, max_size=3)})
    if name == HISTORIES_FILE:
        return st.fixed_dictionaries({"format": st.just(1), "guides": st.dictionaries(keys, values, max_size=3)})
    from guidegen import __version__

    return st.fixed_dictionaries(
        {"format": st.just(2), "version": st.just(__version__), "guides": values, "assets": values, "modules": values}
    )


def contents(name: str) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=64),
        values.map(lambda v: json.dumps(v).encode()),
        near_valid(name).map(lambda v: json.dumps(v).encode()),
        st.integers(1, 3000).map(lambda n: ("[" * n + "]" * n).encode()),
    )


def read(name: str, raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        folder = root / ".guidegen"
        folder.mkdir(mode=0o700)
        (folder / name).write_bytes(raw)
        state = ProjectState(root)
        try:
            if name == LINKS_FILE:
                state.links_for(["p-001"])
            elif name == HISTORIES_FILE:
                assert isinstance(state.histories(), dict)
            else:
                assert isinstance(state.manifest(name), Manifest)
        except OutputError as error:
            assert name == LINKS_FILE and "cannot be read" in str(error)
            assert (folder / name).read_bytes() == raw, "a file that holds keys is never replaced"
            assert (folder / (name + ".damaged")).read_bytes() == raw
            return
        assert all(p.severity == "warning" for p in state.warnings)
        if name == LINKS_FILE and (folder / name).exists():
            old = json.loads(raw)["links"] if raw.strip() else {}
            new = json.loads((folder / name).read_bytes())["links"]
            assert all(new[i] == old[i] for i in old), "an existing key was changed"


@EXAMPLES
@given(contents(LINKS_FILE))
def test_any_links_file_gives_its_links_or_a_clean_refusal(raw: bytes) -> None:
    read(LINKS_FILE, raw)


@EXAMPLES
@given(contents(MAIN_MANIFEST))
def test_any_manifest_gives_a_manifest_with_warnings(raw: bytes) -> None:
    read(MAIN_MANIFEST, raw)


@EXAMPLES
@given(contents(HISTORIES_FILE))
def test_any_history_gives_histories_with_warnings(raw: bytes) -> None:
    read(HISTORIES_FILE, raw)


@settings(EXAMPLES, max_examples=LONG_RUN or 100)
@given(values)
def test_the_parser_bounds_depth(value: Any) -> None:
    raw = json.dumps(value).encode()
    try:
        assert parse(raw) == json.loads(raw)
    except Damaged as error:
        assert "deeper" in str(error) and MAX_DEPTH < 100
