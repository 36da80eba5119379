"""What the last build used, so the next build renders only what changed.

The manifest (site/.guidegen-manifest.json) records a hash of every shared input (settings,
vocabulary, theme, guidegen's version), of every module file, and per guide: its profile file's
hash, a key over everything the guide used, and which output files that key produced. It holds
ids and hashes only, never a profile's values.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .userfiles import read_bytes

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
    """Hash of a file's bytes; a folder, pipe, device or huge file is never read (loading reports it)."""
    data, _ = read_bytes(path, (Path("/"),), str(path))
    return digest(data if data is not None else b"\0unreadable")


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


def shared_digest(settings_file: Path, vocabulary_file: Path, theme_fingerprint: str) -> str:
    """Hash of the inputs every guide uses."""
    return digest(__version__, settings_file.read_bytes(), vocabulary_file.read_bytes(), theme_fingerprint)


def module_file_digests(files: Iterable[tuple[str, Path]]) -> dict[str, str]:
    """Hash of every module file by its relative path."""
    return {name: file_digest(path) for name, path in files}


def guide_key(shared: str, profile: str, used: Mapping[str, str]) -> str:
    """The key of one guide: shared inputs, its profile, and each selected module as used."""
    return digest(shared, profile, *(f"{mid}={h}" for mid, h in used.items()))
