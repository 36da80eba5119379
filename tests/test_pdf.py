"""The print guide, read back from the PDF itself: cover, contents, bookmarks, footers, crisis
boxes, the one-page safety plan, worksheets as form fields, PDF/UA markers, metadata, the print
variants, paper, the QR code and reproducible bytes.

Two fictional people are built once for the whole module (a guide takes seconds):
Avery (English, letter paper, a web address for the QR code, a short safety plan with two empty
steps) and Inés (Spanish, A4, no web address, large print + high contrast + dyslexia-friendly,
a long safety plan that must still fit one page).
"""

from __future__ import annotations

import html
import io
import logging
import re
import subprocess
import zlib
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pdfplumber
import pytest
import yaml
from click.testing import CliRunner
from pypdf import PdfReader
from pypdf.generic import ArrayObject, BooleanObject, DictionaryObject, IndirectObject, NumberObject, StreamObject

from conftest import copy_project, folder_of, link_of, more_list, pdf_of
from guidegen.cli import main
from guidegen.guide.assemble import Guide, make_guide
from guidegen.paper.choose import printed_guide
from guidegen.project.load import valid_profiles
from guidegen.project.theme import font_dir
from guidegen.publish import build as build_module
from guidegen.web.seal import unseal
from guidegen.web.themecheck import load_checked_project

pytestmark = pytest.mark.pdf

MM = 72 / 25.4

AVERY = """\
# Fictional test person.
id: t-0101
name: Avery Quinlan
pronouns: they/them
language: en
substances: [alcohol]
stage: action
conditions: [anxiety]
therapies: [cbt]
groups: [smart_recovery]
support_style: secular
goals:
  - {text: "Walk every morning before work", by: 2027-03-01}
reasons: ["Keep my garden growing"]
triggers: ["Payday evenings at the corner bar", "Long drives home"]
warning_signs: ["Skipping lunch"]
coping: ["Phone my cousin Bo"]
people: [{name: Bo Tremaine, relation: cousin, phone: "555-0177"}]
care_team: [{name: Rue Halvorsen, role: Counselor, phone: "555-0178"}]
safety_plan:
  warning_signs: ["Pacing the hallway at night"]
  coping: ["Cold water on my face"]
  help: [{name: Bo Tremaine, phone: "555-0177"}]
  professionals: [{name: Rue Halvorsen, phone: "555-0178"}]
  reason_for_living: "My garden and my cat Pip"
review:
  next: 2027-01-11
  history:
    - {date: 2026-09-14, note: "First plan"}
message: |
  Avery, one step at a time.
"""

INES = """\
# Fictional test person.
id: t-0102
name: Inés Valdivia
language: es
format: [large_print, high_contrast, dyslexia_friendly]
substances: [opioids]
stage: contemplation
goals:
  - {text: "Ir a todas mis citas con la doctora y hablar con ella antes de cambiar cualquier dosis", by: 2027-02-28}
triggers: ["Las noches de los viernes cuando estoy sola en casa", "Discusiones con mi hermano"]
people: [{name: Olga Ferrán, relation: amiga, phone: "555-0181"}]
safety_plan:
  warning_signs: ["No duermo dos noches seguidas", "Pienso que todos estarían mejor sin mí"]
  coping: ["Ducha fría", "Respirar despacio cinco minutos", "Sostener hielo en la mano"]
  distractions: ["La cafetería de la calle Mayor que abre toda la noche", {name: Olga Ferrán, phone: "555-0181"}]
  help: [{name: Olga Ferrán, phone: "555-0181"}, {name: Teo Ballester, phone: "555-0182"}]
  professionals:
    - {name: Dra. Nuria Sanz, phone: "555-0183"}
    - {name: "988 Suicide & Crisis Lifeline", phone: "988"}
    - "Urgencias del Hospital del Río, avenida del Río 100"
  safe_environment: ["Olga guarda mis pastillas de más", "Nada de alcohol en casa"]
  reason_for_living: "Mi hermano pequeño y mis estudios de enfermería"
review:
  next: 2026-12-01
  history:
    - {date: 2026-11-03, note: "Plan de seguridad"}
"""


@dataclass
class Built:
    """One built guide and what is needed to read it back."""

    root: Path
    id: str
    guide: Guide

    @property
    def pdf(self) -> Path:
        return pdf_of(self.root, self.id)

    @cached_property
    def reader(self) -> PdfReader:
        return PdfReader(self.pdf)

    @cached_property
    def pages(self) -> list[str]:
        """Each page's text, with runs of spaces made one."""
        return [re.sub(r"[ \t]+", " ", page.extract_text()) for page in self.reader.pages]

    @cached_property
    def bookmarks(self) -> list[tuple[int, str, int]]:
        """(level, title, page number) for every bookmark, in order."""
        found: list[tuple[int, str, int]] = []

        def walk(items: list, level: int) -> None:
            for item in items:
                if isinstance(item, list):
                    walk(item, level + 1)
                else:
                    found.append((level, item.title, self.reader.get_destination_page_number(item) + 1))

        walk(self.reader.outline, 1)
        return found

    def page_of(self, title: str) -> int:
        return next(page for _, name, page in self.bookmarks if name == title)

    @cached_property
    def printed(self) -> Guide:
        """The guide as printed: the modules that the last page, "More in your web guide", does not
        list (the page budget left those out; tests/test_budget.py checks the choice itself)."""
        last = one_line(self.pages[-1])
        more = last.startswith(("More in your web guide", "Más en tu guía web"))
        listed = more_list(pdf_of(self.root, self.id), len(self.pages)) if more else []
        kept = {m.id for s in self.guide.sections for m in s.modules if one_line(m.title) not in listed}
        return printed_guide(self.guide, kept)[0]

    @cached_property
    def profile(self) -> dict:
        return yaml.safe_load((self.root / "profiles" / f"{self.id}.yaml").read_text())


def build_guide(root: Path, guide_id: str, *extra: str) -> None:
    result = CliRunner().invoke(main, ["build", "--no-html", "-C", str(root), *extra, guide_id], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def make_built(root: Path, guide_id: str) -> Built:
    build_guide(root, guide_id)
    project = load_checked_project(root)
    loaded = next(iter(valid_profiles(project, [guide_id])))
    return Built(root, guide_id, make_guide(project, loaded.profile))


@pytest.fixture(scope="module")
def avery(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = copy_project(tmp_path_factory.mktemp("avery"), profiles=())
    (root / "profiles" / "t-0101.yaml").write_text(AVERY, encoding="utf-8")
    return make_built(root, "t-0101")


@pytest.fixture(scope="module")
def ines(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = copy_project(tmp_path_factory.mktemp("ines"), profiles=())
    settings = (root / "guidegen.yaml").read_text(encoding="utf-8")
    settings = re.sub(r"(?m)^base_url:.*\n", "", settings).replace("paper: letter", "paper: a4")
    (root / "guidegen.yaml").write_text(settings, encoding="utf-8")
    (root / "profiles" / "t-0102.yaml").write_text(INES, encoding="utf-8")
    return make_built(root, "t-0102")


def one_line(text: str) -> str:
    return " ".join(text.split())


def profile_values(profile: dict, *, skip: tuple[str, ...] = ("id", "name", "review", "language")) -> set[str]:
    """Every string the profile holds (names, phones, triggers, plan ...), except the keys in `skip`."""
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, str):
            found.add(value.strip())
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for key, value in profile.items():
        if key not in skip:
            walk(value)
    return {value for value in found if len(value) > 3}


def every_object(reader: PdfReader) -> list[object]:
    """Every dictionary, array, string and stream reachable from the trailer."""
    seen: set[int] = set()
    found: list[object] = []
    stack: list[object] = [reader.trailer]
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            if item.idnum in seen:
                continue
            seen.add(item.idnum)
            item = item.get_object()
        found.append(item)
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def blocks_by_page(reader: PdfReader) -> list[tuple[int, str]]:
    """(page, structure type of the enclosing block) for every piece of tagged content, in order."""
    pages = {page.indirect_reference.idnum: number for number, page in enumerate(reader.pages, start=1)}
    inline = {"/Span", "/Link", "/NonStruct", "/Lbl", "/Figure", "/Form"}
    found: list[tuple[int, str]] = []

    def walk(element: object, page: int, block: str) -> None:
        element = element.get_object() if isinstance(element, IndirectObject) else element
        if isinstance(element, ArrayObject):
            for kid in element:
                walk(kid, page, block)
            return
        if not isinstance(element, DictionaryObject) or element.get("/Type") == "/OBJR":
            return
        kind = str(element.get("/S"))
        block = block if kind in inline else kind
        if "/Pg" in element:
            page = pages.get(element.raw_get("/Pg").idnum, page)
        kids = element.get("/K")
        for kid in kids if isinstance(kids, ArrayObject) else [kids]:
            if isinstance(kid, NumberObject):
                found.append((page, block))
            elif kid is not None:
                walk(kid, page, block)

    walk(reader.trailer["/Root"]["/StructTreeRoot"]["/K"], 0, "")
    return found


# Bookmarks, contents, cover, footers ---------------------------------------------------------


def test_bookmarks_list_every_section_and_module_in_order(avery: Built) -> None:
    sections = avery.printed.sections
    assert len(sections) >= 2
    top = [title for level, title, _ in avery.bookmarks if level == 1]
    printed = sum(len(s.modules) for s in sections)
    more = ["More in your web guide"] if printed < sum(len(s.modules) for s in avery.guide.sections) else []
    progress = ["My progress"] if avery.guide.progress else []
    expected = ["Contents", "Start here", "My plan", *progress, *(s.title for s in sections), "My safety plan"]
    assert top == [*expected, "Contacts", *more]
    children: dict[str, list[str]] = {}
    parent = ""
    for level, title, _ in avery.bookmarks:
        if level == 1:
            parent = title
        else:
            children.setdefault(parent, []).append(title)
    for section in sections:
        assert children[section.title] == [module.title for module in section.modules]
    assert "Things that can set off cravings" in children["My plan"]
    pages = [page for _, _, page in avery.bookmarks]
    assert pages == sorted(pages) and pages[0] == 2


def test_contents_give_the_page_of_every_module_and_no_leaders_in_the_crisis_box(avery: Built) -> None:
    contents = "\n".join(avery.pages[1 : avery.page_of("My plan") - 1])
    listed = {one_line(title): int(page) for title, page in re.findall(r"(?m)^(.+?)(?: \.)+ *\.? *(\d+)\s*$", contents)}
    modules = {module.title for section in avery.guide.sections for module in section.modules}
    entries = [(title, page) for level, title, page in avery.bookmarks if level == 1 or title in modules]
    for title, page in entries[1:]:  # all but "Contents" itself
        assert listed.get(one_line(title)) == page, title
    assert len(listed) == len(entries) - 1
    crisis_lines = [line for line in avery.pages[1].splitlines() if "Call 988" in line or "Call 911" in line]
    assert crisis_lines and not any(". ." in line for line in crisis_lines)


def test_cover_shows_name_organization_and_dates_and_no_health_details(avery: Built) -> None:
    cover = one_line(avery.pages[0])
    for expected in ("Avery Quinlan", "Riverside Recovery Services", "September 14, 2026", "January 11, 2027"):
        assert expected in cover
    for value in profile_values(avery.profile):
        assert value not in cover, value
    for label in ("Alcohol", "anxiety", "Anxiety", "CBT", "safety plan", "Making changes"):
        assert label not in cover


def test_every_page_after_the_cover_shows_page_x_of_y_and_the_crisis_lines(avery: Built) -> None:
    total = len(avery.pages)
    assert "Page 1 of" not in avery.pages[0]
    for number, text in enumerate(avery.pages[1:], start=2):
        flat = one_line(text)
        assert f"Page {number} of {total}" in flat, number
        assert "988 Suicide & Crisis Lifeline 988" in flat and "Emergency 911" in flat, number


def test_crisis_box_on_the_first_page_after_the_cover_and_on_the_safety_plan(avery: Built) -> None:
    first = one_line(avery.pages[1])
    assert first.startswith("Help right now")
    assert "988 Suicide & Crisis Lifeline Call 988" in first and "Emergency Call 911" in first
    plan = one_line(avery.pages[avery.page_of("My safety plan") - 1])
    assert "Help right now" in plan and "Call 988" in plan and "Call 911" in plan


def test_text_has_the_name_the_crisis_line_and_every_module_title(avery: Built) -> None:
    text = one_line(" ".join(avery.pages))
    assert "Avery Quinlan" in text and "Avery, one step at a time." in text and "988" in text
    for section in avery.guide.sections:
        for module in section.modules:
            assert one_line(module.title) in text


def test_headings_never_end_a_page(avery: Built, ines: Built) -> None:
    for built in (avery, ines):
        last_on_page = dict(blocks_by_page(built.reader))
        blank = {
            number for number, text in enumerate(built.pages, start=1) if "left blank" in text or "en blanco" in text
        }
        assert set(last_on_page) == set(range(1, len(built.pages) + 1)) - blank
        alone = {page: kind for page, kind in last_on_page.items() if re.fullmatch(r"/H\d", kind)}
        assert alone == {}, built.id


# The safety plan ----------------------------------------------------------------------------

SP_EN = [
    "1. Warning signs that a crisis may be coming",
    "2. Things I can do on my own",
    "3. People and places that take my mind off things",
    "4. People I can ask for help",
    "5. Professionals and services I can contact",
    "6. Making my surroundings safer",
    "The one thing most important to me",
]
SP_ES = [
    "1. Señales",
    "2. Cosas que puedo hacer",
    "3. Personas y lugares",
    "4. Personas a las que",
    "5. Profesionales",
    "6. Cómo hacer",
    "Lo más importante",
]


@pytest.mark.parametrize(("who", "steps", "contents"), [("avery", SP_EN, "Contacts"), ("ines", SP_ES, "Contactos")])
def test_safety_plan_is_one_page_in_stanley_brown_order(
    who: str, steps: list[str], contents: str, request: pytest.FixtureRequest
) -> None:
    built: Built = request.getfixturevalue(who)
    title = "My safety plan" if who == "avery" else "Mi plan de seguridad"
    page = built.page_of(title)
    assert page % 2 == 1, "a right-hand page, so that it can be cut out of a double-sided print"
    assert built.page_of(contents) == page + 2, "one page, and its back left blank"
    blank = one_line(built.pages[page])
    assert blank.startswith(("This side is left blank", "Esta cara queda en blanco")), blank
    text = one_line(built.pages[page - 1])
    where = [text.find(step) for step in steps]
    assert -1 not in where and where == sorted(where), where
    assert built.profile["name"] in text
    assert one_line(built.profile["safety_plan"]["reason_for_living"]) in text


# Worksheets ---------------------------------------------------------------------------------


def expected_fields(guide: Guide) -> dict[str, str]:
    """Every worksheet field in the modules, with the value the profile pre-fills."""
    fields = {}
    for section in guide.sections:
        for module in section.modules:
            for name, value in re.findall(r'<textarea id="([^"]+)"[^>]*>(.*?)</textarea>', module.html, re.S):
                fields[name] = html.unescape(value)
    return fields


def test_worksheets_are_fillable_fields_named_by_label_with_prefilled_values(avery: Built) -> None:
    fields = avery.reader.get_fields() or {}
    expected = expected_fields(avery.printed)
    assert len(expected) > 5
    steps = ("warning_signs", "coping", "distractions", "help", "professionals", "safe_environment")
    assert set(fields) - set(expected) <= {f"safety-plan-{step}" for step in (*steps, "reason_for_living")}
    assert set(expected) <= set(fields)
    assert any("Payday evenings at the corner bar" in value for value in expected.values())
    for name, value in expected.items():
        field = fields[name]
        assert field["/FT"] == "/Tx" and int(field["/Ff"]) & (1 << 12), name  # multiline text
        assert field.get("/V", "") == value, name
        assert field["/TU"] and field["/TU"] != name, "readers announce the label, not the id"
    for name in fields:  # the lines to add more to the plan are empty on paper
        if name.startswith("safety-plan-"):
            assert fields[name].get("/V", "") == ""
    assert avery.reader.trailer["/Root"]["/AcroForm"]["/NeedAppearances"] == BooleanObject(False)


def test_prefilled_text_sits_on_the_ruled_lines(avery: Built) -> None:
    pitch = 9 * MM
    checked = 0
    for page in avery.reader.pages:
        for annotation in page.get("/Annots", []):
            widget = annotation.get_object()
            if widget.get("/FT") != "/Tx":
                continue
            appearance = widget["/AP"]["/N"].get_object()
            assert isinstance(appearance, StreamObject)
            top = float(appearance["/BBox"][3])
            baselines = [float(y) for y in re.findall(rb"1 0 0 1 1 ([\d.]+) Tm", appearance.get_data())]
            lines = str(widget.get("/V", "")).split("\n")
            if not widget.get("/V"):
                assert baselines == []
                continue
            assert len(baselines) >= len(lines)
            for number, baseline in enumerate(baselines):
                rule = top - (number + 1) * pitch  # the bottom of line `number`, where its rule is
                assert 0.5 * MM <= baseline - rule <= 3 * MM, (widget["/T"], number)
            checked += 1
    assert checked >= 5


# PDF/UA, metadata, reproducibility ---------------------------------------------------------


@pytest.mark.parametrize(("who", "language"), [("avery", "en"), ("ines", "es")])
def test_tagged_pdf_ua_with_the_guide_language(who: str, language: str, request: pytest.FixtureRequest) -> None:
    built: Built = request.getfixturevalue(who)
    catalog = built.reader.trailer["/Root"]
    assert catalog["/MarkInfo"]["/Marked"] == BooleanObject(True)
    assert catalog["/StructTreeRoot"]["/Type"] == "/StructTreeRoot"
    assert catalog["/Lang"] == language
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"] == BooleanObject(True)
    assert b'pdfuaid:part="1"' in catalog["/Metadata"].get_object().get_data()
    kinds = Counter(kind for _, kind in blocks_by_page(built.reader))
    assert kinds["/H2"] and kinds["/H3"] and kinds["/P"]


def test_metadata_is_neutral_and_holds_no_profile_values(avery: Built) -> None:
    info = dict(avery.reader.metadata or {})
    assert info["/Title"] == "My Recovery Guide"
    assert info["/Author"] == "Riverside Recovery Services"
    assert info["/CreationDate"] == info["/ModDate"] == "D:20260914"  # the latest review, not the clock
    xmp = avery.reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert "<xmp:CreateDate>2026-09-14</xmp:CreateDate>" in xmp
    metadata = " ".join(map(str, info.values())) + xmp
    for value in profile_values(avery.profile, skip=()) | {"Avery", "Quinlan", "t-0101", "Alcohol", "Anxiety"}:
        assert value not in metadata, value


def test_two_builds_give_the_same_bytes_and_no_machine_paths(avery: Built) -> None:
    first = avery.pdf.read_bytes()
    sealed = (folder_of(avery.root, avery.id) / "guide.pdf.enc").read_bytes()
    build_guide(avery.root, avery.id, "--force", "--out", str(avery.root / "again"))
    assert avery.pdf.read_bytes() == first
    assert (folder_of(avery.root, avery.id, avery.root / "again") / "guide.pdf.enc").read_bytes() == sealed
    assert unseal(link_of(avery.root, avery.id).key, sealed) == first, "the web guide offers the same PDF, sealed"
    readable = []
    for item in every_object(avery.reader):
        if isinstance(item, StreamObject):
            data = item.get_data()
            readable.append(data if b"\x00" not in data[:512] else zlib.crc32(data).to_bytes(4, "big"))
        elif isinstance(item, (str, bytes)):
            readable.append(item.encode() if isinstance(item, str) else item)
    everything = b"\n".join(readable) + first
    for path in {avery.root, avery.root.parent, Path(build_module.__file__).parent, Path.home()}:
        assert str(path).encode() not in everything, path
    assert b"file:" not in everything


# Variants, paper, QR code ----------------------------------------------------------------------


def body_chars(built: Built, first: int, last: int) -> list[dict]:
    """The characters of pages first..last (1-based) above the footer."""
    chars = []
    with pdfplumber.open(built.pdf) as pdf:
        for page in pdf.pages[first - 1 : last]:
            limit = page.height - 34 * MM
            chars.extend(c for c in page.chars if c["bottom"] < limit and c["text"].strip())
    return chars


def test_large_print_is_16pt_with_wide_spacing_and_margins(ines: Built) -> None:
    plan = ines.page_of("Mi plan")
    chars = body_chars(ines, plan, plan + 6)
    sizes = Counter(round(c["size"]) for c in chars)
    assert sizes.most_common(1)[0][0] >= 16
    assert sum(n for size, n in sizes.items() if size >= 16) / sum(sizes.values()) > 0.97, sizes
    baselines = sorted(
        {round(c["bottom"], 1) for c in chars if round(c["size"]) == 17 and c["page_number"] == plan + 2}
    )
    gaps = Counter(round(b - a, 1) for a, b in zip(baselines, baselines[1:], strict=False))
    assert gaps.most_common(1)[0][0] >= 1.5 * 17, gaps
    assert min(c["x0"] for c in chars) >= 24.5 * MM


def test_high_contrast_is_black_text_and_dyslexia_friendly_has_no_italics(ines: Built) -> None:
    chars = body_chars(ines, 1, len(ines.pages))
    colours = Counter(tuple(round(v, 2) for v in (c["non_stroking_color"] or (0,))) for c in chars)
    assert set(colours) <= {(0,), (0.0, 0.0, 0.0)}, colours
    assert not [c for c in chars if "Italic" in c["fontname"]]
    assert all("+Atkinson-Hyperlegible" in c["fontname"] for c in chars)


def test_paper_comes_from_settings(avery: Built, ines: Built) -> None:
    letter = avery.reader.pages[0].mediabox
    a4 = ines.reader.pages[0].mediabox
    assert (round(float(letter.width)), round(float(letter.height))) == (612, 792)
    assert (round(float(a4.width)), round(float(a4.height))) == (595, 842)


def test_the_naloxone_card_prints_in_large_print_spanish_with_captions_as_text_and_alt_text(ines: Built) -> None:
    text = one_line(" ".join(ines.pages))
    for caption in (
        "Revisar. Gritar su nombre.",
        "Dar una dosis. Poner la punta en una fosa de la nariz. Apretar el émbolo con fuerza.",
        "¿No responde en 2 a 3 minutos? Dar un aerosol nuevo en la otra fosa de la nariz.",
        "Abrir la vía del aire.",
    ):
        assert text.count(caption) == 1, caption  # in full once; the other modules link back to it
    alts = [
        str(item["/Alt"])
        for item in every_object(ines.reader)
        if isinstance(item, dict) and item.get("/S") == "/Figure" and "/Alt" in item
    ]
    assert "Dibujo: un teléfono con sus teclas." in alts
    assert sum(alt.startswith("Dibujo") for alt in alts) == 9


def test_qr_code_to_the_web_guide_on_the_back_page_only_with_a_base_url(avery: Built, ines: Built) -> None:
    back = one_line(avery.pages[-1])
    link = link_of(avery.root, avery.id)
    assert "Scan to open your guide on a phone" in back
    # The printed link, with its key: the text may break anywhere inside it, so compare without spaces.
    assert f"https://guides.riverside.example.org/{link.slug}/#k={link.key}" in back.replace(" ", "")
    assert "t-0101" not in back
    figures = [
        item
        for item in every_object(avery.reader)
        if isinstance(item, dict) and item.get("/S") == "/Figure" and "/Alt" in item
    ]
    assert [str(f["/Alt"]) for f in figures] == ["QR code that opens your guide on the web"]
    assert "Escanea" not in one_line(ines.pages[-1])
    assert "t-0102" not in one_line(ines.pages[-1])


def test_qr_code_decodes_to_the_web_guide_address(avery: Built, tmp_path: Path) -> None:
    import zxingcpp
    from PIL import Image

    last = len(avery.reader.pages)
    prefix = tmp_path / "back"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-f", str(last), "-l", str(last), str(avery.pdf), str(prefix)], check=True
    )
    (image,) = tmp_path.glob("back*.png")
    codes = zxingcpp.read_barcodes(Image.open(image))
    link = link_of(avery.root, avery.id)
    assert [(code.format, code.text) for code in codes] == [
        (zxingcpp.BarcodeFormat.QRCode, f"https://guides.riverside.example.org/{link.slug}/#k={link.key}")
    ]


# Fonts -------------------------------------------------------------------------------------------


def test_fonttools_subsetting_fallback_gives_the_same_guide(
    avery: Built, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Without HarfBuzz subsetting (libharfbuzz-subset0 missing), WeasyPrint subsets fonts with
    fontTools: the guide must still come out whole, with the same text and working form fields."""
    from weasyprint.pdf import fonts

    monkeypatch.setattr(fonts, "harfbuzz_subset", None)
    out = avery.root / "fonttools"
    original = avery.pdf.read_bytes()
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        build_guide(avery.root, avery.id, "--force", "--out", str(out))
    assert "Using fontTools instead of HarfBuzz-Subset" in caplog.text
    reader = PdfReader(io.BytesIO(avery.pdf.read_bytes()))
    avery.pdf.write_bytes(original)
    assert [re.sub(r"[ \t]+", " ", page.extract_text()) for page in reader.pages] == avery.pages
    embedded = [item for item in every_object(reader) if isinstance(item, dict) and "/FontFile2" in item]
    assert embedded
    font_sizes = {path.stat().st_size for path in font_dir().glob("*.ttf")}
    sizes = [len(descriptor["/FontFile2"].get_object().get_data()) for descriptor in embedded]
    assert any(size < min(font_sizes) for size in sizes), "the text fonts are subset (form fields get whole fonts)"
    assert reader.get_fields().keys() == avery.reader.get_fields().keys()
    assert reader.trailer["/Root"]["/AcroForm"]["/NeedAppearances"] == BooleanObject(False)


def test_every_layout_of_a_theme_shares_one_font_configuration(tmp_path: Path) -> None:
    """WeasyPrint made a new font configuration per layout, and each kept the theme's fonts in
    memory for good (about 1.4 MB a guide); one is now shared, per thread and theme, and made
    again when a font file of the theme changes (the live preview)."""
    import threading
    from types import SimpleNamespace

    from guidegen.paper.layout import _fonts_for

    font = tmp_path / "a.ttf"
    font.write_bytes(b"font one")
    theme = SimpleNamespace(assets={"fonts/a.ttf": font, "guide.css": tmp_path / "absent.css"})
    first = _fonts_for(theme, "file:///theme-a/_print_/page.html")
    assert _fonts_for(theme, "file:///theme-a/_print_/page.html") is first
    assert _fonts_for(theme, "file:///theme-b/_print_/page.html") is not first
    other: list = []
    thread = threading.Thread(target=lambda: other.append(_fonts_for(theme, "file:///theme-a/_print_/page.html")))
    thread.start()
    thread.join()
    assert other[0] is not first  # WeasyPrint's font maps are not shared between threads
    font.write_bytes(b"font two, edited")
    edited = _fonts_for(theme, "file:///theme-a/_print_/page.html")
    assert edited is not first
    font.unlink()  # a font removed while the preview runs: a new configuration, not an error
    assert _fonts_for(theme, "file:///theme-a/_print_/page.html") is not edited
