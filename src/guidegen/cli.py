"""The `guidegen` command. The only module that imports click."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path

import click

from . import __version__
from .errors import GuidegenError, InvalidInput, UsageError

_project_option = click.option(
    "-C",
    "--project",
    "project",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="The guidegen project folder (where guidegen.yaml is).",
)


def _fail(error: GuidegenError) -> None:
    """Print a user's mistake without a traceback and exit with its status."""
    problems = getattr(error, "problems", None)
    if problems:
        for problem in problems:
            click.echo(str(problem), err=True)
        errors = sum(1 for p in problems if p.severity == "error")
        click.echo(f"{errors} error{'s' if errors != 1 else ''}; nothing was written", err=True)
    else:
        click.echo(f"error: {error}", err=True)
    sys.exit(error.exit_code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="guidegen")
def main() -> None:
    """Build personalised recovery guides (web page and PDF) from profiles and modules."""


@main.command()
@click.argument("ids", nargs=-1)
@click.option("--no-pdf", is_flag=True, help="Skip the PDF (faster; web guides only).")
@click.option("--no-html", is_flag=True, help="Skip the web guide (PDF only).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (default: `output` in guidegen.yaml).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Guides rendered at once (default: the number of CPUs).",
)
@click.option("--force", is_flag=True, help="Rebuild every guide, even those whose inputs did not change.")
@click.option(
    "--index",
    is_flag=True,
    help="Also write site/index.html listing every guide by id (never names), for staff. Without it, no page lists guides.",
)
@_project_option
def build(
    ids: tuple[str, ...],
    no_pdf: bool,
    no_html: bool,
    out: Path | None,
    jobs: int | None,
    force: bool,
    index: bool,
    project: Path,
) -> None:
    """Build every guide, or only the profiles named by IDS.

    Only guides whose inputs changed since the last build are rendered. Invalid profiles are
    reported with file and line and not written; every valid one is still built (exit status 1).
    Invalid settings, vocabulary, modules or templates stop the build before anything is written.
    """
    from .build import build as run_build

    jobs = jobs or os.cpu_count() or 1
    try:
        with _progress() as on_progress:
            report = run_build(
                project,
                ids,
                out=out,
                html=not no_html,
                pdf=not no_pdf,
                jobs=jobs,
                force=force,
                on_progress=on_progress,
                index=index,
            )
    except GuidegenError as error:
        _fail(error)
        return
    for problem in report.problems:
        click.echo(str(problem), err=True)
    click.echo(
        f"built {len(report.built)}, unchanged {len(report.unchanged)}, failed {report.failed}, "
        f"removed {len(report.removed)} in {report.seconds:.1f} s"
    )
    if report.failed:
        sys.exit(1)


@contextlib.contextmanager
def _progress() -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on an interactive terminal; nothing in CI or when output is piped."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    # auto_refresh=False: no refresh thread, so worker processes can fork safely.
    with Progress(
        TextColumn("building guides"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
        auto_refresh=False,
    ) as bar:
        task = bar.add_task("build", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)
            bar.refresh()

        yield advance


@main.command()
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1).")
@_project_option
def check(strict: bool, project: Path) -> None:
    """Check settings, vocabulary, every module and every profile; report every problem at once."""
    from .check import check as run_check
    from .check import grade_summary

    report = run_check(project)
    for problem in report.problems:
        click.echo(str(problem), err=True)
    summary = grade_summary(report)
    grades = f"; reading grade median {summary[0]:.1f}, highest {summary[1]:.1f}" if summary else ""
    click.echo(f"{len(report.errors)} errors, {len(report.warnings)} warnings{grades}")
    if report.errors or (strict and report.warnings):
        sys.exit(1)


@main.command()
@click.argument("profile_id")
@_project_option
def explain(profile_id: str, project: Path) -> None:
    """Show which modules PROFILE_ID gets, and the rule that picked or skipped each."""
    from .build import load_project
    from .paper import paper_choice
    from .profiles import PROFILES_DIR, load_profile
    from .select import describe, holds, why

    try:
        loaded_project = load_project(project)
        path = project / PROFILES_DIR / f"{profile_id}.yaml"
        if not path.is_file():
            raise UsageError(f"no profile {PROFILES_DIR}/{profile_id}.yaml")
        loaded, problems = load_profile(path, project, loaded_project.settings, loaded_project.vocabulary)
        if loaded is None:
            raise InvalidInput(problems)
    except GuidegenError as error:
        _fail(error)
        return
    person = loaded.profile
    try:
        paper = paper_choice(loaded_project, loaded)  # issue 15: which modules go on paper
    except GuidegenError as error:
        _fail(error)
        return
    picked = 0
    section = None
    for module in loaded_project.modules:
        if module.section != section:
            section = module.section
            click.echo(f"\n{section}")
        if holds(module.rule, person):
            picked += 1
            text, untranslated = module.text_for(person.language or loaded_project.settings.default_language)
            note = " (not translated: shown in the default language)" if untranslated else ""
            click.echo(f"  + {module.id:<28} picked: {describe(module.rule)}{note}")
            click.echo(f"    {'':<28} {paper.marks[module.id]}")
        else:
            click.echo(f"  - {module.id:<28} skipped: needs {why(module.rule, person)}")
    click.echo(f"\n{picked} of {len(loaded_project.modules)} modules picked for {person.id}")
    click.echo(paper.summary())


@main.command()
@click.option("--profile", "profile_id", help="Preview as this person (profile id); default: a list to choose from.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port on 127.0.0.1.")
@_project_option
def serve(profile_id: str | None, port: int, project: Path) -> None:
    """Live preview for editors: rebuild on save and reload the browser (this computer only)."""
    from .serve import serve as run_serve

    def ready(address: str) -> None:
        click.echo(f"previewing at {address} (Ctrl+C to stop); saved changes rebuild and reload the page")

    try:
        run_serve(project, profile_id, port=port, on_ready=ready)
    except GuidegenError as error:
        _fail(error)
    except OSError as error:
        _fail(UsageError(f"cannot listen on port {port} ({error.strerror}); try --port"))
    except KeyboardInterrupt:
        click.echo("stopped")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Make a small working project in DIRECTORY (settings, vocabulary, modules, one profile)."""
    if directory.exists() and any(directory.iterdir()):
        _fail(UsageError(f"{directory} is not empty: choose a new folder"))
    scaffold = Path(str(resources.files("guidegen") / "scaffold"))
    shutil.copytree(scaffold, directory, dirs_exist_ok=True)
    click.echo(f"made a guidegen project in {directory}\nnext: cd {directory} && guidegen check && guidegen build")


@main.group()
def new() -> None:
    """Make a new file from a template."""


PROFILE_TEMPLATE = """\
# Profile for one person. Every key is explained in docs/profiles.md.
# Use only terms from content/vocabulary.yaml for format, substances, stage, conditions,
# therapies, groups and support_style.
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
goals: []                # - {{text: "...", by: 2026-12-31}}
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
# message: |
#   A personal note from the care team.
"""


@new.command("profile")
@click.argument("profile_id")
@_project_option
def new_profile(profile_id: str, project: Path) -> None:
    """Make profiles/PROFILE_ID.yaml with every key ready to fill in."""
    from .profiles import ID_PATTERN, PROFILES_DIR

    if not ID_PATTERN.match(profile_id):
        _fail(
            UsageError(
                f"'{profile_id}' is not a valid id: use lowercase letters, digits and - (never the person's name)"
            )
        )
    path = project / PROFILES_DIR / f"{profile_id}.yaml"
    if path.exists():
        _fail(UsageError(f"{PROFILES_DIR}/{profile_id}.yaml already exists"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PROFILE_TEMPLATE.format(id=profile_id), encoding="utf-8")
    click.echo(f"made {PROFILES_DIR}/{profile_id}.yaml: fill in name and the rest, then run guidegen check")


if __name__ == "__main__":  # pragma: no cover
    main()
