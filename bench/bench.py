"""Benchmark guidegen at clinic scale. Run on demand (not part of the tests):

    .venv/bin/python bench/bench.py            # everything (about 8 minutes on 2 cores)
    .venv/bin/python bench/bench.py --quick    # smaller numbers, for a first look
    .venv/bin/python bench/bench.py --goals    # the third edition's goals only, on clinic workloads
    .venv/bin/python bench/bench.py --budget   # the page budget of the example guides only

It generates synthetic projects (N profiles, M modules of realistic length and rules made from
the repository's vocabulary) in a temporary folder and prints each figure beside its goal.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

import yaml  # noqa: E402

from guidegen.guide.assemble import make_guide  # noqa: E402
from guidegen.project.profiles import load_profile, profile_paths  # noqa: E402
from guidegen.project.rules import select_modules  # noqa: E402
from guidegen.publish.build import build  # noqa: E402
from guidegen.publish.job import render_guide  # noqa: E402
from guidegen.web.pages import render_print  # noqa: E402
from guidegen.web.themecheck import load_checked_project  # noqa: E402

VOCABULARY = yaml.safe_load((REPO / "content" / "vocabulary.yaml").read_text())
SECTIONS = ["welcome", "therapies", "coping", "support", "mental-health", "safety"]
WORDS = [
    "you",
    "can",
    "take",
    "a",
    "slow",
    "breath",
    "and",
    "notice",
    "what",
    "your",
    "body",
    "feels",
    "right",
    "now",
    "then",
    "choose",
    "one",
    "small",
    "step",
    "that",
    "helps",
    "like",
    "calling",
    "someone",
    "you",
    "trust",
    "walking",
    "outside",
    "or",
    "drinking",
    "a",
    "glass",
    "of",
    "water",
    "cravings",
    "rise",
    "and",
    "fall",
    "like",
    "waves",
    "and",
    "most",
    "pass",
    "within",
    "half",
    "an",
    "hour",
    "if",
    "you",
    "wait",
    "them",
    "out",
]


def paragraph(rng: random.Random, sentences: int) -> str:
    out = []
    for _ in range(sentences):
        words = rng.choices(WORDS, k=rng.randint(8, 16))
        out.append(" ".join(words).capitalize() + ".")
    return " ".join(out)


def module_text(rng: random.Random, index: int) -> str:
    """A module of about 500 words with a rule, personalisation, a callout and a worksheet."""
    field = rng.choice(["substances", "conditions", "therapies", "stage", "groups"])
    terms = rng.sample(list(VOCABULARY[field]), k=min(2, len(VOCABULARY[field])))
    rule = "" if index % 4 == 0 else f"when:\n  {field}: [{', '.join(terms)}]\n"
    body = [f"{{{{ person.name }}}}, {paragraph(rng, 3)}"]
    for heading in range(3):
        body.append(f"## Part {heading + 1}\n\n{paragraph(rng, 6)}\n\n{paragraph(rng, 5)}")
    body.append('{% if "opioids" in person.substances %}Keep naloxone close.{% endif %}')
    body.append("::: tip\n" + paragraph(rng, 2) + "\n:::")
    body.append("::: worksheet My plan\n- What sets me off: {fill=triggers}\n- What I will do:\n:::")
    return (
        f"---\ntitle: Module {index}\nsummary: {paragraph(rng, 1)}\norder: {index}\n{rule}"
        f'reviewed: 2026-11-01\nsources: ["Synthetic"]\n---\n\n' + "\n\n".join(body) + "\n"
    )


def profile_text(rng: random.Random, number: int) -> str:
    def pick(field: str, k: int) -> str:
        return "[" + ", ".join(rng.sample(list(VOCABULARY[field]), k=k)) + "]"

    return (
        f"id: p-{number:05d}\nname: Person {number}\nlanguage: {rng.choice(['en', 'en', 'es'])}\n"
        f"substances: {pick('substances', 2)}\nstage: {rng.choice(list(VOCABULARY['stage']))}\n"
        f"conditions: {pick('conditions', 1)}\ntherapies: {pick('therapies', 2)}\ngroups: {pick('groups', 1)}\n"
        f'triggers: ["Friday nights", "Trigger {number}"]\ncoping: ["Walk", "Call a friend"]\n'
        f'people: [{{name: Friend {number}, relation: friend, phone: "555-0101"}}]\n'
        f"review: {{next: 2026-12-15, history: [{{date: 2026-10-01}}]}}\n"
    )


def make_project(folder: Path, profiles: int, modules: int, seed: int = 7) -> Path:
    rng = random.Random(seed)
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "profiles").mkdir(parents=True)
    shutil.copy(REPO / "guidegen.yaml", folder / "guidegen.yaml")
    (folder / "content").mkdir()
    shutil.copy(REPO / "content" / "vocabulary.yaml", folder / "content" / "vocabulary.yaml")
    for section in SECTIONS:
        (folder / "content" / section).mkdir()
    for index in range(modules):
        section = SECTIONS[index % len(SECTIONS)]
        (folder / "content" / section / f"m-{index:03d}.md").write_text(module_text(rng, index))
    for number in range(profiles):
        (folder / "profiles" / f"p-{number:05d}.yaml").write_text(profile_text(rng, number))
    return folder


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def line(name: str, value: str, goal: str) -> None:
    print(f"  {name:<58} {value:>16}   goal {goal}")


def bench_html(work: Path, profiles: int, modules: int) -> None:
    print(f"HTML: {profiles} profiles x {modules} modules, --jobs 2")
    root = make_project(work / "html", profiles, modules)
    times = []
    for _ in range(3):  # best of three fresh builds: other load on the machine only adds time
        shutil.rmtree(root / "site", ignore_errors=True)
        report, seconds = timed(build, root, pdf=False, jobs=2)
        assert not report.problems and len(report.built) == profiles, report.problems[:3]
        times.append(seconds)
    seconds = min(times)
    line("full HTML build (best of 3)", f"{profiles / seconds:,.0f} guides/s", ">= 300 guides/s")
    report, noop = timed(build, root, pdf=False, jobs=2)
    assert report.built == []
    line("no-op rebuild / full build", f"{noop / seconds:.3f} ({noop:.2f} s)", "<= 0.05")
    edited = root / "profiles" / "p-00003.yaml"
    edited.write_text(edited.read_text().replace("Friday nights", "Saturday nights"))
    report, _ = timed(build, root, pdf=False, jobs=2)
    line("guides re-rendered after editing one profile", str(len(report.built)), "1")
    project = load_checked_project(root)
    module = project.modules[5]
    expected = 0
    for path in profile_paths(root):
        loaded, _ = load_profile(path, root, project.settings, project.vocabulary)
        expected += module in select_modules(loaded.profile, project.modules)
    path = module.original.path
    path.write_text(path.read_text() + "\nOne more sentence.\n")
    report, _ = timed(build, root, pdf=False, jobs=2)
    line(f"guides re-rendered after editing one module ({expected} select it)", str(len(report.built)), str(expected))


def bench_privacy(work: Path, profiles: int, modules: int) -> None:
    """What sealing costs: a full HTML build of private guides against open ones (same inputs)."""
    print(f"Privacy: {profiles} profiles x {modules} modules, HTML, --jobs 2, sealed vs open (best of 3, interleaved)")
    root = make_project(work / "privacy", profiles, modules)
    settings = root / "guidegen.yaml"
    plain = settings.read_text()
    best = {"private": float("inf"), "open": float("inf")}
    for _ in range(3):
        for access in ("open", "private"):
            settings.write_text(plain + f"web: {{access: {access}}}\n")
            shutil.rmtree(root / "site", ignore_errors=True)
            report, seconds = timed(build, root, pdf=False, jobs=2, force=True)
            assert not report.problems and len(report.built) == profiles, report.problems[:3]
            best[access] = min(best[access], seconds)
    ratio = best["private"] / best["open"]
    line("sealed / open HTML build", f"{ratio:.3f} ({best['private']:.1f} s, {best['open']:.1f} s)", "<= 1.10")


def bench_pdf_overhead(work: Path) -> None:
    import weasyprint

    from guidegen.paper import fit as pdf_module
    from guidegen.paper import layout
    from guidegen.paper.choose import budget_for
    from guidegen.paper.printed import print_source

    print("PDF: guidegen per guide vs bare WeasyPrint write_pdf on the same (final) print HTML")
    root = make_project(work / "pdf", 4, 30)
    project = load_checked_project(root)
    loaded = [load_profile(p, root, project.settings, project.vocabulary)[0] for p in profile_paths(root)]
    render_guide(project, loaded[0], ("guide.pdf",))  # warm up fonts and caches
    base = (project.theme.dirs[-1] / layout.VIRTUAL_PAGE).resolve().as_uri()
    options = {"pdf_variant": "pdf/ua-1", "pdf_forms": True}
    guidegen_times = [float("inf")] * len(loaded)
    bare_times = [float("inf")] * len(loaded)
    for _ in range(3):  # interleaved rounds; the fastest of each guide's runs counts
        for index, person in enumerate(loaded):
            _, seconds = timed(render_guide, project, person, ("guide.pdf",))
            guidegen_times[index] = min(guidegen_times[index], seconds)
            guide = make_guide(project, person.profile)
            source = print_source(guide, project.settings, project.pages)
            budget = budget_for(guide, project.modules, project.settings)
            print_html = pdf_module.lay_out_guide(source, project.theme, root / "templates", budget).html
            _, seconds = timed(weasyprint.HTML(string=print_html, base_url=base).write_pdf, **options)
            bare_times[index] = min(bare_times[index], seconds)
    ratio = sum(guidegen_times) / sum(bare_times)
    line("guidegen / bare write_pdf of the final HTML (fastest of 3)", f"{ratio:.3f}", "<= 1.3 (page budget)")
    line(
        "  (seconds per guide: guidegen, bare)",
        f"{sum(guidegen_times) / len(loaded):.2f}, {sum(bare_times) / len(loaded):.2f}",
        "",
    )


def bench_page_budget() -> None:
    """The example guides with the page budget (print.pages) against every module on paper, and
    the PDF time against one layout (and write) of the final print HTML."""
    from guidegen.paper import fit as pdf_module
    from guidegen.paper.choose import budget_for
    from guidegen.paper.printed import print_source
    from guidegen.project.load import valid_profiles as iter_guides

    print("PDF page budget: the example guides, budget vs every module (print: full), fastest of 3")
    project = load_checked_project(REPO)
    theme, templates = project.theme, REPO / "templates"
    rows = []
    for loaded in iter_guides(project):
        guide = make_guide(project, loaded.profile)
        source = print_source(guide, project.settings, project.pages)
        budget = budget_for(guide, project.modules, project.settings)
        best = {"budget": float("inf"), "full": float("inf"), "one": float("inf")}
        for _ in range(3):
            laid_out, seconds = timed(pdf_module.lay_out_guide, source, theme, templates, budget)
            _, write = timed(pdf_module.pdf_bytes, laid_out)
            best["budget"] = min(best["budget"], seconds + write)
            full, seconds = timed(pdf_module.lay_out_guide, source, theme, templates, None)
            _, write = timed(pdf_module.pdf_bytes, full)
            best["full"] = min(best["full"], seconds + write)
            final, seconds = timed(pdf_module.lay_out_guide, laid_out.html, theme, templates, None)
            _, write = timed(pdf_module.pdf_bytes, final)
            best["one"] = min(best["one"], seconds + write)
        rows.append((loaded.profile.id, len(full.document.pages), len(laid_out.document.pages), laid_out, best))
        line(
            f"{loaded.profile.id} {','.join(loaded.profile.format) or 'standard'}: pages, full -> budget",
            f"{len(full.document.pages)} -> {len(laid_out.document.pages)}",
            f"<= {project.settings.print.pages}",
        )
        line(
            f"  seconds, full -> budget (one layout of the final HTML: {best['one']:.2f})",
            f"{best['full']:.2f} -> {best['budget']:.2f}",
            "",
        )
        line(
            "  layouts of the guide (+ safety plan pages alone)",
            f"{laid_out.layouts} (+{laid_out.probes})",
            "1 (2 rare)",
        )
    ratio = sum(r[4]["budget"] for r in rows) / sum(r[4]["one"] for r in rows)
    line("PDF time with the budget / one layout of the final HTML", f"{ratio:.2f}", "<= 1.3")


GIVEN = ["Sam", "Alex", "Jo", "Dana", "Lee", "Ana", "Ben", "Rosa", "Kai", "Mia", "Noor", "Tomás", "Ivy", "Omar"]
FAMILY = ["Rivera", "Kim", "Okafor", "Novak", "Haddad", "Silva", "Nguyen", "Berg", "Moreno", "Quinn"]
GOALS = ["Sleep seven hours", "Walk every morning", "Call my sister on Sundays", "No drinking on weeknights",
         "Go to two meetings a week", "Cook dinner at home", "Save for a bike", "Take my medication daily"]  # fmt: skip
MEASURE_IDS = ("phq9", "gad7", "auditc", "days_without_use")


def clinic_profile(rng: random.Random, number: int, *, measures: bool) -> str:
    """One person of a clinic, unlike any other: own name, terms, goals, dates and (with `measures`)
    three measures with their own scores over their own dates."""

    def pick(field: str, k: int) -> str:
        return "[" + ", ".join(rng.sample(list(VOCABULARY[field]), k=k)) + "]"

    first_visit = datetime.date(2025, 1, 1) + datetime.timedelta(days=rng.randint(0, 500))
    visits = sorted({first_visit + datetime.timedelta(days=rng.randint(20, 60) * i) for i in range(rng.randint(3, 6))})
    lines = [
        f"id: c-{number:05d}",
        f"name: {rng.choice(GIVEN)} {rng.choice(FAMILY)}-{number}",
        f"language: {rng.choice(['en', 'en', 'en', 'es'])}",
        f"format: {rng.choice(['[]', '[]', '[]', '[large_print]', '[dyslexia_friendly]', '[high_contrast]'])}",
        f"substances: {pick('substances', rng.randint(1, 2))}",
        f"stage: {rng.choice(list(VOCABULARY['stage']))}",
        f"conditions: {pick('conditions', rng.randint(0, 2))}",
        f"therapies: {pick('therapies', rng.randint(1, 3))}",
        f"groups: {pick('groups', rng.randint(0, 2))}",
        f'triggers: ["Trigger {number}", "{rng.choice(["Friday nights", "Payday", "Arguments", "Being alone"])}"]',
        f'coping: ["{rng.choice(["Walk", "Call a friend", "Music", "Shower"])}", "Plan {number}"]',
        f'people: [{{name: Friend {number}, relation: friend, phone: "555-01{number % 100:02d}"}}]',
        "goals:",
    ]
    for index, goal in enumerate(rng.sample(GOALS, k=rng.randint(1, 3))):
        done = f", done: {visits[-1]}" if index == 0 and rng.random() < 0.4 else ""
        lines.append(f'  - {{text: "{goal} ({number})", by: {visits[-1] + datetime.timedelta(days=90)}{done}}}')
    history = ", ".join(f"{{date: {day}}}" for day in visits)
    lines.append(f"review: {{next: {visits[-1] + datetime.timedelta(days=45)}, history: [{history}]}}")
    if measures:
        lines.append("measures:")
        for measure in rng.sample(MEASURE_IDS, k=3):
            low, high = VOCABULARY["measures"][measure]["range"]
            scores = ", ".join(f"{{date: {day}, score: {rng.randint(low, high)}}}" for day in visits)
            lines.append(f"  {measure}: [{scores}]")
    return "\n".join(lines) + "\n"


def make_clinic(folder: Path, profiles: int, *, measures: bool = True, seed: int = 11) -> Path:
    """A copy of the real project (settings, vocabulary, the whole module library), private
    (sealed) guides, and `profiles` people who are all different."""
    rng = random.Random(seed)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copy(REPO / "guidegen.yaml", folder / "guidegen.yaml")  # web.access is private unless it says open
    assert "access: open" not in (REPO / "guidegen.yaml").read_text()
    shutil.copytree(REPO / "content", folder / "content")
    shutil.copytree(REPO / "templates", folder / "templates")
    (folder / "profiles").mkdir()
    for number in range(profiles):
        (folder / "profiles" / f"c-{number:05d}.yaml").write_text(clinic_profile(rng, number, measures=measures))
    return folder


def children_cpu() -> float:
    """Processor seconds of every finished child process (and their workers) so far."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def command_seconds(args: list[str], root: Path | None = None) -> float:
    """Wall time of one `guidegen` command in a new process, as staff run it."""
    return command_times(args, root)[0]


def command_times(args: list[str], root: Path | None = None) -> tuple[float, float]:
    """Wall time and processor time (the command and its workers) of one `guidegen` command in a
    new process. On a machine shared with other work the wall time grows, the processor time
    hardly: both are printed."""
    started, cpu = time.perf_counter(), children_cpu()
    subprocess.run(
        [sys.executable, "-m", "guidegen.cli", *args],
        check=True,
        capture_output=True,
        cwd=root or REPO,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )
    return time.perf_counter() - started, children_cpu() - cpu


GOALS_MEASURED = ("chart", "measures", "pdf", "html", "start")
"""The third edition's goals, each of which `--goal` may ask for alone."""


def bench_goals(work: Path, quick: bool, only: Sequence[str] = GOALS_MEASURED) -> None:
    """The third edition's goals, on clinic-like workloads (everyone different, the real library, sealed)."""
    print(f"Goals (load before: {os.getloadavg()[0]:.2f}): clinic workloads, the real library, private guides")
    steps = {"chart": goal_chart, "measures": goal_measures, "pdf": goal_pdf, "html": goal_html, "start": goal_start}
    for goal in GOALS_MEASURED:
        if goal in only:
            steps[goal](work, quick)
    print(f"  (load after: {os.getloadavg()[0]:.2f})")


def goal_chart(work: Path, quick: bool) -> None:
    """One chart drawn, over many different charts."""
    from datetime import date

    from guidegen.guide.progress import chart_svg
    from guidegen.project.settings import load_settings
    from guidegen.project.vocabulary import load_vocabulary

    vocabulary = load_vocabulary(REPO, load_settings(REPO))
    rng = random.Random(5)
    charts = []
    for _ in range(300):
        measure = vocabulary.measures[rng.choice(MEASURE_IDS)]
        start = date(2025, 1, 1) + datetime.timedelta(days=rng.randint(0, 300))
        days = sorted({start + datetime.timedelta(days=rng.randint(0, 400)) for _ in range(rng.randint(2, 10))})
        if len(days) < 2:
            continue
        points = tuple((day, rng.randint(measure.low, measure.high)) for day in days)
        charts.append((measure, points, tuple(b.labels["en"] for b in measure.bands), rng.choice([False, True])))
    started = time.perf_counter()
    for measure, points, labels, large in charts:
        chart_svg(measure, points, labels, "en", "Lower is better", large=large)
    per_chart = (time.perf_counter() - started) / len(charts) * 1000
    line(f"one chart ({len(charts)} different charts)", f"{per_chart:.2f} ms", "<= 5 ms")


def goal_measures(work: Path, quick: bool) -> None:
    """HTML guides/s with three measures each against none, in one process."""
    people = 30 if quick else 60
    rates = {}
    for measures in (False, True):
        root = make_clinic(work / f"clinic-{measures}", people, measures=measures)
        build(root, pdf=False, jobs=1)  # the first build fills the module-check cache, as any clinic's has
        best = float("inf")
        for _ in range(2):
            report, seconds = timed(build, root, pdf=False, jobs=1, force=True)
            assert not report.problems and len(report.built) == people, report.problems[:3]
            best = min(best, seconds)
        rates[measures] = people / best
    line(
        f"HTML guides/s, three measures each / none ({people} people, --jobs 1)",
        f"{rates[True] / rates[False]:.2f} ({rates[True]:.0f} / {rates[False]:.0f})",
        ">= 0.8",
    )


def goal_pdf(work: Path, quick: bool) -> None:
    """8 PDF guides, the whole command, --jobs 2 against --jobs 1."""
    root = make_clinic(work / "clinic-pdf", 8)
    command_build(root, work / "warm", 1)  # fills the caches in .guidegen/, as any clinic's has
    times = {}
    for jobs in (1, 2):
        cpu = children_cpu()
        seconds, _ = command_build(root, work / f"pdf{jobs}", jobs)
        times[jobs] = (seconds, children_cpu() - cpu)
    (one, one_cpu), (two, two_cpu) = times[1], times[2]
    line(
        "8 PDF guides: --jobs 2 over --jobs 1 (the whole command)",
        f"{one / two:.2f}x ({one:.1f} s, {two:.1f} s)",
        ">= 1.8",
    )
    line("  processor seconds, --jobs 1 and --jobs 2 (the same work?)", f"{one_cpu:.1f} s, {two_cpu:.1f} s", "")


def goal_html(work: Path, quick: bool) -> None:
    """A whole-command HTML build of 1,000 clinic profiles."""
    count = 200 if quick else 1000
    root = make_clinic(work / "clinic-html", count)
    command_seconds(["build", "--no-pdf", "--jobs", "2", "-C", str(root), "--out", str(work / "first")])
    shutil.rmtree(root / ".guidegen" / "cache", ignore_errors=True)  # caches dropped too: a cold start
    seconds, cpu = command_times(["build", "--no-pdf", "--jobs", "2", "--force", "-C", str(root)])
    line(
        f"whole-command HTML build of {count:,} profiles, --jobs 2 (cold caches)",
        f"{count / seconds:.0f} guides/s",
        ">= 150 guides/s",
    )
    line("  (wall and processor seconds)", f"{seconds:.1f} s, {cpu:.1f} s", "")
    seconds, cpu = command_times(["build", "--no-pdf", "--jobs", "2", "--force", "-C", str(root)])
    line("  the same again (.guidegen/cache/ kept, same bytes)", f"{count / seconds:.0f} guides/s", ">= 150 guides/s")
    line("  (wall and processor seconds)", f"{seconds:.1f} s, {cpu:.1f} s", "")


def goal_start(work: Path, quick: bool) -> None:
    """`guidegen --help` and a build with nothing to do, each in a new process."""
    small = make_clinic(work / "clinic-small", 14)
    command_seconds(["build", "--no-pdf", "-C", str(small)])
    helps = min(command_seconds(["--help"]) for _ in range(5))
    noops = min(command_seconds(["build", "--no-pdf", "-C", str(small)]) for _ in range(5))
    line("guidegen --help (best of 5)", f"{helps:.3f} s", "< 0.3 s")
    line("guidegen build with nothing to do (best of 5)", f"{noops:.3f} s", "< 0.3 s")


COMMAND_SCRIPT = """
import resource, sys
from guidegen.cli import main
try:
    main(sys.argv[1:])
except SystemExit as stop:
    if stop.code:
        raise
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def command_build(root: Path, out: Path, jobs: int) -> tuple[float, int]:
    """`guidegen build --no-html --force --jobs N` in a new process, as staff run it: seconds,
    and the peak RSS of its largest worker in KB (0 with --jobs 1)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", COMMAND_SCRIPT, "build", "--no-html", "--force"]
        + ["-C", str(root), "--out", str(out), "--jobs", str(jobs)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )
    return time.perf_counter() - started, int(done.stdout.strip().splitlines()[-1])


def bench_parallel_and_naive(work: Path) -> None:
    print("PDF: 8 guides, --jobs 1 vs --jobs 2, and against a naive per-person script")
    root = make_project(work / "par", 8, 30)
    one, _ = command_build(root, work / "out1", 1)
    two, worker_8 = command_build(root, work / "out2", 2)
    line("--jobs 2 over --jobs 1 (the whole command)", f"{one / two:.2f}x ({one:.1f} s, {two:.1f} s)", ">= 1.8")
    _, inside_one = timed(build, root, out=work / "in1", html=False, jobs=1, force=True)
    _, inside_two = timed(build, root, out=work / "in2", html=False, jobs=2, force=True)
    line(
        "  inside one build (start-up left out)",
        f"{inside_one / inside_two:.2f}x ({inside_one:.1f} s, {inside_two:.1f} s)",
        "",
    )
    many = make_project(work / "par24", 24, 30)
    one24, _ = command_build(many, work / "out1-24", 1)
    two24, worker_24 = command_build(many, work / "out2-24", 2)
    line("  the whole command on 24 guides", f"{one24 / two24:.2f}x ({one24:.1f} s, {two24:.1f} s)", "")
    line(
        "PDF worker peak RSS, 12 guides each / 4 guides each",
        f"{worker_24 / worker_8:.2f} ({worker_24 / 1024:.0f} / {worker_8 / 1024:.0f} MB)",
        "flat (about 1)",
    )
    project = load_checked_project(root)
    naive_dir = work / "naive"
    naive_dir.mkdir(exist_ok=True)
    started = time.perf_counter()
    theme_print = project.theme.dirs[-1] / "_print_"
    theme_print.mkdir(exist_ok=True)
    try:
        for path in profile_paths(root):
            loaded, _ = load_profile(path, root, project.settings, project.vocabulary)
            html_file = theme_print / f"{path.stem}.html"
            html_file.write_text(render_print(make_guide(project, loaded.profile), project.settings, project.pages))
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "weasyprint",
                    "--pdf-variant",
                    "pdf/ua-1",
                    "--pdf-forms",
                    str(html_file),
                    str(naive_dir / f"{path.stem}.pdf"),
                ],
                check=True,
                capture_output=True,
            )
    finally:
        shutil.rmtree(theme_print)
    naive = time.perf_counter() - started
    line("naive script / guidegen --jobs 2", f"{naive / two:.2f}x ({naive:.1f} s)", ">= 1.3")


WORKER_SCRIPT = """
import json, resource, sys
sys.path.insert(0, {src!r})
from guidegen.publish.build import build
from pathlib import Path
report = build(Path({root!r}), pdf=False, jobs=2)
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the process that started this one
parent_kb = int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM:")).split()[1])
print(json.dumps({{"built": len(report.built), "parent_kb": parent_kb,
                  "worker_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}}))
"""


def bench_memory(work: Path, small: int, large: int) -> None:
    print(f"Memory: peak RSS per worker, HTML build of {small:,} vs {large:,} profiles (--jobs 2)")
    results = {}
    for count in (small, large):
        root = make_project(work / f"mem{count}", count, 60)
        output = subprocess.run(
            [sys.executable, "-c", WORKER_SCRIPT.format(src=str(REPO / "src"), root=str(root))],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        results[count] = json.loads(output.strip().splitlines()[-1])
        shutil.rmtree(root)
    for count, data in results.items():
        line(
            f"{count:,} profiles: worker / parent peak RSS",
            f"{data['worker_kb'] / 1024:.0f} / {data['parent_kb'] / 1024:.0f} MB",
            "<= 300 MB",
        )
    ratio = results[large]["worker_kb"] / results[small]["worker_kb"]
    line("worker peak RSS, large / small", f"{ratio:.2f}", "flat (about 1)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller numbers for a first look")
    parser.add_argument("--budget", action="store_true", help="only the page budget of the example guides")
    parser.add_argument("--privacy", action="store_true", help="only the cost of sealing private guides")
    parser.add_argument("--goals", action="store_true", help="only the third edition's goals (clinic workloads)")
    parser.add_argument("--goal", action="append", choices=GOALS_MEASURED, help="only this goal (may be repeated)")
    args = parser.parse_args()
    if args.goals or args.goal:
        with tempfile.TemporaryDirectory(prefix="guidegen-bench-") as folder:
            bench_goals(Path(folder), args.quick, args.goal or GOALS_MEASURED)
        return
    if args.budget:
        bench_page_budget()
        return
    if args.privacy:
        with tempfile.TemporaryDirectory(prefix="guidegen-bench-") as folder:
            bench_privacy(Path(folder), 200 if args.quick else 1000, 60)
        return
    print(f"guidegen benchmark on {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="guidegen-bench-") as folder:
        work = Path(folder)
        bench_goals(work, args.quick)
        bench_html(work, 200 if args.quick else 1000, 60)
        bench_privacy(work, 200 if args.quick else 1000, 60)
        bench_pdf_overhead(work)
        bench_page_budget()
        bench_parallel_and_naive(work)
        bench_memory(work, 200 if args.quick else 1000, 1000 if args.quick else 10000)
    print(f"(resource usage of this run: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
