"""What the last build used, so the next build renders only what changed.

The manifest records a hash of every shared input (settings, vocabulary, theme, guidegen's
version), of every module file, and per guide: its profile file's hash, a key over everything
the guide used, and which output files that key produced. It holds ids and hashes only, never
a profile's values. `is_current` is the one place that decides whether a guide is unchanged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .settings import SETTINGS_FILE
from .theme import theme_fingerprint
from .vocabulary import VOCABULARY_FILE

MANIFEST_FILE = ".guidegen-manifest.json"
FORMAT = 1


def digest(*parts: bytes | str) -> str:
    """A short, stable hash of some bytes or strings."""
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "big"))
        hasher.update(data)
    return hasher.hexdigest()[:32]


def file_digest(path: Path) -> str:
    """Hash of a file's bytes."""
    return digest(path.read_bytes())


def shared_digest(root: Path, theme_dirs: tuple[Path, ...]) -> str:
    """Hash of the inputs every guide uses: guidegen's version, settings, vocabulary and theme."""
    settings = (root / SETTINGS_FILE).read_bytes()
    vocabulary = (root / VOCABULARY_FILE).read_bytes()
    return digest(__version__, settings, vocabulary, theme_fingerprint(theme_dirs))


def module_file_digests(files: Iterable[tuple[str, Path]]) -> dict[str, str]:
    """Hash of every module file by its relative path."""
    return {name: file_digest(path) for name, path in files}


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
    """The files that this key produced (index.html, guide.pdf)."""


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
    def read(cls, folder: Path) -> Manifest:
        """The manifest in `folder`, or an empty one (everything will be built)."""
        try:
            data = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
            if data.get("format") != FORMAT or data.get("version") != __version__:
                return cls()
            guides = {
                gid: GuideRecord(r["profile"], r["key"], tuple(r["outputs"])) for gid, r in data["guides"].items()
            }
            return cls(data["shared"], dict(data["modules"]), guides, tuple(data.get("assets", ())))
        except (OSError, ValueError, KeyError, TypeError):
            return cls()

    def to_bytes(self) -> bytes:
        """Stable JSON (sorted keys) for an atomic write."""
        data = {
            "format": FORMAT,
            "version": __version__,
            "shared": self.shared,
            "assets": list(self.assets),
            "modules": dict(sorted(self.modules.items())),
            "guides": {
                gid: {"profile": r.profile, "key": r.key, "outputs": list(r.outputs)}
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
        folder: Path,
        *,
        profile: str,
        inputs_unchanged: bool,
        key: Callable[[], str] | None,
    ) -> bool:
        """Whether a guide's files are there and made from the inputs it would use now.

        When no shared input or module file changed, an unchanged profile is enough; otherwise
        the guide's key (what it uses from the modules it selects) decides. `key` is None when
        the project is not loaded: then only the first rule can say yes."""
        record = self.guides.get(guide_id)
        wanted = tuple(outputs)
        if record is None or not set(wanted) <= set(record.outputs):
            return False
        if not all((folder / name).is_file() for name in wanted):
            return False
        if inputs_unchanged and record.profile == profile:
            return True
        return key is not None and record.key == key()
