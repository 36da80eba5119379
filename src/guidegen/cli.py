"""The `guidegen` command. The only module that imports click."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from . import __version__
from .errors import GuidegenError, UsageError

_project_option = click.option(
    "-C",
    "--project",
    "project",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="The guidegen project folder (where guidegen.yaml is).",
)


class GuidegenGroup(click.Group):
    """Prints a user's mistake (a GuidegenError) without a traceback and exits with its status."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except GuidegenError as error:
            for line in error.report():
                click.echo(line, err=True)
            ctx.exit(error.exit_code)
        except OSError as error:  # the disk or the system, not the user's input: said plainly, exit 1
            from .make import environment_fault

            click.echo(f"error: {environment_fault(error)}", err=True)
            ctx.exit(1)


@click.group(cls=GuidegenGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
@click.option("--cluster", metavar="ADDRESS", help="Render on a Dask cluster: tls://HOST:PORT, local:N.")
@click.option("--insecure", is_flag=True, help="Allow an unencrypted tcp:// cluster on another computer.")
@click.option("--force", is_flag=True, help="Rebuild every guide, even those whose inputs did not change.")
@click.option(
    "--index",
    is_flag=True,
    help="Also write print/index.html for staff: every guide by id (never names) with its private link and PDF.",
)
@_project_option
def build(
    ids: tuple[str, ...],
    no_pdf: bool,
    no_html: bool,
    out: Path | None,
    jobs: int | None,
    cluster: str | None,
    insecure: bool,
    force: bool,
    index: bool,
    project: Path,
) -> None:
    """Build every guide, or only the profiles named by IDS.

    Only guides whose inputs changed since the last build are rendered. Invalid profiles are
    reported with file and line and not written; every valid one is still built (exit status 1).
    Invalid settings, vocabulary, modules or templates stop the build before anything is written.
    """
    from .publish.build import build as run_build

    if no_html and no_pdf:
        raise UsageError("--no-html and --no-pdf together leave nothing to build")
    if cluster is not None:
        from .publish.cluster import check_address  # dask itself is imported only when the build starts

        check_address(cluster, insecure, jobs)
    jobs = jobs or os.cpu_count() or 1

    def waiting() -> None:
        click.echo("another build of this project is running: waiting for it to finish", err=True)

    with _progress() as on_progress:
        report = run_build(
            project,
            ids,
            out=out,
            html=not no_html,
            pdf=not no_pdf,
            jobs=jobs,
            cluster=cluster,
            force=force,
            on_progress=on_progress,
            on_wait=waiting,
            index=index,
        )
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
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1); overdue reviews stay reminders.")
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
    reminders = f", {len(report.reminders)} reminders" if report.reminders else ""
    click.echo(f"{len(report.errors)} errors, {len(report.warnings)} warnings{reminders}{grades}")
    if report.errors or (strict and report.warnings):
        sys.exit(1)


@main.command()
@click.argument("profile_id")
@_project_option
def explain(profile_id: str, project: Path) -> None:
    """Show which modules PROFILE_ID gets, and the rule that picked or skipped each."""
    from .explain import explain_lines

    for line in explain_lines(project, profile_id):
        click.echo(line)


@main.command()
@click.option("--within", type=click.IntRange(min=0), metavar="DAYS", help="Due within DAYS days (and overdue ones).")
@click.option("--overdue", is_flag=True, help="Only reviews whose date has passed.")
@_project_option
def reviews(within: int | None, overdue: bool, project: Path) -> None:
    """Whose review is due: each profile id with its next review date, soonest first (ids only)."""
    from .reviews import describe_due, pick, project_reviews, today

    due, problems = project_reviews(project, today())
    for problem in problems:
        click.echo(str(problem), err=True)
    for review in pick(due, within=within, overdue=overdue):
        click.echo(describe_due(review))
    late = sum(1 for r in due if r.overdue)
    undated = sum(1 for r in due if r.next is None)
    click.echo(f"{late} overdue, {undated} without a next review date, {len(due)} profiles", err=True)


@main.command()
@click.option("--profile", "profile_id", help="Preview as this person (profile id); default: a list to choose from.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port on 127.0.0.1.")
@_project_option
def serve(profile_id: str | None, port: int, project: Path) -> None:
    """Live preview for editors: rebuild on save and reload the browser (this computer only)."""
    from .serve import serve as run_serve

    def ready(address: str) -> None:
        click.echo(f"previewing at {address} (Ctrl+C to stop); saved changes rebuild and reload the page")

    if profile_id is not None:
        from .project.profiles import find_profile

        find_profile(project, profile_id)
    try:
        run_serve(project, profile_id, port=port, on_ready=ready)
    except OSError as error:
        raise UsageError(f"cannot listen on port {port} ({error.strerror}); try --port") from None
    except KeyboardInterrupt:
        click.echo("stopped")


@main.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8800,
    show_default=True,
    help="Port on 127.0.0.1 (0: any free port).",
)
@click.option("--no-browser", is_flag=True, help="Print the address only; do not open a browser.")
@_project_option
def desk(port: int, no_browser: bool, project: Path) -> None:
    """The staff desk in the browser: people, reviews due, a person's form, preview, print, hand over."""
    from .desk.server import run_desk

    def ready(address: str) -> None:
        click.echo(f"guidegen desk at {address}\n(this computer only; keep the address private; Ctrl+C to stop)")
        if not no_browser:
            import webbrowser

            webbrowser.open(address)

    try:
        run_desk(project, port, ready)
    except OSError as error:
        raise UsageError(f"cannot listen on port {port} ({error.strerror}); try --port") from None
    except KeyboardInterrupt:
        click.echo("stopped")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Make a small working project in DIRECTORY (settings, vocabulary, modules, one profile)."""
    from .make import make_project

    make_project(directory)
    click.echo(f"made a guidegen project in {directory}\nnext: cd {directory} && guidegen check && guidegen build")


@main.command()
@click.argument("profile_id")
@click.option(
    "--rotate", is_flag=True, help="Make a new link (new folder and key); the next build removes the old one."
)
@_project_option
def link(profile_id: str, rotate: bool, project: Path) -> None:
    """Print PROFILE_ID's private link to their web guide (what their QR code holds)."""
    from .project.profiles import find_profile
    from .project.settings import load_settings
    from .publish.state import person_link

    find_profile(project, profile_id)
    settings = load_settings(project)
    click.echo(person_link(project, settings, profile_id, rotate=rotate))
    if not settings.base_url:
        click.echo(f"(a path inside {settings.output}/: set base_url in guidegen.yaml for a web address)", err=True)
    if rotate:
        click.echo("a new link: build again to publish it; the old link stops working then", err=True)


@main.group()
def new() -> None:
    """Make a new file from a template."""


@new.command("profile")
@click.argument("profile_id")
@_project_option
def new_profile(profile_id: str, project: Path) -> None:
    """Make profiles/PROFILE_ID.yaml with every key ready to fill in."""
    from .make import make_profile
    from .project.profiles import PROFILES_DIR

    make_profile(project, profile_id)
    click.echo(f"made {PROFILES_DIR}/{profile_id}.yaml: fill in name and the rest, then run guidegen check")


@main.group("import")
def import_() -> None:
    """Make or update profiles from the clinic's record system."""


@import_.command("fhir")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Processes that read records (default: the number of CPUs).",
)
@click.option(
    "--prefer-record",
    is_flag=True,
    help="Take the record's value even where staff edited a field since the last import.",
)
@_project_option
def import_fhir(files: tuple[Path, ...], jobs: int | None, prefer_record: bool, project: Path) -> None:
    """Write or update profiles/<id>.yaml from FHIR R4 FILES (a Bundle .json, or NDJSON from a bulk export)."""
    from .fhir.importer import import_fhir as run_import
    from .fhir.report import report_lines
    from .make import clear_import_staging
    from .publish.state import ProjectState

    with ProjectState(project).locked():  # one import or build at a time; a killed one's staging removed
        clear_import_staging(project)
        report = run_import(project, files, jobs=jobs or os.cpu_count() or 1, prefer_record=prefer_record)
    for line, to_stderr in report_lines(report):
        click.echo(line, err=to_stderr)
    if report.failed or any(p.severity == "error" for p in report.problems):
        sys.exit(1)


@main.command()
@click.argument("kind", type=click.Choice(["profile", "module", "settings", "vocabulary"]))
@_project_option
def schema(kind: str, project: Path) -> None:
    """Print the JSON Schema of a project file (vocabulary terms as enums) for editors."""
    from .project.editor_schema import schema_json

    click.echo(schema_json(project, kind))


if __name__ == "__main__":  # pragma: no cover
    main()
