"""The staff desk (`guidegen desk`) in a real browser: Debian's Chromium, driven by Playwright.

The desk runs as `guidegen desk --port 0 --no-browser` in a subprocess on a copy of the example
project, and stops with SIGTERM at the end (cleanly: exit status 0). Everything a member of staff
does goes through labels and buttons, never CSS selectors: a new person made with the form passes
`guidegen check`; an edit keeps the file's comments; a wrong value is shown beside its field and
nothing is written; Print opens that person's PDF; the link handed over opens their guide; the
desk refuses requests without its token, with another Host, or a form without its CSRF token;
the audit log has every action and no value; axe finds nothing on any page, in both languages.

The pictures in docs/desk.md are made by docs/images/make_desk_images.py.
"""

from __future__ import annotations

import difflib
import http.client
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from pypdf import PdfReader

from conftest import REPO, copy_project
from fhir_records import ICD, condition, patient, write_bundle
from test_browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, axe_violations

pytestmark = pytest.mark.browser

PEOPLE = ("r-0142", "r-0201", "r-0427")
NAMES = ("Sam", "Marisol", "Jordan", "Robin Vale")
"""Every name in the copied project and the one the tests type: none may reach a log."""


@dataclass
class RunningDesk:
    root: Path
    address: str
    """With the token, as printed."""
    origin: str
    process: subprocess.Popen[str]

    @property
    def port(self) -> int:
        return int(self.origin.rsplit(":", 1)[1])


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDesk]:
    root = copy_project(tmp_path_factory.mktemp("desk") / "project", profiles=PEOPLE)
    profile = root / "profiles" / "r-0142.yaml"
    profile.write_text(
        profile.read_text().replace("needs: [money]", "needs: [money]   # staff note: benefits letter due"),
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    command = [sys.executable, "-m", "guidegen.cli", "desk", "-C", str(root), "--port", "0", "--no-browser"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    first = process.stdout.readline()
    match = re.search(r"(http://127\.0\.0\.1:\d+)/\?token=[A-Za-z0-9_-]+", first)
    assert match, first
    running = RunningDesk(root, match.group(0), match.group(1), process)
    yield running
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate()
    assert process.returncode == 0, err
    assert "stopped" in out
    assert not list((running.root / ".guidegen").glob("manifest-*.json"))  # the preview's own manifest is gone
    for name in NAMES:  # no value in what the server printed
        assert name not in first + out + err


@pytest.fixture(scope="module")
def browser_context(desk: RunningDesk, playwright_driver: Any) -> Iterator[Any]:
    """A browser of the session's one Playwright (two sync Playwrights cannot run in one process)."""
    browser = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    context = browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(desk.address)
    assert "token" not in page.url  # the redirect drops it from the address bar and history
    page.close()
    yield context
    context.close()
    browser.close()


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:
    tab = browser_context.new_page()
    yield tab
    tab.close()


@pytest.fixture(scope="module")
def axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def group(page: Any, name: str) -> Any:
    return page.get_by_role("group", name=name, exact=True)


def test_a_new_person_made_with_the_form_passes_check(desk: RunningDesk, page: Any, run: Any) -> None:
    page.goto(desk.origin + "/")
    page.get_by_role("link", name="New person").click()
    page.get_by_label("Id", exact=True).fill("r-0950")
    page.get_by_label("Name", exact=True).first.fill("Robin Vale")
    page.get_by_label("Language of the guide").select_option("es")
    group(page, "Substances").get_by_label("Alcohol", exact=True).check()
    page.get_by_label("Stage of change").select_option(label="Getting ready to change")
    group(page, "Co-occurring conditions").get_by_label("Depression").check()
    goals = group(page, "Goals")
    goals.get_by_label("Goal").fill("Walk every morning")
    goals.get_by_label("By").fill("2027-03-01")
    page.get_by_label("Reasons for change").fill("My garden\nMy brother")
    supporters = group(page, "Supporters")
    supporters.get_by_label("Name").fill("Lee")
    supporters.get_by_label("Phone").fill("555-0107")
    measures = group(page, "Measures")
    measures.get_by_label("Measure").select_option("phq9")
    measures.get_by_label("Date").fill("2026-12-01")
    measures.get_by_label("Score").fill("11")
    page.get_by_label("Coping on my own").fill("Water the plants")
    help_rows = group(page, "People I can ask for help")
    help_rows.get_by_label("Who or what").fill("Lee")
    help_rows.get_by_label("Phone").fill("555-0107")
    page.get_by_label("Reason for living").fill("My garden")
    page.get_by_label("Next review").fill("2027-01-15")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/people/r-0950\?saved=1$"))
    assert page.get_by_role("status").inner_text() == "Saved."

    saved = yaml.safe_load((desk.root / "profiles" / "r-0950.yaml").read_text())
    assert saved["name"] == "Robin Vale"
    assert saved["substances"] == ["alcohol"]
    assert saved["goals"][0]["text"] == "Walk every morning"
    assert saved["measures"] == {"phq9": [{"date": __import__("datetime").date(2026, 12, 1), "score": 11}]}
    assert saved["safety_plan"]["help"] == [{"name": "Lee", "phone": "555-0107"}]
    result = run("check", "-C", desk.root)
    assert "r-0950" not in result.output, result.output
    assert result.exit_code == 0, result.output


def test_an_id_taken_or_malformed_is_refused_beside_the_id(desk: RunningDesk, page: Any) -> None:
    page.goto(desk.origin + "/new")
    page.get_by_label("Id", exact=True).fill("Sam Smith")
    page.get_by_label("Name", exact=True).first.fill("Sam")
    page.get_by_role("button", name="Save").click()
    assert "lowercase letters" in page.locator("#id-error").inner_text()
    assert page.get_by_label("Id", exact=True).get_attribute("aria-invalid") == "true"
    page.get_by_label("Id", exact=True).fill("r-0201")
    page.get_by_role("button", name="Save").click()
    assert "already exists" in page.locator("#id-error").inner_text()
    assert not (desk.root / "profiles" / "sam-smith.yaml").exists()


def test_an_edit_keeps_comments_order_and_the_fields_the_form_does_not_show(desk: RunningDesk, page: Any) -> None:
    path = desk.root / "profiles" / "r-0142.yaml"
    before = path.read_text()
    page.goto(desk.origin + "/people/r-0142")
    page.get_by_label("Triggers").fill("Friday nights\nArguments at work\nPaydays")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"\?saved=1$"))
    after = path.read_text()
    changed = [line for line in difflib.ndiff(before.splitlines(), after.splitlines()) if line[:1] in "+-"]
    assert changed == [
        '- triggers: ["Friday nights", "Arguments at work"]',
        '+ triggers: ["Friday nights", "Arguments at work", "Paydays"]',
    ]
    assert "# staff note: benefits letter due" in after and after.startswith("# Fictional example")
    # Saving again without a change writes nothing.
    page.get_by_role("button", name="Save").click()
    assert "Nothing changed" in page.get_by_role("status").inner_text()
    assert path.read_text() == after


def test_a_wrong_value_is_shown_beside_its_field_and_nothing_is_written(desk: RunningDesk, page: Any) -> None:
    path = desk.root / "profiles" / "r-0142.yaml"
    before = path.read_bytes()
    page.goto(desk.origin + "/people/r-0142")
    score = group(page, "Measures").get_by_label("Score").first
    score.fill("99")
    page.get_by_role("button", name="Save").click()
    score = group(page, "Measures").get_by_label("Score").first
    assert score.get_attribute("aria-invalid") == "true"
    error_id = score.get_attribute("aria-describedby")
    assert "outside the range 0 to 12" in page.locator(f"#{error_id}").inner_text()
    assert "Not saved" in page.get_by_role("alert").inner_text()
    assert path.read_bytes() == before


def test_a_file_changed_on_disk_since_it_was_opened_is_not_overwritten(desk: RunningDesk, page: Any) -> None:
    path = desk.root / "profiles" / "r-0201.yaml"
    page.goto(desk.origin + "/people/r-0201")
    page.get_by_label("Pronouns").fill("she/her")
    changed_elsewhere = path.read_text() + "# edited in another window\n"
    path.write_text(changed_elsewhere, encoding="utf-8")
    page.get_by_role("button", name="Save").click()
    assert "changed this profile since you opened it" in page.get_by_role("alert").inner_text()
    assert path.read_text() == changed_elsewhere


def test_print_opens_the_pdf_of_that_person(desk: RunningDesk, page: Any) -> None:
    page.goto(desk.origin + "/people/r-0142")
    page.get_by_role("link", name="Print", exact=True).click()
    page.get_by_role("button", name="Build and print").click()
    link = page.get_by_role("link", name="Open the PDF")
    response = page.request.get(desk.origin + link.get_attribute("href"))
    assert response.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(response.body())).pages[:2])
    assert "Sam" in text
    assert (desk.root / "print" / "r-0142.pdf").read_bytes() == response.body()


def test_the_link_handed_over_opens_their_guide_and_a_new_link_replaces_it(
    desk: RunningDesk, page: Any, browser_context: Any
) -> None:
    page.goto(desk.origin + "/people/r-0142/link")
    assert "Keep this link private" in page.get_by_role("main").inner_text()
    assert page.get_by_role("img", name="QR code of the private link").locator("svg").count() == 1
    link = page.get_by_role("link", name=re.compile("^https:")).inner_text()
    base = yaml.safe_load((desk.root / "guidegen.yaml").read_text())["base_url"]
    assert link.startswith(base) and "#k=" in link
    if not (desk.root / "site" / link.removeprefix(base).split("/")[0]).is_dir():
        page.goto(desk.origin + "/people/r-0142/print")
        page.get_by_role("button", name="Build and print").click()
        page.get_by_role("link", name="Open the PDF").wait_for()
    guide = browser_context.new_page()
    guide.goto("file://" + str(desk.root / "site") + "/" + link.removeprefix(base).replace("/#", "/index.html#"))
    guide.wait_for_function(
        "document.documentElement.classList.contains('sealed-open') || document.body.innerText.includes('Sam')"
    )
    assert "Sam" in guide.locator("body").inner_text()
    guide.close()
    page.get_by_role("button", name="New link").click()
    assert "A new link was made" in page.get_by_role("status").inner_text()
    assert page.get_by_role("link", name=re.compile("^https:")).inner_text() != link


def test_import_shows_what_changed_per_id(desk: RunningDesk, page: Any, tmp_path: Path) -> None:
    bundle = write_bundle(
        tmp_path / "records.json",
        [patient("p1", "r-0960", given="Robin Vale", language="en"), condition("p1", ICD, "F10.20")],
    )
    page.goto(desk.origin + "/import")
    page.get_by_label("FHIR file").set_input_files(str(bundle))
    page.get_by_role("button", name="Import", exact=True).click()
    report = page.get_by_role("region", name="What the import did").inner_text()
    assert "r-0960 (new)" in report and "1 new" in report
    assert yaml.safe_load((desk.root / "profiles" / "r-0960.yaml").read_text())["substances"] == ["alcohol"]


def _request(desk: RunningDesk, method: str, path: str, headers: dict[str, str], body: str = "") -> Any:
    """One request on its own connection: (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", desk.port)
    try:
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def _session(desk: RunningDesk) -> str:
    status, headers, _ = _request(desk, "GET", desk.address.removeprefix(desk.origin), {})
    assert status == 303 and headers["location"] == "/"
    cookie = headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    return str(cookie.split(";", 1)[0])


def _status(desk: RunningDesk, method: str, path: str, headers: dict[str, str], body: str = "") -> int:
    status, answered, _ = _request(desk, method, path, headers, body)
    assert answered["cache-control"] == "no-store"
    assert answered["content-security-policy"].startswith("default-src 'self'")
    return int(status)


def test_requests_without_the_token_from_another_host_or_without_the_csrf_token_are_refused(
    desk: RunningDesk, page: Any
) -> None:
    cookie = _session(desk)
    here = {"Cookie": cookie}
    assert _status(desk, "GET", "/", here) == 200
    assert _status(desk, "GET", "/", {}) == 403
    assert _status(desk, "GET", "/people/r-0142", {"Cookie": "guidegen_desk=guessed"}) == 403
    assert _status(desk, "GET", "/?token=wrong", {}) == 403
    assert _status(desk, "GET", "/", {**here, "Host": f"attacker.example:{desk.port}"}) == 403
    form = {**here, "Content-Type": "application/x-www-form-urlencoded"}
    assert _status(desk, "POST", "/people/r-0142/link", form, "x=1") == 403
    csrf = re.search(r'name="csrf" value="([^"]+)"', _request(desk, "GET", "/people/r-0142/print", here)[2])
    assert csrf
    good = f"csrf={csrf.group(1)}"
    assert _status(desk, "POST", "/people/r-0142/link", {**form, "Origin": "http://evil.example"}, good) == 403
    assert _status(desk, "POST", "/people/r-0142/link", {**form, "Origin": desk.origin}, good) == 200


PAGES = (
    "/",
    "/?q=sam",
    "/reviews",
    "/new",
    "/people/r-0142",
    "/people/r-0142/preview",
    "/people/r-0142/print",
    "/people/r-0142/link",
    "/import",
)


@pytest.mark.parametrize("language", ["English", "Español"])
def test_axe_finds_nothing_on_any_page_in_either_language(
    desk: RunningDesk, page: Any, axe_source: str, language: str
) -> None:
    page.goto(desk.origin + "/")
    page.get_by_label(re.compile("Desk language|Idioma del escritorio")).select_option(label=language)
    page.get_by_role("button", name=re.compile("^(Change|Cambiar)$")).click()
    assert page.locator("html").get_attribute("lang") == ("en" if language == "English" else "es")
    for path in PAGES:
        page.goto(desk.origin + path)
        assert axe_violations(page, axe_source) == [], path
        assert axe_violations(page, axe_source, ["best-practice"]) == [], path
    # The form with errors beside its fields, and profiles whose files need fixing, too.
    page.goto(desk.origin + "/new")
    page.get_by_role("button", name=re.compile("^(Save|Guardar)$")).click()
    assert page.get_by_role("alert").count() == 1
    assert axe_violations(page, axe_source) == []
    assert axe_violations(page, axe_source, ["best-practice"]) == []
    wrong, broken = desk.root / "profiles" / "r-0998.yaml", desk.root / "profiles" / "r-0999.yaml"
    wrong.write_text("id: r-0998\nname: Robin Vale\nstage: nowhere\ngoals: [{text: Walk, by: soon}]\n")
    broken.write_text("id: r-0999\nname: [Robin\n")
    try:
        for path in ("/", "/people/r-0998", "/people/r-0999"):
            page.goto(desk.origin + path)
            assert axe_violations(page, axe_source) == [], path
            assert axe_violations(page, axe_source, ["best-practice"]) == [], path
        assert page.get_by_role("alert").count() == 1
        page.goto(desk.origin + "/people/r-0998")
        assert page.locator("#goals-0-by").get_attribute("aria-invalid") == "true"
    finally:
        wrong.unlink()
        broken.unlink()


def test_the_keyboard_reaches_the_form_and_adds_a_row(desk: RunningDesk, page: Any) -> None:
    page.goto(desk.origin + "/new")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") in (
        "Skip to the main content",
        "Ir al contenido principal",
    )
    page.keyboard.press("Enter")
    goals = group(page, page.locator("#goals > legend").inner_text())
    rows = goals.locator("fieldset").count()
    goals.get_by_role("button").focus()
    page.keyboard.press("Enter")
    assert goals.locator("fieldset").count() == rows + 1
    assert page.evaluate("document.activeElement.name") == f"goals-{rows}-text"


def test_the_audit_log_has_every_action_and_no_value(desk: RunningDesk) -> None:
    lines = (desk.root / ".guidegen" / "audit.log").read_text().splitlines()
    actions = set()
    for line in lines:
        when, user, action, profile_id = line.split("\t")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", when) and user
        assert re.fullmatch(r"[a-z0-9-]+", profile_id)
        actions.add(action)
    assert {"opened", "saved", "printed", "link-shown", "link-rotated", "imported"} <= actions
    text = "\n".join(lines)
    for value in (*NAMES, "555-01", "Paydays", "Walk every morning"):
        assert value not in text
