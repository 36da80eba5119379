"""`.guidegen/audit.log`: one line per staff action at the desk (time, OS user, action, profile id),
appended, never rewritten, and never holding a value from a profile."""

from __future__ import annotations

import getpass
import os
from datetime import UTC, datetime
from pathlib import Path

from ..project.profiles import ID_PATTERN
from ..publish.state import ProjectState
from ..publish.statefile import STATE_DIR

AUDIT_FILE = "audit.log"
ACTIONS = frozenset({"opened", "saved", "printed", "link-shown", "link-rotated", "imported"})


def audit(root: Path, action: str, profile_id: str) -> None:
    """Append one line: `2026-12-07T09:30:00Z<TAB>user<TAB>action<TAB>id`."""
    if action not in ACTIONS or not ID_PATTERN.match(profile_id):
        raise ValueError("an audit line holds a known action and a profile id only")
    ProjectState(root).ensure()
    when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    line = f"{when}\t{_user()}\t{action}\t{profile_id}\n".encode()
    descriptor = os.open(root / STATE_DIR / AUDIT_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, line)  # one write of one short line: appended whole
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _user() -> str:
    try:
        name = getpass.getuser()
    except (OSError, KeyError):
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return "".join(c for c in name if c.isprintable() and c not in "\t\n") or "unknown"
