"""The web guide as an app on a phone, in Debian's Chromium over a local HTTP server serving site/
(service workers and IndexedDB need an http origin): the key leaves the address bar, Today comes
first, one part at a time with the back button, search, offline after one visit, "Keep on this
phone" and "Forget", the sealed page in the browser's language, answers under names that say
nothing, and axe and the Nu checker in every view.

Screenshots of Today, a module and search at 390 x 844 are written to pytest's temporary folder;
with GUIDEGEN_REGENERATE=1 also to docs/images/web-app-*.png.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from conftest import CHROMIUM, copy_project, link_of
from test_browser import AXE_TAGS, CHROMIUM_ARGS, DOCS_IMAGES, PHONE, axe_violations
from test_validity import VNU

pytestmark = pytest.mark.browser

ENGLISH = "r-0142"
"""Sam: English, with a safety plan and reasons."""
SPANISH = "r-0201"
OPENED = "body.app, html.sealed-closed"
"""The guide opened, or kept its plain page. Waits use selectors: the pages' CSP (no eval)
refuses the string predicates of wait_for_function."""


class Quiet(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".webmanifest": "application/manifest+json",
    }

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(folder: Path) -> tuple[str, http.server.ThreadingHTTPServer, threading.Thread]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{server.server_address[1]}/", server, thread


def stop(server: http.server.ThreadingHTTPServer, thread: threading.Thread) -> None:
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def site(example_site: Path) -> Path:
    return example_site / "site"


@pytest.fixture(scope="module")
def address(site: Path) -> Iterator[str]:
    base, server, thread = serve(site)
    yield base
    stop(server, thread)


@pytest.fixture(scope="module")
def browser(playwright_driver: Any) -> Iterator[Any]:
    launched = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A fresh browser profile (storage, service workers, IndexedDB) for each test."""
    made = browser.new_context(viewport=PHONE, locale="en-US", reduced_motion="reduce")
    yield made
    made.close()


def link(base: str, example_site: Path, guide_id: str, key: str | None = "") -> str:
    found = link_of(example_site, guide_id)
    return f"{base}{found.slug}/" + ("" if key is None else f"#k={key or found.key}")


def opened(context: Any, url: str) -> Any:
    """A new tab on `url`, once the guide has opened (or kept its plain page)."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.errors = errors
    page.goto(url)
    page.wait_for_selector(OPENED, state="attached")
    return page


def current(page: Any) -> str:
    return str(page.evaluate("document.querySelector('#main .current').id"))


def test_the_link_opens_on_today_and_the_key_leaves_the_address_bar(
    address: str, example_site: Path, context: Any
) -> None:
    page = opened(context, link(address, example_site, ENGLISH))
    assert page.evaluate("document.body.classList.contains('app')")
    assert "k=" not in page.url and "#" not in page.url
    assert "k=" not in page.evaluate("location.href + JSON.stringify(history.state)")
    assert current(page) == "today"
    # Today: help first, then the safety plan, the person's reasons, and three quick tools.
    order = page.evaluate(
        "[...document.querySelectorAll('#today > *')].filter(e => e.offsetParent).map(e => e.className || e.tagName)"
    )
    assert order[:4] == ["H2", "lead", "today-crisis", "today-plan"], order
    crisis = page.locator("#today .crisis-call").first.bounding_box()
    plan = page.locator("#today .today-plan a").bounding_box()
    assert crisis is not None and plan is not None and crisis["y"] < plan["y"] < PHONE["height"]
    assert page.locator("#today .today-crisis .crisis-call[href='tel:988']").is_visible()
    tools = page.eval_on_selector_all("#today .today-tools a", "links => links.map(a => a.getAttribute('href'))")
    assert len(tools) == 3 and all(page.locator(f"article{href}").count() == 1 for href in tools)
    assert page.locator("#today .plan-list li").count() >= 1, "my reasons"
    # Only Today shows; the contents are a menu in the sticky bar.
    assert page.locator("#my-plan").is_hidden() and page.locator("article.module").first.is_hidden()
    assert page.locator("#contents").is_hidden()
    page.locator(".app-bar .app-menu").click()
    assert page.locator("#contents").is_visible()
    assert page.locator(".app-menu").get_attribute("aria-expanded") == "true"
    assert page.errors == []


def test_one_part_at_a_time_with_previous_next_and_the_back_button(
    address: str, example_site: Path, context: Any
) -> None:
    page = opened(context, link(address, example_site, ENGLISH))
    page.locator(".app-menu").click()
    module = page.locator("#contents a[href^='#m-']").nth(2)
    target = str(module.get_attribute("href"))
    module.click()
    assert current(page) == target[1:]
    assert page.url.endswith(target) and "k=" not in page.url
    assert page.locator(target).is_visible() and page.locator("#today").is_hidden()
    assert page.locator("article.module:visible").count() == 1
    assert page.locator(f"#contents a[href='{target}']").get_attribute("aria-current") == "location"
    assert page.locator("#contents").is_hidden(), "the menu closes"
    page.locator(".pager-next").click()
    after = current(page)
    assert after != target[1:] and page.locator(f"#contents a[href='#{after}']").get_attribute("aria-current")
    page.go_back()
    page.wait_for_selector(f"#main .current#{target[1:]}", state="attached")
    page.go_back()
    page.wait_for_selector("#main .current#today", state="attached")
    # On a desktop the contents stay beside the text and mark where the reader is.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator(f"#contents a[href='{target}']").click()
    assert page.locator("#contents").is_visible()
    assert page.locator("#contents a[aria-current]").get_attribute("href") == target
    # Printed, the whole guide reads top to bottom.
    page.emulate_media(media="print")
    assert page.locator("article.module:visible").count() == page.locator("article.module").count()
    assert page.locator("#my-plan").is_visible() and page.locator("#today").is_hidden()
    assert page.errors == []


def test_search_finds_a_word_in_a_module_and_opens_it(address: str, example_site: Path, context: Any) -> None:
    page = opened(context, link(address, example_site, ENGLISH))
    module_id, word = page.evaluate(
        """() => {
          const modules = [...document.querySelectorAll('article.module')];
          const module = modules[Math.floor(modules.length / 2)];
          const words = module.querySelector('p:not(.summary)').textContent.match(/[A-Za-z]{8,}/g);
          return [module.id, words.sort((a, b) => b.length - a.length)[0]];
        }"""
    )
    page.locator(".app-search").click()
    assert current(page) == "search"
    assert page.evaluate("document.activeElement.id") == "search-input"
    page.locator("#search-input").fill(word.lower())
    result = page.locator(f".search-results a[href='#{module_id}']")
    assert result.count() == 1
    assert page.locator(".search-status").inner_text()
    result.click()
    assert current(page) == module_id and page.locator(f"#{module_id}").is_visible()
    hit = page.locator(".search-hit")
    assert hit.count() == 1 and word.lower() in hit.inner_text().lower() and hit.is_visible()
    page.go_back()
    page.wait_for_selector("#main .current#search", state="attached")
    page.locator("#search-input").fill("zzqxwv")
    assert page.locator(".search-results li").count() == 0 and page.locator(".search-status").inner_text()
    assert page.errors == []


def test_after_one_visit_the_guide_opens_offline(site: Path, example_site: Path, context: Any) -> None:
    base, server, thread = serve(site)
    try:
        page = opened(context, link(base, example_site, ENGLISH))
        page.evaluate(
            "navigator.serviceWorker.ready.then(() => navigator.serviceWorker.controller || new Promise("
            "done => navigator.serviceWorker.addEventListener('controllerchange', done))).then(() => true)"
        )
        page.close()
    finally:
        stop(server, thread)
    context.set_offline(True)
    page = opened(context, link(base, example_site, ENGLISH))
    assert page.evaluate("document.body.classList.contains('app')"), "the guide opened from this phone's cache"
    assert page.locator("#today").is_visible()
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith('"Atkinson')
    assert page.evaluate("document.fonts.check('16px \"Atkinson Hyperlegible\"')")


def test_keep_on_this_phone_then_forget(address: str, example_site: Path, context: Any) -> None:
    page = opened(context, link(address, example_site, ENGLISH))
    page.locator(".today-device .keep-button").click()
    page.wait_for_selector(".today-device-status:not(:empty)")
    page.close()

    page = opened(context, link(address, example_site, ENGLISH, key=None))
    assert page.evaluate("document.body.classList.contains('app')"), "opens without the link"
    assert page.locator(".keep-button").is_hidden()
    page.locator(".app-menu").click()
    page.locator("#contents a[href='#safety-plan']").click()
    page.locator("#sp-own-1").fill("Text Dana (555-0123)")
    page.wait_for_selector("#safety-plan .ws-saved:not(:empty)")
    assert page.evaluate("Object.keys(localStorage).length") == 1
    page.locator(".app-today").click()
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.locator(".forget-button").click()
    page.wait_for_selector(OPENED, state="attached")
    assert page.evaluate("document.documentElement.classList.contains('sealed-closed')")
    assert page.evaluate("Object.keys(localStorage)") == []
    assert page.evaluate("caches.keys()") == []
    page.close()
    page = opened(context, link(address, example_site, ENGLISH, key=None))
    assert page.evaluate("document.documentElement.classList.contains('sealed-closed')"), "forgotten: no key"
    assert "Sam" not in page.locator("body").inner_text()


def test_answers_survive_a_reload_under_names_that_say_nothing(address: str, example_site: Path, context: Any) -> None:
    url = link(address, example_site, ENGLISH)
    page = opened(context, url)
    field = page.locator(".worksheet textarea").first
    field_id = str(field.get_attribute("id"))
    module_id = str(page.evaluate(f"document.getElementById('{field_id}').closest('article').id"))
    page.evaluate(f"location.hash = '{module_id}'")
    page.wait_for_selector(f"#main .current#{module_id}", state="attached")
    page.locator(f"#{field_id}").fill("Walk to the river with Dana")
    saved = page.locator(f"#{module_id} .ws-saved")
    page.wait_for_selector(f"#{module_id} .ws-saved:not(:empty)")
    assert saved.inner_text() == "Saved" and saved.get_attribute("role") == "status"
    page.locator(".app-menu").click()
    page.locator("#contents a[href='#safety-plan']").click()
    page.locator("#sp-own-4").fill("My sister Ana")
    page.wait_for_selector("#safety-plan .ws-saved:not(:empty)")

    page = opened(context, url)
    expect(page.locator(f"#{field_id}")).to_have_value("Walk to the river with Dana")
    expect(page.locator("#sp-own-4")).to_have_value("My sister Ana")
    names = page.evaluate("Object.keys(localStorage)")
    assert len(names) == 2
    ids = page.evaluate("[...document.querySelectorAll('#main [id]')].map(e => e.id)")
    words = {part for name in ids for part in re.split(r"[-_]", name) if len(part) > 3} | {"stage", "safety", "plan"}
    for name in names:
        assert re.fullmatch(r"guidegen:[A-Za-z0-9_-]{11}:[A-Za-z0-9_-]{22}", name), name
        assert not any(word in name.lower() for word in words), name
        assert "Dana" not in page.evaluate("n => localStorage.getItem(n)", name)


def test_the_sealed_page_speaks_the_browsers_language(address: str, example_site: Path, browser: Any) -> None:
    spanish = browser.new_context(viewport=PHONE, locale="es-ES")
    try:
        page = opened(spanish, link(address, example_site, SPANISH, key=None))
        assert page.evaluate("document.documentElement.lang") == "es"
        text = page.locator("body").inner_text()
        assert "Ayuda ahora mismo" in text and "oprime 2" in text and "AYUDA al 988" in text
        assert "Help right now" not in text
        assert page.locator(".sealed-incomplete:visible").count() == 0
        page.locator(".lang-switch button[data-lang='en']").click()
        assert page.evaluate("document.documentElement.lang") == "en"
        assert "Help right now" in page.locator("body").inner_text()
        assert page.errors == []

        cut = link(address, example_site, SPANISH)[:-10]
        page = opened(spanish, cut)
        assert "k=" not in page.url
        note = page.locator(".sealed-incomplete:visible")
        assert note.count() == 1 and "incompleto" in note.inner_text()
    finally:
        spanish.close()


def test_the_installed_app_has_a_neutral_name_and_icon(address: str, example_site: Path, site: Path) -> None:
    slug = link_of(example_site, ENGLISH).slug
    with urllib.request.urlopen(f"{address}{slug}/manifest.webmanifest") as response:  # noqa: S310  # our own server
        manifest = json.loads(response.read())
    names = f"{manifest['name']} {manifest['short_name']}".lower()
    assert "recovery" not in names and "recuperación" not in names and "sam" not in names
    assert manifest["scope"] == "./" and manifest["start_url"] == "./" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        assert (site / slug / icon["src"]).resolve().read_bytes().startswith(b"\x89PNG")
    worker = (site / slug / "sw.js").read_text(encoding="utf-8")
    assert "http" not in worker.replace("https?", ""), "the worker names no other host"
    assert {p.read_bytes() for p in site.glob("*/manifest.webmanifest")} == {
        (site / slug / "manifest.webmanifest").read_bytes()
    }
    assert {p.read_bytes() for p in site.glob("*/sw.js")} == {worker.encode()}, "the same for everyone"


VIEWS = {
    "today": "",
    "module": "document.querySelector('.today-tools a').click()",
    "menu": "document.querySelector('.app-menu').click()",
    "search": "document.querySelector('.app-search').click();"
    " const i = document.getElementById('search-input'); i.value = 'craving'; i.dispatchEvent(new Event('input'))",
    "a worksheet, saved": "const f = document.getElementById('sp-own-1') || document.querySelector('.worksheet textarea');"
    " location.hash = f.closest('#main > section, article').id; f.value = 'walk'; f.dispatchEvent(new Event('input'))",
    "kept": "document.querySelector('.keep-button').click()",
}


@pytest.mark.parametrize("guide_id", [ENGLISH, SPANISH])
def test_every_view_passes_axe_and_the_nu_checker(
    address: str, example_site: Path, context: Any, axe_source: str, guide_id: str, tmp_path: Path
) -> None:
    pages = []
    for view, script in VIEWS.items():
        page = opened(context, link(address, example_site, guide_id))
        if script:
            page.evaluate(f"() => {{ {script} }}")
        page.evaluate("new Promise(done => requestAnimationFrame(() => done(true)))")
        for tags in (AXE_TAGS, ["best-practice"]):
            assert axe_violations(page, axe_source, tags) == [], f"{guide_id}, {view}"
        pages.append(page.content())
        assert page.errors == [], view
        page.close()
    page = opened(context, link(address, example_site, guide_id, key="A" * 43))
    for tags in (AXE_TAGS, ["best-practice"]):
        assert axe_violations(page, axe_source, tags) == [], "a link that does not open the guide"
    pages.append(page.content())
    vnu_errors(pages, tmp_path)


def vnu_errors(pages: list[str], folder: Path) -> None:
    java = subprocess.run(["which", "java"], capture_output=True, text=True, check=False).stdout.strip()
    if not (java and VNU.is_file()):
        return
    files = []
    for index, html in enumerate(pages):
        path = folder / f"view-{index}.html"
        path.write_text("<!doctype html>\n" + html.split(">", 1)[1] if html.lower().startswith("<!doctype") else html)
        files.append(str(path))
    result = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--exit-zero-always", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout + result.stderr == "", result.stderr[:3000]


def test_screenshots_of_today_start_here_a_module_and_search(
    address: str, example_site: Path, context: Any, tmp_path: Path
) -> None:
    """Phone screenshots to look at (docs/images/web-app-*.png with GUIDEGEN_REGENERATE=1)."""
    from PIL import Image

    shots = {}
    start_here = (  # below the sticky bar (about 110 px)
        "const part = document.querySelector('.today-start');"
        "window.scrollTo({top: part.getBoundingClientRect().top + window.scrollY - 110, behavior: 'instant'});"
    )
    for name, script in (
        ("today", ""),
        ("start-here", start_here),
        ("module", VIEWS["module"]),
        ("search", VIEWS["search"]),
    ):
        page = opened(context, link(address, example_site, ENGLISH))
        if script:
            page.evaluate(f"() => {{ {script} }}")
        page.evaluate("document.fonts.ready.then(() => true)")
        page.evaluate("document.activeElement && document.activeElement.blur()")
        shots[name] = tmp_path / f"web-app-{name}.png"
        page.screenshot(path=str(shots[name]))
        with Image.open(shots[name]) as image:
            assert image.size == (PHONE["width"], PHONE["height"])
        page.close()
    if os.environ.get("GUIDEGEN_REGENERATE"):
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        for path in shots.values():
            (DOCS_IMAGES / path.name).write_bytes(path.read_bytes())


def test_today_shows_start_here(tmp_path: Path, context: Any, axe_source: str) -> None:
    """ "Start here" (`#start-here`, before My plan) shows on Today too, and its links open the parts."""
    from guidegen.publish.build import build

    root = copy_project(tmp_path / "project", profiles=(ENGLISH,))
    assert build(root, pdf=False).problems == []
    base, server, thread = serve(root / "site")
    try:
        page = opened(context, link(base, root, ENGLISH))
        start = page.locator("#today .today-start")
        assert start.is_visible() and start.locator("h3").inner_text() == "Start here"
        assert start.locator("[id]").count() == 0, "a copy without ids"
        first = start.locator("a.start-link").first
        target = (first.get_attribute("href") or "").lstrip("#")
        assert target.startswith("m-")
        first.click()
        assert current(page) == target
        page.go_back()
        page.wait_for_selector("#main .current#today", state="attached")
        for tags in (AXE_TAGS, ["best-practice"]):
            assert axe_violations(page, axe_source, tags) == []
    finally:
        stop(server, thread)


def test_without_javascript_the_whole_guide_reads_top_to_bottom(tmp_path: Path, browser: Any) -> None:
    """An open guide (web: {access: open}) in a browser with scripts turned off: every part shows,
    Today first as a short part; the menu, search and previous/next are not offered."""
    from guidegen.publish.build import build

    root = copy_project(tmp_path / "project", profiles=(ENGLISH,))
    settings = root / "guidegen.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "web: {access: open}\n", encoding="utf-8")
    assert build(root, pdf=False).problems == []
    plain = browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        page = plain.new_page()
        page.goto((root / "site" / link_of(root, ENGLISH).slug / "index.html").as_uri())
        modules = page.locator("article.module")
        assert modules.count() > 5
        assert all(modules.nth(i).is_visible() for i in range(modules.count()))
        for part in ("#today", "#contents", "#my-plan", "#safety-plan", "#contacts"):
            assert page.locator(part).is_visible(), part
        for control in (".app-bar", "#search", ".pager", ".today-device"):
            assert page.locator(control).is_hidden(), control
    finally:
        plain.close()
