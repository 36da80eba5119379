"""The project's state in .guidegen/ (never published): each person's link, and what the last
build used so the next one renders only what changed.

The manifest records a hash of every shared input (settings, vocabulary, theme, guidegen's
version), of every module file, and per guide: its profile file's hash, a key over everything
the guide used, its folder (slug) and which outputs that key produced. It holds ids, slugs and
hashes only, never a profile's values. `is_current` is the one place that decides whether a
guide is unchanged.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import Problem
from ..project.digests import digest
from ..project.profiles import ID_PATTERN
from ..project.settings import Settings
from ..web.pages import guide_link
from ..web.seal import new_key, new_slug

FORMAT = 2
OLD_MANIFEST = ".guidegen-manifest.json"
"""Where the first edition kept its manifest: inside the published folder (removed by a build)."""
_HASH = re.compile(r"^[0-9a-f]{32}$")
_ASSET = re.compile(r"^(?:assets/[A-Za-z0-9_./-]+|robots\.txt)$")


def guide_key(shared: str, profile: str, used: Mapping[str, str]) -> str:
    """The key of one guide: shared inputs, its profile, and each selected module as used."""
    return digest(shared, profile, *(f"{mid}={h}" for mid, h in used.items()))


@dataclass(frozen=True)
class GuideRecord:
    """How one guide was last built."""

    profile: str
    """Hash of the profile file."""
    key: str
    """Hash of everything the guide used: shared inputs, profile, selected modules and texts."""
    outputs: tuple[str, ...]
    """What this key produced: index.html (the web guide), guide.pdf (the print guide)."""
    slug: str
    """The folder of the web guide when it was built."""


@dataclass
class Manifest:
    """The state of an output folder after the last build."""

    shared: str = ""
    modules: dict[str, str] = field(default_factory=dict)
    """Module file (relative path) -> hash."""
    guides: dict[str, GuideRecord] = field(default_factory=dict)
    assets: tuple[str, ...] = ()
    """Shared files written under the output folder (assets/..., robots.txt)."""

    @classmethod
    def from_data(cls, data: Any, warn: Callable[[str], None]) -> Manifest:
        """A manifest from its JSON; entries that are not what a build writes are left out with a warning."""
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != __version__:
            return cls()  # another version: everything is built again
        guides: dict[str, GuideRecord] = {}
        for guide_id, entry in (data.get("guides") or {}).items():
            record = _record(guide_id, entry)
            if record is None:
                warn("a guide entry that is not an id with hashes, a slug and known outputs: ignored")
            else:
                guides[guide_id] = record
        assets = tuple(a for a in data.get("assets") or () if isinstance(a, str) and _ASSET.match(a) and ".." not in a)
        modules = {k: v for k, v in (data.get("modules") or {}).items() if isinstance(v, str)}
        shared = data["shared"] if isinstance(data.get("shared"), str) else ""
        return cls(shared, modules, guides, assets)

    def to_bytes(self) -> bytes:
        """Stable JSON (sorted keys) for an atomic write."""
        data = {
            "format": FORMAT,
            "version": __version__,
            "shared": self.shared,
            "assets": list(self.assets),
            "modules": dict(sorted(self.modules.items())),
            "guides": {
                gid: {"profile": r.profile, "key": r.key, "outputs": list(r.outputs), "slug": r.slug}
                for gid, r in sorted(self.guides.items())
            },
        }
        return (json.dumps(data, indent=1, sort_keys=True) + "\n").encode()

    def inputs_unchanged(self, shared: str, modules: Mapping[str, str]) -> bool:
        """Whether the shared inputs and every module file are as the last build found them."""
        return bool(self.guides) and self.shared == shared and self.modules == modules

    def is_current(
        self,
        guide_id: str,
        outputs: Iterable[str],
        files: Iterable[Path],
        *,
        slug: str,
        profile: str,
        inputs_unchanged: bool,
        key: Callable[[], str] | None,
    ) -> bool:
        """Whether a guide's files are there and made from the inputs it would use now.

        When no shared input or module file changed, an unchanged profile is enough; otherwise
        the guide's key (what it uses from the modules it selects) decides. `key` is None when
        the project is not loaded: then only the first rule can say yes."""
        record = self.guides.get(guide_id)
        if record is None or record.slug != slug or not set(outputs) <= set(record.outputs):
            return False
        if not all(path.is_file() for path in files):
            return False
        if inputs_unchanged and record.profile == profile:
            return True
        return key is not None and record.key == key()


def _record(guide_id: Any, entry: Any) -> GuideRecord | None:
    """One guide's entry, or None when it is not what a build writes."""
    if not (isinstance(guide_id, str) and ID_PATTERN.match(guide_id) and isinstance(entry, dict)):
        return None
    profile, key, slug, outputs = entry.get("profile"), entry.get("key"), entry.get("slug"), entry.get("outputs")
    if not (isinstance(profile, str) and _HASH.match(profile) and isinstance(key, str) and _HASH.match(key)):
        return None
    if not (isinstance(slug, str) and SLUG.match(slug)):
        return None
    if not (isinstance(outputs, list) and all(o in OUTPUT_NAMES for o in outputs)):
        return None
    return GuideRecord(profile, key, tuple(outputs), slug)


STATE_DIR = ".guidegen"
LINKS_FILE = "links.json"
LOCK_FILE = "lock"
SLUG = re.compile(r"^[a-z2-7]{26}$")
KEY = re.compile(r"^[A-Za-z0-9_-]{43}$")
OUTPUT_NAMES = ("index.html", "guide.pdf")


@dataclass(frozen=True)
class Link:
    """Where a person's web guide lives and the key that opens it."""

    slug: str
    """The folder under the published output: random, 128 bits."""
    key: str
    """AES-256 key, base64url: it travels only in the link's fragment."""


class ProjectState:
    """The project's own memory, in .guidegen/ (never published): links, manifests, the lock.

    The folder is 0700 and every file 0600, written atomically. What is read back is checked
    (ids by the id pattern, slugs and keys by theirs, outputs from a fixed set); anything else
    is ignored with a warning and never followed.
    """

    def __init__(self, root: Path) -> None:
        self.folder = root / STATE_DIR
        self.warnings: list[Problem] = []

    def ensure(self) -> None:
        """Make the folder (0700) when it is missing, and keep its mode."""
        self.folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(self.folder, 0o700)

    def write(self, name: str, data: bytes) -> None:
        """Write one state file atomically, readable by its owner only (0600), flushed to disk."""
        self.ensure()
        handle = tempfile.NamedTemporaryFile(dir=self.folder, prefix=f".{name}.", suffix=".tmp", delete=False)  # noqa: SIM115 - closed below, renamed after
        try:
            with handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(handle.name, 0o600)
            os.replace(handle.name, self.folder / name)
        except BaseException:
            Path(handle.name).unlink(missing_ok=True)
            raise

    def read_json(self, name: str) -> Any:
        """A state file's data, or None when it is missing or unreadable (with a warning)."""
        path = self.folder / name
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.warn(name, "this state file cannot be read: it is ignored and will be written again")
            return None

    def warn(self, name: str, message: str) -> None:
        """Note something odd in a state file (it is then ignored, never followed)."""
        self.warnings.append(Problem(f"{STATE_DIR}/{name}", None, message, "warning"))

    def links(self) -> dict[str, Link]:
        """Each person's slug and key, by profile id."""
        data = self.read_json(LINKS_FILE)
        if data is None:
            return {}
        links: dict[str, Link] = {}
        entries = data.get("links") if isinstance(data, dict) else None
        if not isinstance(entries, dict):
            self.warn(LINKS_FILE, "not a state file of this guidegen: ignored")
            return {}
        for guide_id, entry in entries.items():
            if (
                isinstance(guide_id, str)
                and ID_PATTERN.match(guide_id)
                and isinstance(entry, dict)
                and isinstance(entry.get("slug"), str)
                and SLUG.match(entry["slug"])
                and isinstance(entry.get("key"), str)
                and KEY.match(entry["key"])
            ):
                links[guide_id] = Link(entry["slug"], entry["key"])
            else:
                self.warn(LINKS_FILE, "an entry that is not an id with a slug and a key: ignored")
        return links

    def manifest(self, name: str) -> Manifest:
        """The manifest of one output folder (see `manifest_name`)."""
        return Manifest.from_data(self.read_json(name), lambda message: self.warn(name, message))

    def save_manifest(self, name: str, manifest: Manifest) -> None:
        """Record what a build made in one output folder."""
        self.write(name, manifest.to_bytes())

    def histories(self) -> dict[str, Mapping[str, Any]]:
        """Each person's last guide in summary (ids and hashes only), for "What's new"."""
        data = self.read_json(HISTORIES_FILE)
        entries = data.get("guides") if isinstance(data, dict) else None
        if data is not None and not isinstance(entries, dict):
            self.warn(HISTORIES_FILE, "not a state file of this guidegen: ignored")
        found: dict[str, Mapping[str, Any]] = {}
        for guide_id, entry in (entries or {}).items():
            if isinstance(guide_id, str) and ID_PATTERN.match(guide_id) and isinstance(entry, dict):
                found[guide_id] = entry
            else:
                self.warn(HISTORIES_FILE, "an entry that is not an id with a summary: ignored")
        return found

    def save_histories(self, histories: Mapping[str, Mapping[str, Any]]) -> None:
        """Remember each person's last guide in summary."""
        data = {"format": 1, "guides": dict(sorted(histories.items()))}
        self.write(HISTORIES_FILE, (json.dumps(data, indent=1, sort_keys=True) + "\n").encode())

    def links_for(self, ids: Iterable[str]) -> dict[str, Link]:
        """Every person's link, making a slug and key for anyone who has none yet."""
        links = self.links()
        missing = [i for i in ids if i not in links]
        for guide_id in missing:
            links[guide_id] = Link(new_slug(), new_key())
        if missing:
            self.save_links(links)
        return links

    def rotate(self, guide_id: str) -> Link:
        """A new slug and key for one person: the next build removes the old folder."""
        links = self.links()
        links[guide_id] = Link(new_slug(), new_key())
        self.save_links(links)
        return links[guide_id]

    def save_links(self, links: Mapping[str, Link]) -> None:
        entries = {guide_id: {"slug": link.slug, "key": link.key} for guide_id, link in sorted(links.items())}
        data = {"format": 1, "links": entries}
        self.write(LINKS_FILE, (json.dumps(data, indent=1, sort_keys=True) + "\n").encode())

    @contextlib.contextmanager
    def locked(self, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
        """One build at a time per project: a second one waits for the first to finish."""
        self.ensure()
        descriptor = os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "r+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait:
                    on_wait()
                fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def person_link(root: Path, settings: Settings, profile_id: str, *, rotate: bool = False) -> str:
    """A person's private link (what their QR code holds), made when they have none, or a new one
    (`rotate`): what `guidegen link` prints and the desk hands over."""
    state = ProjectState(root)
    with state.locked():
        made = state.rotate(profile_id) if rotate else state.links_for([profile_id])[profile_id]
    return guide_link(settings, made.slug, made.key if settings.web.access == "private" else None)


MAIN_MANIFEST = "manifest.json"
"""The manifest of the output folder in settings (what people are given)."""
HISTORIES_FILE = "history.json"


def manifest_name(folder: Path, default: Path) -> str:
    """The manifest file of an output folder: one for the folder in settings, one per --out folder."""
    if folder.resolve() == default.resolve():
        return MAIN_MANIFEST
    return f"manifest-{digest(str(folder.resolve()))[:16]}.json"
