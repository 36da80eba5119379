"""Every example web guide in a real browser: Debian's Chromium, driven by Playwright.

axe-core with the WCAG 2.2 AA rules finds nothing; no request leaves file://; at 320 px there
is no sideways scrolling and the crisis bar stays on screen; what a reader types in a worksheet
is still there after a reload, and only in that guide. The guides are opened from file://,
as a person who was handed the folder would open them.

After an intended change to the look: GUIDEGEN_REGENERATE=1 .venv/bin/python -m pytest
tests/test_browser.py -k screenshots rewrites docs/images/web-phone.png and web-desktop.png.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import CHROMIUM, REPO, link_of

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PROFILES = sorted(p.stem for p in (REPO / "profiles").glob("*.yaml"))
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
NARROWEST = {"width": 320, "height": 640}
DOCS_IMAGES = REPO / "docs" / "images"


@pytest.fixture(scope="session")
def site(example_site: Path) -> Path:
    """The example project's published folder."""
    return example_site / "site"


@pytest.fixture(scope="session")
def chromium(playwright_driver: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One headless Chromium with a fresh profile for the whole session."""
    context = playwright_driver.chromium.launch_persistent_context(
        str(tmp_path_factory.mktemp("chromium-profile")),
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        viewport=PHONE,  # type: ignore[arg-type]  # a plain dict with width and height
    )
    yield context
    context.close()


class Visit:
    """A tab that records every request, failed load and console error while it is open."""

    def __init__(self, context: Any) -> None:
        self.page = context.new_page()
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("requestfailed", lambda request: self.failed.append(f"{request.url} {request.failure}"))
        self.page.on("console", self.console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def open(self, url: str, viewport: dict[str, int] = PHONE, scheme: str = "light") -> Any:
        self.page.set_viewport_size(viewport)
        self.page.emulate_media(media="screen", color_scheme=scheme, reduced_motion="reduce")
        self.page.goto("about:blank")  # a link that differs only after # is a new load, as from a message
        self.page.goto(url)
        # A private guide opens itself (WebCrypto is asynchronous) and becomes the app, or keeps its
        # plain note. A selector, not wait_for_function: the page's CSP refuses string predicates.
        self.page.wait_for_selector("body.app, html.sealed-closed, .site-index", state="attached")
        self.page.evaluate("document.fonts.ready")
        return self.page

    def show(self, viewport: dict[str, int], scheme: str = "light") -> Any:
        """The open page at another size or colour scheme, scrolled to the top."""
        self.page.set_viewport_size(viewport)
        self.page.emulate_media(media="screen", color_scheme=scheme, reduced_motion="reduce")
        self.page.evaluate("window.scrollTo(0, 0)")
        return self.page


@pytest.fixture
def visit(chromium: Any) -> Iterator[Visit]:
    tab = Visit(chromium)
    yield tab
    tab.page.close()


@pytest.fixture(scope="module", params=PROFILES)
def guide(request: pytest.FixtureRequest, site: Path, chromium: Any) -> Iterator[Visit]:
    """Each example guide, loaded once for the checks that only look at it (they run together)."""
    tab = Visit(chromium)
    tab.open(guide_url(site, request.param))
    yield tab
    tab.page.close()


def guide_url(site: Path, guide_id: str, key: str | None = "") -> str:
    """A person's private link, as a file address: their folder, with their key in the fragment
    (`key=None`: no key; any other text: that key)."""
    link = link_of(site.parent, guide_id)
    address = (site / link.slug / "index.html").as_uri()
    if key is None:
        return address
    return f"{address}#k={key or link.key}"


def axe_violations(page: Any, axe_source: str, tags: list[str] = AXE_TAGS) -> list[str]:
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(axe_source)
    # preload: false: axe would fetch the style sheets itself, which the page's CSP rightly refuses.
    violations = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'], preload: false})"
        ".then(result => result.violations)",
        tags,
    )
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:5]]}" for v in violations]


def formats(guide_id: str) -> list[str]:
    data = yaml.safe_load((REPO / "profiles" / f"{guide_id}.yaml").read_text(encoding="utf-8"))
    return list(data.get("format") or [])


# Dark mode uses one palette for every guide, and another with high contrast: one guide of each.
DARK_CHECKED = sorted(
    {next(g for g in PROFILES if not formats(g))} | {g for g in PROFILES if "high_contrast" in formats(g)}
)


def test_axe_finds_no_wcag_22_aa_violation(guide: Visit, axe_source: str) -> None:
    page = guide.show(PHONE, "light")
    assert axe_violations(page, axe_source) == []


def test_axe_best_practices_find_nothing_once_the_guide_is_open(guide: Visit, axe_source: str) -> None:
    """Beyond WCAG: unique landmarks, no alerts that are not alerts, one main, headings in order."""
    page = guide.show(PHONE, "light")
    assert axe_violations(page, axe_source, ["best-practice"]) == []


@pytest.mark.parametrize("guide_id", DARK_CHECKED)
def test_axe_finds_no_violation_in_dark_mode_on_a_desktop(
    site: Path, visit: Visit, axe_source: str, guide_id: str
) -> None:
    page = visit.open(guide_url(site, guide_id), DESKTOP, "dark")
    assert axe_violations(page, axe_source) == []


def test_axe_finds_no_violation_on_the_staff_index(site: Path, visit: Visit, axe_source: str) -> None:
    page = visit.open((site.parent / "print" / "index.html").as_uri())
    assert axe_violations(page, axe_source) == []
    assert page.locator("a").count() == len(PROFILES)


def test_no_request_leaves_the_folder(site: Path, guide: Visit) -> None:
    page = guide.show(DESKTOP, "dark")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.emulate_media(media="print")
    page.evaluate("document.fonts.ready")
    assert guide.requests, "the page was loaded"
    outside = [url for url in guide.requests if not url.startswith(site.as_uri() + "/") and not url.startswith("data:")]
    assert outside == []
    assert guide.failed == [], "every file the page asks for exists"
    assert guide.errors == [], "no script error and no Content-Security-Policy refusal"
    loaded = {url.rsplit("/", 1)[-1] for url in guide.requests}
    assert {"guide.css", "guide.js", "AtkinsonHyperlegible-Regular.woff2"} <= loaded
    assert not any(url.endswith(".ttf") for url in guide.requests), "the browser takes the WOFF2 fonts"


def crisis_bar_on_screen(page: Any) -> None:
    bar = page.locator(".crisis-bar")
    box = bar.bounding_box()
    viewport = page.viewport_size
    assert box is not None and box["y"] == 0 and box["height"] < viewport["height"] / 4
    calls = page.locator(".crisis-bar a[href^='tel:']")
    assert calls.count() >= 1
    for index in range(calls.count()):
        call = calls.nth(index)
        assert call.is_visible()
        area = call.bounding_box()
        assert (
            area is not None
            and area["height"] >= 44
            and area["x"] >= 0
            and area["x"] + area["width"] <= viewport["width"]
        )
        hit = page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y).closest('a')?.getAttribute('href')",
            [area["x"] + area["width"] / 2, area["y"] + area["height"] / 2],
        )
        assert hit == call.get_attribute("href"), "nothing covers the call button"


def test_at_320_px_nothing_scrolls_sideways_and_help_stays_on_screen(guide: Visit) -> None:
    page = guide.show(NARROWEST)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= NARROWEST["width"], f"the page is {width} px wide at 320 px"
    crisis_bar_on_screen(page)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    assert page.evaluate("window.scrollY") > 1000
    crisis_bar_on_screen(page)


READABLE_PROGRESS = """() => {
  const body = parseFloat(getComputedStyle(document.body).fontSize);
  const smallest = [...document.querySelectorAll('svg.progress-chart')].map(svg => {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    return Math.min(...[...svg.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize) * scale));
  });
  const broken = [];
  for (const cell of document.querySelectorAll('table.scores th, table.scores td')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const word of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        if (new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1) broken.push(word[0]);
      }
    }
  }
  const widest = Math.max(0, ...[...document.querySelectorAll('table.scores')].map(t => t.getBoundingClientRect().right));
  return {body, smallest, broken, widest, width: document.documentElement.clientWidth};
}"""


def test_progress_reads_on_a_phone(guide: Visit) -> None:
    """At 390 px: chart labels at least the body size less 2 px, score tables that never break a word."""
    page = guide.show(PHONE)
    if page.locator("#my-progress").count():  # one part at a time: open My progress to measure it
        page.evaluate("location.hash = 'my-progress'")
        page.wait_for_selector("#my-progress", state="visible")
    found = page.evaluate(READABLE_PROGRESS)
    assert all(size >= found["body"] - 2 - 0.01 for size in found["smallest"]), found
    assert found["broken"] == [], f"words broken across lines in a score table: {found['broken']}"
    assert found["widest"] <= found["width"], found


def test_a_link_in_the_contents_lands_below_the_crisis_bar(guide: Visit) -> None:
    page = guide.show(PHONE)
    page.locator(".app-menu").click()
    page.locator(".toc a[href='#contacts']").click()
    bar = page.locator(".crisis-bar").bounding_box()
    heading = page.locator("#contacts-title").bounding_box()
    assert bar is not None and heading is not None
    assert bar["y"] + bar["height"] <= heading["y"] < PHONE["height"] / 2


@pytest.mark.parametrize("guide_id", PROFILES[:2])
def test_zoom_to_200_percent_on_a_laptop(site: Path, visit: Visit, guide_id: str) -> None:
    """A 1280 x 720 screen at 200 % zoom is a 640 x 360 CSS-pixel page: one column, help in reach."""
    page = visit.open(guide_url(site, guide_id), {"width": 640, "height": 360})
    assert page.evaluate("document.documentElement.scrollWidth") <= 640
    crisis_bar_on_screen(page)


# WCAG 1.4.12: a reader's own style sheet may widen spacing this far without losing anything.
TEXT_SPACING = (
    "* { line-height: 1.5 !important; letter-spacing: 0.12em !important; word-spacing: 0.16em !important; }"
    " p { margin-bottom: 2em !important; }"
)


@pytest.mark.parametrize("guide_id", PROFILES[:2])
def test_wider_text_spacing_still_fits_at_320_px(site: Path, visit: Visit, guide_id: str) -> None:
    page = visit.open(guide_url(site, guide_id), NARROWEST)
    page.add_style_tag(content=TEXT_SPACING)
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROWEST["width"]
    crisis_bar_on_screen(page)


def test_the_keyboard_reaches_the_guide_first(site: Path, visit: Visit) -> None:
    page = visit.open(guide_url(site, PROFILES[0]), PHONE)
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0, "the skip link shows when it has focus"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getBoundingClientRect().top")
    bar = page.locator(".crisis-bar").bounding_box()
    assert bar is not None and focused >= bar["y"] + bar["height"], "the focused link is not under the crisis bar"


def test_formats_change_the_page(site: Path, visit: Visit) -> None:
    def font_px(guide_id: str) -> float:
        page = visit.open(guide_url(site, guide_id), PHONE)
        return float(page.evaluate("parseFloat(getComputedStyle(document.querySelector('main p')).fontSize)"))

    large = next(g for g in PROFILES if "large_print" in formats(g))
    plain = next(g for g in PROFILES if not formats(g))
    assert font_px(large) >= 1.2 * font_px(plain)


@pytest.mark.parametrize("guide_id", PROFILES[:2])
def test_worksheet_answers_survive_a_reload_and_stay_in_their_guide(site: Path, visit: Visit, guide_id: str) -> None:
    from playwright.sync_api import expect

    url = guide_url(site, guide_id)
    page = visit.open(url)
    page.evaluate("localStorage.clear()")
    page.evaluate("location.hash = document.querySelector('.worksheet').closest('article').id")
    fields = page.locator(".worksheet textarea")
    assert fields.count() >= 2
    first, second = fields.nth(0), fields.nth(1)
    first_id, second_id = first.get_attribute("id"), second.get_attribute("id")
    second_before = second.input_value()
    answer = f"Call Dana first ({guide_id})\nthen walk the dog"
    first.fill(answer)
    note = page.locator(".ws-note").first.inner_text()
    assert note and note == page.locator("html").get_attribute("data-ws-note"), "the reader is told where it is kept"

    page.wait_for_selector(".ws-saved:not(:empty)")
    page = visit.open(url)  # the address bar lost the key: the reader opens their link again
    expect(page.locator(f"#{first_id}")).to_have_value(answer)
    assert page.locator(f"#{second_id}").input_value() == second_before
    stored = page.evaluate("Object.keys(localStorage)")
    assert len(stored) == 1 and first_id not in stored[0], (
        "only the changed answer is kept, under a name that says nothing"
    )
    kept = page.evaluate("k => localStorage.getItem(k)", stored[0])
    assert kept.startswith("s:") and "Dana" not in kept and "walk" not in kept, "the answer is sealed with the key"
    assert "Dana" not in base64.b64decode(kept[2:]).decode("latin-1")

    # Another person's guide on the same device does not show it.
    other = next(g for g in PROFILES if g != guide_id)
    visit.open(guide_url(site, other))
    assert answer not in page.evaluate("[...document.querySelectorAll('textarea')].map(t => t.value).join()")

    # "Clear this worksheet" asks first, then puts back what the guide says.
    page = visit.open(url)
    expect(page.locator(f"#{first_id}")).to_have_value(answer)
    page.evaluate(f"location.hash = document.getElementById('{first_id}').closest('article').id")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#{first_id}").locator("xpath=ancestor::*[contains(@class,'worksheet')][1]").locator(
        ".ws-clear"
    ).click()
    assert page.locator(f"#{first_id}").input_value() == ""
    assert page.evaluate("Object.keys(localStorage)") == []


def test_worksheets_say_so_when_the_browser_cannot_keep_answers(site: Path, visit: Visit) -> None:
    page = visit.page
    page.add_init_script("Object.defineProperty(window, 'localStorage', {get() { throw new Error('blocked'); }})")
    page = visit.open(guide_url(site, "r-0142"))
    page.evaluate("location.hash = document.querySelector('.worksheet').closest('article').id")
    note = page.locator(".ws-note").first.inner_text()
    assert note and note == page.locator("html").get_attribute("data-ws-unsaved")
    assert page.locator(".ws-clear").count() == 0
    page.locator(".worksheet textarea").first.fill("still works")
    assert visit.errors == []


def test_screenshots_at_phone_and_desktop_width(site: Path, visit: Visit, tmp_path: Path) -> None:
    """Screenshots to look at (kept in pytest's temporary folder); the docs' pair on request."""
    from PIL import Image

    shots = {}
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page = visit.open(guide_url(site, "r-0142"), viewport)
        shots[name] = tmp_path / f"web-{name}.png"
        page.screenshot(path=str(shots[name]))
        with Image.open(shots[name]) as image:
            assert image.size == (viewport["width"], viewport["height"])
            red, green, blue = image.convert("RGB").getpixel((4, 4))[:3]
            assert red > 120 and green < 60 and blue < 60, "the crisis bar is the first thing on screen"
    if os.environ.get("GUIDEGEN_REGENERATE"):
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        for name, path in shots.items():
            (DOCS_IMAGES / f"web-{name}.png").write_bytes(path.read_bytes())


@pytest.mark.parametrize("key", [None, "A" * 43, "not-a-key"], ids=["no key", "wrong key", "broken key"])
def test_without_the_right_key_the_page_shows_only_help_and_a_note(
    site: Path, visit: Visit, axe_source: str, key: str | None
) -> None:
    page = visit.open(guide_url(site, "r-0142", key))
    assert page.evaluate("document.documentElement.classList.contains('sealed-closed')")
    text = page.locator("body").inner_text()
    assert "Help right now" in text and "988" in text and "ask your care team for your link" in text
    assert "Sam" not in text and "My plan" not in text
    assert visit.errors == [] and visit.failed == []
    assert axe_violations(page, axe_source) == []
    assert axe_violations(page, axe_source, ["best-practice"]) == []


def test_the_right_key_opens_the_guide_in_its_language(site: Path, visit: Visit) -> None:
    page = visit.open(guide_url(site, "r-0201"))
    assert page.evaluate("document.documentElement.lang") == "es"
    assert page.locator("#my-plan").count() == 1 and page.locator("#sealed-guide").count() == 0
    assert visit.errors == []


def test_the_preview_reloads_under_the_guides_csp(chromium: Any, tmp_path: Path) -> None:
    """The preview keeps the guide's CSP, and under it the reload script still polls and reloads."""
    import shutil
    import time

    from cases import FIXTURES
    from test_hardening import start_preview

    mini = Path(shutil.copytree(FIXTURES / "mini", tmp_path / "mini"))
    address, saves, thread = start_preview(mini)
    visit = Visit(chromium)
    try:
        page = visit.open(address)
        assert "connect-src 'self'" in page.content()
        module = mini / "content" / "welcome" / "hello.md"
        module.write_text(module.read_text().replace("This guide is yours.", "This guide belongs to you."))
        saves.put("saved")
        deadline = time.monotonic() + 15  # polled from here: the page's CSP forbids eval, so no wait_for_function
        while "This guide belongs to you." not in (page.text_content("body") or "") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "This guide belongs to you." in (page.text_content("body") or "")
        assert [e for e in visit.errors if "Content Security Policy" in e] == []
    finally:
        visit.page.close()
        saves.put(None)
        thread.join(timeout=10)


@pytest.mark.pdf
def test_the_sealed_pdf_downloads_as_the_exact_print_pdf(chromium: Any, tmp_path: Path) -> None:
    """The sealed PDF is padded to 64 KiB steps; the page removes the padding before handing it over."""
    import functools
    import shutil
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from cases import FIXTURES
    from guidegen.publish.build import build

    mini = Path(shutil.copytree(FIXTURES / "mini", tmp_path / "mini"))
    assert build(mini, ["p-001"], jobs=1).problems == []
    link = link_of(mini, "p-001")
    assert (mini / "site" / link.slug / "guide.pdf.enc").stat().st_size % (64 * 1024) == 28  # nonce and tag
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(mini / "site"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    visit = Visit(chromium)
    try:
        page = visit.open(f"http://127.0.0.1:{server.server_port}/{link.slug}/index.html#k={link.key}")
        with page.expect_download() as download:
            page.locator('a[href="guide.pdf"]:visible').first.click()
        assert Path(download.value.path()).read_bytes() == (mini / "print" / "p-001.pdf").read_bytes()
    finally:
        visit.page.close()
        server.shutdown()
        thread.join()
        server.server_close()
