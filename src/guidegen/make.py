"""`guidegen init` and `guidegen new profile`: a project or a profile made whole or not at all,
and what the command line says when the disk or the system fails (never a traceback).

A new profile is written beside its place and linked in (`link` never replaces a file), so two
commands at once cannot overwrite each other; a new project is copied into a staging folder
beside its place and renamed in, so a full disk leaves no half-made project.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path

from .errors import OutputError, UsageError
from .project.profiles import PROFILES_DIR, check_id, profile_paths
from .publish import nofollow

PROFILE_TEMPLATE = """\
# Profile for one person. Every key is explained in docs/profiles.md.
# Use only terms from content/vocabulary.yaml for format, substances, stage, conditions,
# therapies, groups, support_style, needs, strengths, population and transitions.
id: {id}
name: ""                 # the name the guide calls the person
# pronouns: ""
# language: en
format: []
substances: []
# stage: contemplation
conditions: []
trauma_informed: false
therapies: []
groups: []
# support_style: any
needs: []                # what they need help with: housing, work, money, legal, transport ...
strengths: []            # what they bring: supportive_people, faith, employment, skills ...
population: []           # young_person, older_adult, lgbtq, veteran
transitions: []          # leaving_jail, leaving_hospital, leaving_detox, leaving_residential
goals: []                # - {{text: "...", by: 2026-12-31}}; add done: DATE when reached
reasons: []
triggers: []
warning_signs: []
coping: []
people: []               # - {{name: "...", relation: "...", phone: "555-0101"}}
care_team: []            # - {{name: "...", role: Counselor, phone: "555-0199"}}
# safety_plan:
#   warning_signs: []
#   coping: []
#   distractions: []
#   help: []
#   professionals: []
#   safe_environment: []
#   reason_for_living: ""
review:
  next: null             # e.g. 2026-12-15
  history: []
measures: {{}}             # scores over time, e.g. phq9: [{{date: 2026-08-01, score: 16}}]
# message: |
#   A personal note from the care team.
"""


GITIGNORE = """\
# Made by guidegen: never commit these. site/ is what gets published (it holds nothing that
# names a person); print/ holds staff copies of printed guides; .guidegen/ holds each person's
# private link key.
/site/
/print/
/.guidegen/
"""


def make_profile(project: Path, profile_id: str) -> Path:
    """profiles/<id>.yaml from the template; an existing profile is never replaced."""
    check_id(profile_id)
    for existing in profile_paths(project):
        if existing.stem == profile_id:
            raise UsageError(f"{PROFILES_DIR}/{existing.name} already exists")
    name = f"{profile_id}.yaml"
    text = PROFILE_TEMPLATE.format(id=profile_id).encode()
    try:
        with nofollow.folder(project, Path(PROFILES_DIR), create=True) as folder:
            temporary = nofollow.stage(folder, name, text, 0o666 & ~_umask(), sync=True)
            try:
                os.link(temporary, name, src_dir_fd=folder, dst_dir_fd=folder, follow_symlinks=False)
            finally:
                with contextlib.suppress(OSError):
                    os.unlink(temporary, dir_fd=folder)
    except FileExistsError:
        raise UsageError(f"{PROFILES_DIR}/{name} already exists") from None
    except OSError as error:
        raise OutputError(f"cannot make {PROFILES_DIR}/{name} ({_reason(error)}); nothing was written") from None
    return project / PROFILES_DIR / name


def make_project(directory: Path) -> None:
    """A small working project in `directory` (which must be missing or empty)."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise UsageError(f"{directory} is not empty: choose a new folder")
    parent = Path(os.path.abspath(directory)).parent
    if not parent.is_dir():
        raise OutputError(f"cannot make {directory}: the folder it goes in does not exist (make it first)")
    scaffold = Path(str(resources.files("guidegen") / "scaffold"))
    staging: Path | None = None
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.init-", dir=parent))
        shutil.copytree(scaffold, staging, dirs_exist_ok=True)
        (staging / ".gitignore").write_bytes(GITIGNORE.encode())
        os.chmod(staging, 0o777 & ~_umask())
        os.replace(staging, directory)  # an empty folder is replaced; a full one never (ENOTEMPTY)
        staging = None
    except OSError as error:
        raise OutputError(f"cannot make {directory} ({_reason(error)}); nothing was made") from None
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def clear_import_staging(project: Path) -> None:
    """The staging folders (profiles/.import-XXXX/) of an import that was killed; call it holding
    the project's lock, so a running import's folder is never touched."""
    from .publish.build import remove_import_staging
    from .publish.output import Writer

    remove_import_staging(project, Writer(project))


def environment_fault(error: OSError) -> str:
    """What the command line says when the disk or the system fails: the reason and the file
    (paths name ids and slugs, never a person), and that guidegen stopped."""
    where = f" ({os.path.basename(error.filename)})" if isinstance(error.filename, str) else ""
    return f"{_reason(error)}{where}: guidegen stopped; files are written whole or not at all, so nothing was lost"


def _reason(error: OSError) -> str:
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if error.errno == errno.EROFS:
        return "the disk is read-only"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "no permission"
    return error.strerror or type(error).__name__


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
