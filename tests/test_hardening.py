"""Careless and hostile input: a problem with file:line, never a traceback, an echo or an escape."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cases import FIXTURES
from conftest import folder_of, link_of
from guidegen.yamlfile import parse_yaml


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """The small fixture project."""
    return Path(shutil.copytree(FIXTURES / "mini", tmp_path / "mini"))


def clean(result) -> str:
    """All the output of a command, after checking it shows no traceback."""
    text = result.output + result.stderr
    assert "Traceback" not in text and "Error:" not in text.replace("error:", "")
    return text


GOOD_PROFILE = "id: r-bad\nname: SECRET-name\n"


# 1. Dates, tags, nesting, encodings ------------------------------------------------------------


@pytest.mark.parametrize("command", ["build", "check", "explain"])
def test_an_impossible_date_in_a_profile_is_a_problem_with_its_line(mini: Path, run, command: str) -> None:
    (mini / "profiles" / "r-bad.yaml").write_text(GOOD_PROFILE + "review:\n  next: 2026-02-30\n")
    args = {"build": ("build", "--no-pdf"), "check": ("check",), "explain": ("explain", "r-bad")}[command]
    result = run(*args, "-C", mini)
    text = clean(result)
    assert result.exit_code == 1
    assert "profiles/r-bad.yaml:4: this date does not exist" in text
    assert "SECRET" not in text
    if command == "build":
        assert (folder_of(mini, "p-001") / "index.html").is_file()  # everyone else is still built


@pytest.mark.parametrize("command", ["build", "check", "explain"])
def test_an_impossible_reviewed_date_in_a_module_is_a_problem_with_its_line(mini: Path, run, command: str) -> None:
    module = mini / "content" / "coping" / "cravings.md"
    module.write_text(module.read_text().replace("reviewed: 2026-11-01", "reviewed: 2026-02-30"))
    args = {"build": ("build", "--no-pdf"), "check": ("check",), "explain": ("explain", "p-001")}[command]
    result = run(*args, "-C", mini)
    assert result.exit_code == 1
    assert "content/coping/cravings.md:8: this date does not exist" in clean(result)


@pytest.mark.parametrize(
    "value",
    [
        "!!float 1",
        "!!int 3",
        "!!bool yes",
        "!!timestamp 2026-01-01",
        "!!binary U0VDUkVU",
        "!!str SECRET",
        "!!python/object/apply:os.system [SECRET]",
        "!SECRET SECRET",
        "!<tag:SECRET.example,2026:x> SECRET",
    ],
)
def test_explicit_yaml_tags_are_refused_without_echo(mini: Path, run, value: str) -> None:
    (mini / "profiles" / "r-bad.yaml").write_text(GOOD_PROFILE + f"pronouns: {value}\n")
    result = run("check", "-C", mini)
    text = clean(result)
    assert result.exit_code == 1
    assert "profiles/r-bad.yaml:3: YAML tags" in text
    assert "SECRET" not in text and "U0VD" not in text and "python" not in text


@pytest.mark.parametrize("opening", ["[", "{a: "])
def test_deep_nesting_is_a_problem_not_a_recursion_error(mini: Path, run, opening: str) -> None:
    closing = "]" if opening == "[" else "}"
    (mini / "profiles" / "r-bad.yaml").write_text(GOOD_PROFILE + "triggers: " + opening * 700 + closing * 700 + "\n")
    result = run("build", "--no-pdf", "-C", mini)
    assert result.exit_code == 1
    assert "profiles/r-bad.yaml:3: lists and mappings are nested more than 64 deep" in clean(result)


def test_a_non_utf8_profile_names_the_line_of_the_first_bad_byte(mini: Path, run) -> None:
    (mini / "profiles" / "r-bad.yaml").write_bytes(b'id: r-bad\nname: Sam\ntriggers: ["caf\xe9"]\n')
    result = run("check", "-C", mini)
    assert "profiles/r-bad.yaml:3: this file is not UTF-8 text" in clean(result)


def test_a_non_utf8_module_names_the_line_of_the_first_bad_byte(mini: Path, run) -> None:
    module = mini / "content" / "coping" / "cravings.md"
    module.write_bytes(module.read_bytes().replace(b"A craving usually", b"A cr\xe1ving usually"))
    result = run("check", "-C", mini)
    assert "content/coping/cravings.md:13: this file is not UTF-8 text" in clean(result)


# 2. Echo policy ----------------------------------------------------------------------------------


def test_a_dict_key_from_a_profile_is_never_printed(mini: Path, run) -> None:
    (mini / "profiles" / "r-bad.yaml").write_text(GOOD_PROFILE + 'people: [{Dana: "555-0101"}]\n')
    result = run("check", "-C", mini)
    text = clean(result)
    assert "profiles/r-bad.yaml:3: people[0]: unknown key" in text
    assert "Dana" not in text and "555-0101" not in text


def test_an_unknown_key_close_to_a_field_suggests_the_field(mini: Path, run) -> None:
    (mini / "profiles" / "r-bad.yaml").write_text(GOOD_PROFILE + 'trigers: ["SECRET"]\n')
    text = clean(run("check", "-C", mini))
    assert "profiles/r-bad.yaml:3: unknown key; did you mean `triggers`?" in text
    assert "trigers" not in text


def test_a_far_unknown_key_is_not_named(mini: Path, run) -> None:
    (mini / "profiles" / "r-bad.yaml").write_text(GOOD_PROFILE + "Robin Alvarez: sister\n")
    text = clean(run("check", "-C", mini))
    assert "profiles/r-bad.yaml:3: unknown key (see the docs" in text
    assert "Robin" not in text and "did you mean" not in text


def test_a_duplicate_key_is_not_named(mini: Path, run) -> None:
    (mini / "profiles" / "r-bad.yaml").write_text(GOOD_PROFILE + "people:\n  - {Dana: 1, Dana: 2}\n")
    text = clean(run("check", "-C", mini))
    assert "profiles/r-bad.yaml:4: this key appears twice" in text and "Dana" not in text


def test_parser_messages_never_quote_the_file() -> None:
    _, problems = parse_yaml('a: "\\SECRET"\nb: @SECRET\n', "x.yaml")
    assert problems and "SECRET" not in str(problems) and "'" not in problems[0].message


def test_a_settings_language_code_is_not_echoed(mini: Path, run) -> None:
    settings = mini / "guidegen.yaml"
    settings.write_text(settings.read_text().replace("languages: [en, es]", "languages: [en, zqx]"))
    text = clean(run("check", "-C", mini))
    assert "guidegen.yaml:4: languages: item 2 is not a language code" in text and "zqx" not in text


def test_an_unknown_vocabulary_field_and_a_bad_term_are_not_echoed(mini: Path, run) -> None:
    vocabulary = mini / "content" / "vocabulary.yaml"
    text = vocabulary.read_text().replace("format:\n", "format:\n  SECRET: {en: A, es: A}\n")
    vocabulary.write_text(text + "SECRETS:\n  a: {en: A, es: A}\n")
    text = clean(run("check", "-C", mini))
    assert "unknown field" in text and "format: a term is lowercase" in text and "SECRET" not in text


# 3. Files that are not what they seem ------------------------------------------------------------


def test_a_profile_linked_to_a_system_file_is_refused_unread(mini: Path, run, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("SECRET-line-one: 1\nSECRET-line-two: 2\n")
    (mini / "profiles" / "r-bad.yaml").symlink_to(outside)
    (mini / "profiles" / "r-etc.yaml").symlink_to("/etc/passwd")
    result = run("build", "--no-pdf", "-C", mini)
    text = clean(result)
    assert result.exit_code == 1
    assert "profiles/r-bad.yaml: this file leads outside the project" in text
    assert "profiles/r-etc.yaml: this file leads outside the project" in text
    assert "SECRET" not in text and "root" not in text
    assert (folder_of(mini, "p-001") / "index.html").is_file()


def test_a_module_linked_outside_the_project_is_refused(mini: Path, run, tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text("---\ntitle: SECRET\nsummary: SECRET\n---\nSECRET\n")
    (mini / "content" / "coping" / "leak.md").symlink_to(outside)
    result = run("check", "-C", mini)
    assert "content/coping/leak.md: this file leads outside the project" in clean(result)
    assert "SECRET" not in result.output + result.stderr


@pytest.mark.parametrize("kind", ["folder", "fifo", "dev-zero"])
@pytest.mark.parametrize("place", ["profiles/r-bad.yaml", "content/coping/odd.md"])
def test_what_is_not_a_regular_file_is_a_problem_not_a_hang(mini: Path, run, kind: str, place: str) -> None:
    target = mini / place
    if kind == "folder":
        target.mkdir()
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        target.symlink_to("/dev/zero")
    assert run("build", "--no-pdf", "-C", mini).exit_code == 1
    result = run("check", "-C", mini)
    text = clean(result)
    assert result.exit_code == 1
    expected = {
        "folder": "this is a folder, not a file",
        "fifo": "this is not a regular file",
        "dev-zero": "this file leads outside the project",
    }[kind]
    assert f"{place}: {expected}" in text


def test_a_file_over_the_size_cap_is_a_problem(mini: Path, run) -> None:
    (mini / "profiles" / "r-bad.yaml").write_text(GOOD_PROFILE + "# " + "x" * (1024 * 1024) + "\n")
    assert "profiles/r-bad.yaml: this file is larger than 1 MiB" in clean(run("check", "-C", mini))


def test_a_theme_asset_or_template_linked_outside_is_refused(mini: Path, run, tmp_path: Path) -> None:
    outside = tmp_path / "secret.css"
    outside.write_text("/* SECRET */")
    (mini / "templates" / "assets").mkdir(parents=True)
    (mini / "templates" / "assets" / "leak.css").symlink_to(outside)
    (mini / "templates" / "_leak.html").symlink_to("/etc/passwd")
    result = run("build", "--no-pdf", "-C", mini)
    text = clean(result)
    assert result.exit_code == 1
    assert "templates/assets/leak.css: this file leads outside the project" in text
    assert "templates/_leak.html: this file leads outside the project" in text
    assert not (mini / "site").exists()


# 6. Settings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "JavaScript:x"])
@pytest.mark.parametrize("key", ["contact.web", "base_url"])
def test_unsafe_url_schemes_are_refused(mini: Path, run, url: str, key: str) -> None:
    settings = mini / "guidegen.yaml"
    text = settings.read_text()
    if key == "contact.web":
        text = text.replace('web: "https://clinic.example.org"', f'web: "{url}"')
    else:
        text += f'base_url: "{url}"\n'
    settings.write_text(text)
    result = run("build", "--no-pdf", "-C", mini)
    out = clean(result)
    assert result.exit_code == 1
    assert f"{key}: expected a web address starting with https://" in out
    assert url not in out
    assert not (mini / "site").exists()


@pytest.mark.parametrize("reserved", ["assets", "index", "robots"])
def test_reserved_profile_ids_are_refused(mini: Path, run, reserved: str) -> None:
    (mini / "profiles" / f"{reserved}.yaml").write_text(f"id: {reserved}\nname: Sam\n")
    result = run("build", "--no-pdf", "-C", mini)
    assert result.exit_code == 1
    assert f"profiles/{reserved}.yaml:1: id: this id is reserved" in clean(result)
    assert not (mini / "site" / reserved / "index.html").exists()


# 2. Jinja messages never name a profile value ------------------------------------------------------


def test_a_jinja_error_never_names_a_dict_key_from_the_profile(mini: Path, run) -> None:
    module = mini / "content" / "coping" / "cravings.md"
    module.write_text(
        module.read_text() + '\n{% if "alcohol" in person.substances %}{{ person[person.substances[0]] }}{% endif %}\n'
    )
    result = run("build", "--no-pdf", "-C", mini)
    text = clean(result)
    assert result.exit_code == 1
    assert (
        "content/coping/cravings.md:28: undefined name in template (a name used in the template is not defined)" in text
    )
    assert "alcohol" not in text


def test_a_jinja_error_keeps_names_from_the_template_code() -> None:
    from guidegen.errors import InvalidInput
    from guidegen.personalise import compile_template, make_environment, personalise

    env = make_environment(lambda terms: terms)
    source = "{{ person.people[0].nickname }}"
    template = compile_template(env, source, "m.md")
    with pytest.raises(InvalidInput) as raised:
        personalise(template, source, "m.md", {"people": [{"name": "Dana"}]})
    assert "'dict object' has no attribute 'nickname'" in raised.value.problems[0].message


# 4. Limits on a module render ------------------------------------------------------------------------

RUNAWAY = (
    "{% for i in range(9999) %}{% for j in range(9999) %}{% for k in range(9999) %}{% endfor %}{% endfor %}{% endfor %}"
)
HUGE = "{% for i in range(9999) %}{% for j in range(9999) %}" + "x" * 40 + "{% endfor %}{% endfor %}"


def add_to_module(mini: Path, body: str) -> Path:
    module = mini / "content" / "coping" / "cravings.md"
    module.write_text(module.read_text() + "\n" + body + "\n")
    return module


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (RUNAWAY, "this template does too much work to render"),
        (HUGE, "this module makes more than 1,000,000 characters"),
        ("{{ 'x' * 100000000 }}", "repeating text or a list is limited"),
        ("{{ '{:>999999999}'.format(1) }}", "format widths above 9,999"),
        ("{{ 'x'|center(999999999) }}", "numbers above 1,000,000"),
        ("{{ range(10**9)|list }}", "numbers above 1,000,000"),
        # Made along the way, never printed: 100 million characters, then ten times that.
        ("{{ ([ ([('x'*9999)]*9999)|join ] * 10)|join|length }}", "limited to 1,000,000 characters"),
        ("{{ (('x'*9999) + ('x'*9999))|length }}{{ ([('x'*999)]*9999)|join('')|length }}", "limited to 1,000,000"),
    ],
    ids=["work", "size", "repeat", "format", "filter", "range", "join", "concatenate"],
)
def test_a_runaway_module_is_a_problem_in_build_and_check(mini: Path, run, body: str, message: str) -> None:
    add_to_module(mini, body)
    for args in (("build", "--no-pdf"), ("check",)):
        result = run(*args, "-C", mini)
        text = clean(result)
        assert result.exit_code == 1
        assert "content/coping/cravings.md:28: " in text and message in text
    assert not (mini / "site").exists()


def test_a_runaway_module_is_a_problem_in_the_preview(mini: Path) -> None:
    from guidegen.serve import Preview

    add_to_module(mini, RUNAWAY)
    preview = Preview(mini, mini / "preview-out", "p-001")
    preview.rebuild()
    assert "content/coping/cravings.md:28: this template does too much work" in preview.problems


# 5. Page templates: sandboxed and trial-rendered when the project loads --------------------------


def override_page(mini: Path, name: str, replace: str, with_text: str) -> None:
    from guidegen.theme import default_theme_dir

    source = (default_theme_dir() / name).read_text()
    assert replace in source
    (mini / "templates").mkdir(exist_ok=True)
    (mini / "templates" / name).write_text(source.replace(replace, with_text, 1))


@pytest.mark.parametrize(
    ("name", "injected", "message"),
    [
        ("guide.html", "{{ ''.__class__.__mro__[1].__subclasses__() }}", "sandbox does not allow"),
        ("guide.html", "{{ cycler.__init__.__globals__.os.popen('echo SECRET').read() }}", "sandbox does not allow"),
        ("guide.html", "{{ t.update({}) }}", "sandbox does not allow"),
        ("guide.html", "{% if %}", "page template syntax error"),
        ("guide.html", "{{ no_such_name.x }}", "uses a name that is not defined"),
        ("print.html", "{{ 1 // 0 }}", "page template error (ZeroDivisionError)"),
    ],
    ids=["class", "cycler", "mutate", "syntax", "undefined", "runtime"],
)
def test_a_broken_or_hostile_page_template_stops_the_build_and_check_names_it(
    mini: Path, run, name: str, injected: str, message: str
) -> None:
    override_page(mini, name, "<body", injected + "\n<body")
    result = run("build", "--no-pdf", "-C", mini)
    text = clean(result)
    assert result.exit_code == 1
    assert not (mini / "site").exists()  # not even the shared assets
    assert "SECRET" not in text
    line = (mini / "templates" / name).read_text().split("\n").index(injected.split("\n")[0]) + 1
    assert f"templates/{name}:{line}: " in text and message in text
    checked = run("check", "-C", mini)
    assert checked.exit_code == 1 and f"templates/{name}:{line}: " in clean(checked)


def test_the_default_theme_passes_its_trial_render(mini: Path) -> None:
    from guidegen.settings import load_settings
    from guidegen.theme import load_theme
    from guidegen.themecheck import trial_render_theme

    settings = load_settings(mini)
    assert trial_render_theme(load_theme(mini, settings), settings, mini) == []


# 7. The preview server ---------------------------------------------------------------------------


def start_preview(mini: Path):
    import queue
    import threading

    from guidegen.serve import serve

    saves: queue.Queue[object] = queue.Queue()
    ready: queue.Queue[str] = queue.Queue()

    def changes():
        while (item := saves.get()) is not None:
            yield item

    thread = threading.Thread(
        target=serve, args=(mini, "p-001"), kwargs={"port": 0, "on_ready": ready.put, "changes": changes()}, daemon=True
    )
    thread.start()
    return ready.get(timeout=30), saves, thread


def fetch(url: str, host: str | None = None) -> tuple[int, str]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - a local test server
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_the_preview_answers_only_its_own_host(mini: Path) -> None:
    address, saves, thread = start_preview(mini)
    port = address.split(":")[2].split("/")[0]
    try:
        assert fetch(address)[0] == 200
        assert fetch(address, f"localhost:{port}")[0] == 200
        for host in (
            f"evil.example:{port}",
            "evil.example",
            f"127.0.0.1:{int(port) + 1}",
            f"localhost.evil.example:{port}",
        ):
            status, body = fetch(address, host)
            assert status == 421 and "Robin" not in body
        assert fetch(address.rsplit("p-001/", 1)[0] + "__preview/state", f"rebind.example:{port}")[0] == 421
    finally:
        saves.put(None)
        thread.join(timeout=10)


def test_the_preview_keeps_the_guides_csp_and_allows_its_poll(mini: Path) -> None:
    from guidegen.serve import preview_csp

    page = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'self'\">"
    assert preview_csp(page) == (
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'self'; connect-src 'self'\">"
    )
    address, saves, thread = start_preview(mini)
    try:
        page = fetch(address)[1]
        assert "default-src 'none'" in page and "connect-src 'self'" in page and "/__preview/reload.js" in page
    finally:
        saves.put(None)
        thread.join(timeout=10)


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_the_preview_removes_its_folder_on_sigterm_and_sighup(mini: Path, tmp_path: Path, signal_name: str) -> None:
    import signal
    import subprocess
    import sys
    import time

    temp = tmp_path / "tmp"
    temp.mkdir()
    source = str(Path(__file__).resolve().parent.parent / "src")
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONPATH": source}
    with subprocess.Popen(
        [sys.executable, "-m", "guidegen.cli", "serve", "--port", "0", "--profile", "p-001", "-C", str(mini)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert "previewing at" in line
            previews = list(temp.glob("guidegen-preview-*"))
            assert len(previews) == 1 and (previews[0] / link_of(mini, "p-001").slug / "index.html").is_file()
            time.sleep(0.3)  # into the watch loop
            process.send_signal(getattr(signal, signal_name))
            _, errors = process.communicate(timeout=20)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert "Traceback" not in errors
    assert list(temp.glob("guidegen-preview-*")) == []


@pytest.mark.parametrize(
    ("injected", "message"),
    [
        ("{{ 'x' * 10**9 }}", "sandbox does not allow"),
        ("{{ 'x'|center(10**9) }}", "sandbox does not allow"),
        ("{{ '{:>999999999}'.format(1) }}", "sandbox does not allow"),
        (
            "{% for i in range(9999) %}{% for j in range(9999) %}{% for k in range(9999) %}{% endfor %}{% endfor %}{% endfor %}",
            "does too much work",
        ),
    ],
    ids=["repeat", "filter", "format", "time"],
)
def test_a_page_template_cannot_exhaust_memory_or_time(mini: Path, run, injected: str, message: str) -> None:
    override_page(mini, "guide.html", "<body", injected + "\n<body")
    result = run("check", "-C", mini)
    text = clean(result)
    line = (mini / "templates" / "guide.html").read_text().split("\n").index(injected) + 1
    assert result.exit_code == 1 and f"templates/guide.html:{line}: " in text and message in text
