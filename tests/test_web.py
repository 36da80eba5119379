"""The web guide's HTML without a browser: private, self-contained, translated, complete.

What needs a real browser (layout, axe-core, requests, worksheets kept) is in test_browser.py.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result

from conftest import REPO, copy_project, folder_of, link_of, page_html, pdf_of
from guidegen.publish.build import build
from guidegen.web.themecheck import load_checked_project

PROFILES = sorted(p.stem for p in (REPO / "profiles").glob("*.yaml"))
SETTINGS = yaml.safe_load((REPO / "guidegen.yaml").read_text(encoding="utf-8"))
STRINGS = yaml.safe_load((REPO / "templates" / "strings.yaml").read_text(encoding="utf-8"))


def profile(guide_id: str) -> dict[str, Any]:
    data = yaml.safe_load((REPO / "profiles" / f"{guide_id}.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


class Page(HTMLParser):
    """The parts of a page the checks look at."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.title = ""
        self.styles: list[str] = []
        self._in: str | None = None
        self._drawings = 0  # a <title> inside an inline <svg> names the drawing, not the page
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._drawings += tag == "svg"
        if tag in ("title", "style") and not self._drawings:
            self._in = tag
            if tag == "style":
                self.styles.append("")

    def handle_endtag(self, tag: str) -> None:
        self._drawings -= tag == "svg"
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
        elif self._in == "style":
            self.styles[-1] += data

    def all(self, tag: str, **wanted: str) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in wanted.items())]

    def with_class(self, name: str) -> list[tuple[str, dict[str, str]]]:
        return [(t, a) for t, a in self.tags if name in a.get("class", "").split()]


@pytest.fixture(scope="session")
def site(example_site: Path) -> Path:
    """The example project's published folder."""
    return example_site / "site"


def page_of(site: Path, guide_id: str) -> tuple[str, Page]:
    """A person's guide as it reads once their link opens it."""
    text = page_html(site.parent, guide_id, site)
    return text, Page(text)


def shell_of(site: Path, guide_id: str) -> tuple[str, Page]:
    """A person's index.html as published: the sealed guide inside a plain page."""
    text = (folder_of(site.parent, guide_id, site) / "index.html").read_text(encoding="utf-8")
    return text, Page(text)


@pytest.mark.parametrize("guide_id", PROFILES)
def test_private_head_language_and_title(site: Path, guide_id: str) -> None:
    person = profile(guide_id)
    text, page = page_of(site, guide_id)
    assert page.all("html")[0]["lang"] == (person.get("language") or SETTINGS["languages"][0])
    _, shell = shell_of(site, guide_id)
    assert shell.all("html")[0]["lang"] == SETTINGS["languages"][0]  # the same for everyone: no language given away
    for head in (page, shell):
        assert head.all("meta", name="robots")[0]["content"] == "noindex, nofollow"
        assert head.all("meta", name="referrer")[0]["content"] == "no-referrer"
        csp = head.all("meta", **{"http-equiv": "Content-Security-Policy"})[0]["content"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp
        # The only connection a page may make is to its own folder (the sealed PDF).
        assert re.search(r"connect-src ([^;]*)", csp) is None or re.search(r"connect-src 'self';", csp)
        # The title shows in tabs, history and notifications: no name, no health details.
        title = SETTINGS["title"]
        assert head.title == (title[head.all("html")[0]["lang"]] if isinstance(title, dict) else title)
        assert str(person["name"]) not in head.title


@pytest.mark.parametrize("guide_id", PROFILES)
def test_every_resource_is_local_and_exists(site: Path, guide_id: str) -> None:
    _, page = page_of(site, guide_id)
    folder = folder_of(site.parent, guide_id, site)
    loaded = [a["href"] for a in page.all("link")] + [a["src"] for t, a in page.tags if "src" in a]
    assert loaded, "the page loads its style sheet and script"
    for address in loaded:
        assert not re.match(r"^[a-z][a-z0-9+.-]*:|^//", address), f"{address} is not a relative address"
        assert (folder / address).resolve().is_file(), f"{address} does not exist"
    for name in ("guide.css", "guide.js"):
        assert (site / "assets" / name).is_file()


def test_style_sheet_urls_are_local_and_exist(site: Path) -> None:
    css = (site / "assets" / "guide.css").read_text(encoding="utf-8")
    urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", css)
    assert urls
    for url in urls:
        if url.startswith("data:"):
            continue
        assert not re.match(r"^[a-z][a-z0-9+.-]*:|^//", url), f"{url} leaves the site"
        assert (site / "assets" / url).is_file(), f"guide.css uses {url}, which the build did not write"
    assert "@import" not in css, "an @import would be one more request in a row before the page can show"


@pytest.mark.parametrize("guide_id", PROFILES)
def test_crisis_bar_calls_every_line_and_opens_the_safety_plan(site: Path, guide_id: str) -> None:
    _, page = page_of(site, guide_id)
    bar_calls = [a["href"] for t, a in page.with_class("crisis-bar-call")]
    expected = [line for line in SETTINGS["crisis"] if "when" not in line]  # the lines for everyone
    assert bar_calls == [f"tel:{line['phone'].replace(' ', '').replace('-', '')}" for line in expected]
    for _, attrs in page.tags:
        href = attrs.get("href", "")
        if href.startswith("tel:"):
            assert re.fullmatch(r"tel:\+?[0-9*#().]+", href), f"{href} is not a number a phone can dial"
    plan_links = [a["href"] for t, a in page.with_class("crisis-bar-plan")]
    assert plan_links == ["#safety-plan"]  # My safety plan is in every guide: the person's, or a blank one


@pytest.mark.parametrize("guide_id", PROFILES)
def test_links_inside_the_page_land_and_ids_are_unique(site: Path, guide_id: str) -> None:
    _, page = page_of(site, guide_id)
    ids = [a["id"] for _, a in page.tags if "id" in a]
    assert len(ids) == len(set(ids)), "an id is used twice"
    for _, attrs in page.tags:
        href = attrs.get("href", "")
        if href.startswith("#"):
            assert href[1:] in ids, f"{href} goes nowhere"
    toc = [a["href"] for t, a in page.tags if t == "a" and a.get("href", "").startswith("#m-")]
    modules = [a["id"] for t, a in page.tags if t == "article"]
    assert sorted(set(toc)) == sorted(f"#{m}" for m in modules), "the contents list every module"


@pytest.mark.parametrize("guide_id", PROFILES)
def test_every_worksheet_field_has_a_label(site: Path, guide_id: str) -> None:
    _, page = page_of(site, guide_id)
    labelled = {a["for"] for a in page.all("label")}
    fields = page.all("textarea")
    for field in fields:
        assert field["id"] in labelled


def test_print_footer_text_is_escaped_for_css(project: Path) -> None:
    settings = (project / "guidegen.yaml").read_text(encoding="utf-8")
    settings = settings.replace("en: Emergency", r'en: "Say \"help\" <\/style> here \\ now"')
    (project / "guidegen.yaml").write_text(settings, encoding="utf-8")
    out = project / "site"
    report = build(project, ["r-0142"], out=out, pdf=False)
    assert report.problems == []
    text, page = page_of(out, "r-0142")
    assert "Say &#34;help&#34;" in shell_of(out, "r-0142")[0]
    assert len(page.styles) == 1 and text.count("</style>") == 1, "a setting closed the style element"
    style = page.styles[0]
    assert r"Say \22 help\22  \3c /style> here \5c  now" in style
    # The crisis bar shows the same label as text.
    assert "Say &#34;help&#34; &lt;/style&gt; here \\ now" in text


@pytest.mark.parametrize("language", sorted(STRINGS))
def test_every_ui_string_the_web_templates_use_exists(language: str) -> None:
    used: set[str] = set()
    templates = REPO / "templates"
    for path in [
        templates / "guide.html",
        templates / "index.html",
        templates / "sealed.html",
        *sorted(templates.glob("_*.html")),
    ]:
        source = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"\bt\.([a-z_]+)", source))
        for keys in re.findall(r"for key in \[([^\]]*)\]", source):  # t['sp_' ~ key] in the safety plan
            used |= {f"sp_{key}" for key in re.findall(r"'(\w+)'", keys)}
    missing = sorted(used - set(STRINGS[language]))
    assert not missing, f"{language} lacks {missing}"


def test_shared_assets_are_small_and_fonts_are_woff2(site: Path) -> None:
    fonts = sorted((site / "assets" / "fonts").glob("*.woff2"))
    assert len(fonts) == 4
    for font in fonts:
        data = font.read_bytes()
        assert data[:4] == b"wOF2"
        assert len(data) < 0.6 * font.with_suffix(".ttf").stat().st_size
    code = sum((site / "assets" / name).stat().st_size for name in ("guide.css", "guide.js"))
    web = code + sum(font.stat().st_size for font in fonts)
    # 130 000 until the third edition; the app (Today, one part at a time, search, offline, keep
    # on this phone) added about 24 000 bytes of script and style (about 7 000 compressed).
    assert web < 152_000, f"the web guide's shared assets weigh {web} bytes"


def test_woff2_fonts_are_the_same_bytes_every_build(site: Path, tmp_path: Path) -> None:
    from guidegen.publish import output

    output._compress_font.cache_clear()
    shutil.rmtree(site.parent / ".guidegen" / "cache", ignore_errors=True)  # compressed again, not read back
    again = tmp_path / "again"
    assert [p for p in build(site.parent, ["r-0142"], out=again, pdf=False).problems if p.severity == "error"] == []
    for font in sorted((site / "assets" / "fonts").glob("*.woff2")):
        assert (again / "assets" / "fonts" / font.name).read_bytes() == font.read_bytes()


def test_no_index_page_unless_staff_ask(tmp_path: Path, run: Callable[..., Result]) -> None:
    project = copy_project(tmp_path / "project", profiles=("r-0142", "r-0201"))
    staff = project / "print"
    assert run("build", "--no-pdf", "-C", project).exit_code == 0
    assert not (staff / "index.html").exists() and not (project / "site" / "index.html").exists()

    assert run("build", "--no-pdf", "--index", "-C", project).exit_code == 0
    assert not (project / "site" / "index.html").exists(), "the list of people is never published"
    text = (staff / "index.html").read_text(encoding="utf-8")
    page = Page(text)
    links = [link_of(project, i) for i in ("r-0142", "r-0201")]
    assert [a["href"] for a in page.all("a")] == [f"../site/{link.slug}/index.html#k={link.key}" for link in links]
    assert page.all("meta", name="robots")[0]["content"] == "noindex, nofollow"
    for guide_id in ("r-0142", "r-0201"):
        person = profile(guide_id)
        assert str(person["name"]) not in text
        for item in person.get("triggers") or []:
            assert str(item) not in text

    # A later build without --index takes the list away ...
    assert run("build", "--no-pdf", "-C", project).exit_code == 0
    assert not (staff / "index.html").exists()
    # ... but never a page that staff wrote themselves.
    (staff / "index.html").write_text("<p>Riverside guides</p>", encoding="utf-8")
    assert run("build", "--no-pdf", "-C", project).exit_code == 0
    assert (staff / "index.html").read_text(encoding="utf-8") == "<p>Riverside guides</p>"


def test_index_lists_the_pdf_when_there_is_one(tmp_path: Path, run: Callable[..., Result]) -> None:
    project = copy_project(tmp_path / "project", profiles=("r-0142",))
    assert run("build", "--no-pdf", "--index", "-C", project).exit_code == 0
    pdf_of(project, "r-0142").write_bytes(b"%PDF-1.7\n")
    assert run("build", "--no-pdf", "--index", "-C", project).exit_code == 0
    page = Page((project / "print" / "index.html").read_text(encoding="utf-8"))
    assert [a["href"] for a in page.all("a")][1:] == ["r-0142.pdf"]


def test_shared_partials_add_web_only_links_on_the_web_only(site: Path) -> None:
    """The print guide includes the same partials; 'Back to contents' links belong to the web page."""
    from guidegen.guide.assemble import make_guide
    from guidegen.project.profiles import load_profile
    from guidegen.web.pages import _context

    project = load_checked_project(site.parent)
    root = site.parent
    loaded, problems = load_profile(root / "profiles" / "r-0142.yaml", root, project.settings, project.vocabulary)
    assert loaded is not None, problems
    env = project.pages
    parts = env.from_string('{% include "_plan.html" %}{% include "_modules.html" %}{% include "_safety_plan.html" %}')
    printed = parts.render(_context(make_guide(project, loaded.profile), project.settings, "print"))
    assert "<h2" in printed and "to-contents" not in printed
    web, _ = page_of(site, "r-0142")
    assert web.count('class="to-contents"') >= 3


@pytest.mark.parametrize("guide_id", PROFILES)
def test_pages_hold_no_path_of_this_machine(site: Path, guide_id: str) -> None:
    """Only relative addresses: the folder can move to a USB stick or a server and still work."""
    for text in (page_of(site, guide_id)[0], shell_of(site, guide_id)[0]):
        assert str(site.parent) not in text and str(REPO) not in text


def test_the_app_icon_is_a_plain_png_with_the_same_bytes_every_build() -> None:
    import io

    from PIL import Image

    from guidegen.web.app import ICON_SIZES, app_assets, icon_png

    for size in ICON_SIZES:
        assert icon_png(size) == icon_png(size)
        with Image.open(io.BytesIO(icon_png(size))) as image:
            assert image.size == (size, size) and image.format == "PNG"
    assert app_assets() == app_assets()


def test_today_offers_three_quick_tools_from_the_persons_coping_modules() -> None:
    from guidegen.guide.assemble import make_guide
    from guidegen.project.profiles import load_profile
    from guidegen.web.app import QUICK_TOOLS, quick_tools

    project = load_checked_project(REPO)
    for guide_id in ("r-0142", "r-0201"):
        loaded, _ = load_profile(REPO / "profiles" / f"{guide_id}.yaml", REPO, project.settings, project.vocabulary)
        assert loaded is not None
        guide = make_guide(project, loaded.profile)
        coping = [m.id for s in guide.sections if s.id == "coping" for m in s.modules]
        chosen = [m.id for m in quick_tools(guide)]
        preferred = [m for m in QUICK_TOOLS if m in coping]
        assert chosen == (preferred + [m for m in coping if m not in preferred])[:3]
        assert len(chosen) == min(3, len(coping))


def test_prefilled_worksheet_dates_are_in_the_persons_language() -> None:
    import datetime

    from guidegen.text.markdown import prefill

    person = {"goals": [{"text": "Caminar", "by": datetime.date(2027, 2, 1)}]}
    assert prefill(person, "goals", "es") == "Caminar (1 de febrero de 2027)"
    assert prefill(person, "goals", "en") == "Caminar (February 1, 2027)"


def test_the_sealed_page_is_in_every_site_language(site: Path) -> None:
    page = (folder_of(site.parent, "r-0201") / "index.html").read_text(encoding="utf-8")
    assert 'data-lang="en"' in page and 'data-lang="es"' in page
    assert "Ayuda ahora mismo" in page and "AYUDA al 988" in page and "oprime 2" in page
    assert "This link looks incomplete" in page and "Este enlace parece incompleto" in page
    other = (folder_of(site.parent, "r-0142") / "index.html").read_text(encoding="utf-8")
    outside = re.sub(r'<script type="application/octet-stream" id="sealed-guide">[^<]*</script>', "", page)
    assert outside == re.sub(r'<script type="application/octet-stream" id="sealed-guide">[^<]*</script>', "", other)


def test_today_opens_the_persons_safety_plan_or_the_blank_one(site: Path) -> None:
    with_plan = page_html(site.parent, "r-0142")
    assert '<a class="today-button" href="#safety-plan">' in with_plan
    without = page_html(site.parent, "r-0201")  # no plan in the profile: My safety plan has the steps to fill in
    assert without.count('id="safety-plan"') == 1
    assert '<a class="today-button" href="#safety-plan">' in without
