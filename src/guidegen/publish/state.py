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
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import OutputError, Problem
from ..project.digests import digest
from ..project.files import ID_PATTERN
from ..project.settings import Settings
from .output import TEMPORARY
from .statefile import STATE_DIR, StateFolder, StateKind, to_bytes

FORMAT = 2
OLD_MANIFEST = ".guidegen-manifest.json"
"""Where the first edition kept its manifest: inside the published folder (removed by a build)."""
_HASH = re.compile(r"^[0-9a-f]{32}\Z")
_ASSET = re.compile(r"^(?:assets/[A-Za-z0-9_./-]+|robots\.txt)\Z")


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
        for guide_id, entry in (data.get("guides") or {}).items():  # the shapes were checked by the reader
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
        return to_bytes(data)

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


LINKS_FILE = "links.json"
LOCK_FILE = "lock"
SLUG = re.compile(r"^[a-z2-7]{26}\Z")
KEY = re.compile(r"^[A-Za-z0-9_-]{43}\Z")
OUTPUT_NAMES = ("index.html", "guide.pdf")


@dataclass(frozen=True)
class Link:
    """Where a person's web guide lives and the key that opens it."""

    slug: str
    """The folder under the published output: random, 128 bits."""
    key: str
    """AES-256 key, base64url: it travels only in the link's fragment."""


def _valid_link(guide_id: Any, entry: Any) -> bool:
    return (
        isinstance(guide_id, str)
        and bool(ID_PATTERN.match(guide_id))
        and isinstance(entry, dict)
        and isinstance(entry.get("slug"), str)
        and bool(SLUG.match(entry["slug"]))
        and isinstance(entry.get("key"), str)
        and bool(KEY.match(entry["key"]))
    )


def _links_shape(data: Any) -> bool:
    """links.json holds keys: every entry must be whole, or the file is damaged (never re-keyed)."""
    entries = data.get("links") if isinstance(data, dict) else None
    return isinstance(entries, dict) and all(_valid_link(i, e) for i, e in entries.items())


def _manifest_shape(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    if data.get("format") != FORMAT or data.get("version") != __version__:
        return True  # another version's manifest: read as empty, everything is built again
    modules = data.get("modules", {})
    return (
        isinstance(data.get("guides", {}), dict)
        and isinstance(modules, dict)
        and all(isinstance(v, str) for v in modules.values())
        and isinstance(data.get("assets", []), list)
        and isinstance(data.get("shared", ""), str)
    )


def _histories_shape(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("guides"), dict)


def _summary(value: Any) -> bool:
    """A guide's summary as whatsnew.summarise makes it (or None)."""
    if value is None:
        return True
    if not isinstance(value, dict):
        return False
    modules, goals = value.get("modules"), value.get("goals")
    return (
        isinstance(modules, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in modules.items())
        and isinstance(goals, dict)
        and all(isinstance(k, str) and isinstance(v, bool) for k, v in goals.items())
        and all(isinstance(value.get(k), str | None) for k in ("stage", "next_review"))
    )


LINKS = StateKind(LINKS_FILE, _links_shape, holds_keys=True)
MAIN_MANIFEST = "manifest.json"
"""The manifest of the output folder in settings (what people are given)."""
HISTORIES_FILE = "history.json"
HISTORIES = StateKind(HISTORIES_FILE, _histories_shape)


class ProjectState:
    """The project's own memory, in .guidegen/ (never published): links, manifests, the lock.

    Every file is read and written by `StateFolder` (statefile.py): 0700 folder, 0600 files,
    atomic, never through a link, bounded and checked. Entries that are not what a build writes
    are ignored with a warning and never followed; links.json must be whole, or nothing runs.
    """

    def __init__(self, root: Path) -> None:
        self.warnings: list[Problem] = []
        self.files = StateFolder(root, self.warn)

    def ensure(self) -> None:
        """Make the folder (0700) when it is missing, and keep its mode."""
        with self.files.opened(create=True):
            pass

    def warn(self, name: str, message: str) -> None:
        """Note something odd in a state file (it is then ignored, never followed)."""
        self.warnings.append(Problem(f"{STATE_DIR}/{name}", None, message, "warning"))

    def links(self) -> dict[str, Link]:
        """Each person's slug and key, by profile id."""
        data = self.files.read(LINKS)
        if data is None:
            return {}
        return {guide_id: Link(e["slug"], e["key"]) for guide_id, e in data["links"].items()}

    def manifest(self, name: str) -> Manifest:
        """The manifest of one output folder (see `manifest_name`)."""
        data = self.files.read(StateKind(name, _manifest_shape))
        return Manifest.from_data(data, lambda message: self.warn(name, message))

    def save_manifest(self, name: str, manifest: Manifest) -> None:
        """Record what a build made in one output folder."""
        self.files.write(name, manifest.to_bytes())

    def histories(self) -> dict[str, Mapping[str, Any]]:
        """Each person's last guide in summary (ids and hashes only), for "What's new"."""
        data = self.files.read(HISTORIES)
        found: dict[str, Mapping[str, Any]] = {}
        for guide_id, entry in (data["guides"] if data else {}).items():
            if (
                isinstance(guide_id, str)
                and ID_PATTERN.match(guide_id)
                and isinstance(entry, dict)
                and _summary(entry.get("summary"))
                and _summary(entry.get("since"))
            ):
                found[guide_id] = entry
            else:
                self.warn(HISTORIES_FILE, "an entry that is not an id with a summary: ignored")
        return found

    def save_histories(self, histories: Mapping[str, Mapping[str, Any]]) -> None:
        """Remember each person's last guide in summary."""
        self.files.write(HISTORIES_FILE, to_bytes({"format": 1, "guides": dict(sorted(histories.items()))}))

    def links_for(self, ids: Iterable[str]) -> dict[str, Link]:
        """Every person's link, making a slug and key for anyone who has none yet."""
        links = self.links()
        missing = [i for i in ids if i not in links]
        for guide_id in missing:
            links[guide_id] = new_link()
        if missing:
            self.save_links(links)
        return links

    def rotate(self, guide_id: str) -> Link:
        """A new slug and key for one person: the next build removes the old folder."""
        links = self.links()
        links[guide_id] = new_link()
        self.save_links(links)
        return links[guide_id]

    def save_links(self, links: Mapping[str, Link]) -> None:
        entries = {guide_id: {"slug": link.slug, "key": link.key} for guide_id, link in sorted(links.items())}
        self.files.write(LINKS_FILE, to_bytes({"format": 1, "links": entries}))

    @contextlib.contextmanager
    def locked(self, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
        """One build at a time per project: a second one waits for the first to finish. Holding
        the lock, the temporary files of a state write that was killed are removed."""
        try:
            with self.files.opened(create=True) as folder:
                descriptor = os.open(
                    LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=folder
                )
        except OSError as error:
            raise OutputError(f"cannot open {STATE_DIR}/{LOCK_FILE} ({error.strerror}); nothing was changed") from None
        with os.fdopen(descriptor, "r+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait:
                    on_wait()
                fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                self.files.remove_leftovers(lambda name: bool(TEMPORARY.match(name)))
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def new_link() -> Link:
    """A new random slug and key (cryptography is imported only when a link is made)."""
    from ..web.seal import new_key, new_slug

    return Link(new_slug(), new_key())


def person_link(root: Path, settings: Settings, profile_id: str, *, rotate: bool = False) -> str:
    """A person's private link (what their QR code holds), made when they have none, or a new one
    (`rotate`): what `guidegen link` prints and the desk hands over."""
    state = ProjectState(root)
    with state.locked():
        made = state.rotate(profile_id) if rotate else state.links_for([profile_id])[profile_id]
    from ..web.pages import guide_link

    return guide_link(settings, made.slug, made.key if settings.web.access == "private" else None)


def manifest_name(folder: Path, default: Path) -> str:
    """The manifest file of an output folder: one for the folder in settings, one per --out folder."""
    if folder.resolve() == default.resolve():
        return MAIN_MANIFEST
    return f"manifest-{digest(str(folder.resolve()))[:16]}.json"
