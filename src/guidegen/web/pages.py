"""Page rendering: one personalised guide to the web page and to the print HTML for the PDF."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jinja2

from ..guide.assemble import ChangeLine, Guide, GuideModule
from ..project.settings import Settings
from .app import quick_tools, safety_plan_target

WEB_TEMPLATE = "guide.html"
PRINT_TEMPLATE = "print.html"
SEALED_TEMPLATE = "sealed.html"


def _context(guide: Guide, settings: Settings, target: str) -> dict[str, Any]:
    return {
        "guide": guide,
        "person": guide.person,
        "settings": for_person(settings, guide),
        "t": guide.strings,
        "lang": guide.language,
        "format_classes": " ".join(f"format-{f.replace('_', '-')}" for f in guide.person.format),
        "target": target,
    }


def for_person(settings: Settings, guide: Guide) -> Settings:
    """Settings in the guide's language, with the crisis lines that fit this person (every line
    for everyone, and the lines whose `when:` holds for them)."""
    view = settings.in_language(guide.language, formal=guide.person.formal)
    if guide.crisis is None:
        return view
    return view.model_copy(update={"crisis": tuple(view.crisis[i] for i in guide.crisis)})


def render_web(guide: Guide, settings: Settings, env: jinja2.Environment) -> str:
    """The one-page web guide: what the person reads once their link opens it."""
    context = {
        **_context(guide, settings, "web"),
        "quick_tools": quick_tools(guide),
        "safety_plan_target": safety_plan_target(guide),
    }
    return str(env.get_template(WEB_TEMPLATE).render(context))


def render_sealed(
    sealed: bytes, settings: Settings, env: jinja2.Environment, strings: Mapping[str, Mapping[str, str]]
) -> str:
    """site/<slug>/index.html of a private guide: the sealed guide inside a page that shows only
    what is not personal (the organization, its contact, the crisis lines and a note), in every
    site language: the default one shows without the script, which picks the browser's language
    and offers a switch. It is the same page for everyone but for the sealed text."""
    language = settings.default_language
    others = [{"lang": lang, "note": strings[lang]["sealed_note"]} for lang in settings.languages[1:]]

    # Only the lines for everyone: a line for some people (veterans ...) in the clear would tell who this is.
    def for_everyone(lang: str) -> Settings:
        view = settings.in_language(lang)
        return view.model_copy(update={"crisis": tuple(line for line in view.crisis if line.when is None)})

    def page(text: str) -> str:
        versions = [{"lang": lang, "settings": for_everyone(lang), "t": strings[lang]} for lang in settings.languages]
        context = {
            "settings": for_everyone(language),
            "t": strings[language],
            "lang": language,
            "others": others,
            "versions": versions,
        }
        return str(env.get_template(SEALED_TEMPLATE).render(context, sealed=text))

    text = base64.b64encode(sealed).decode()
    frame = _sealed_frame(settings, env, strings, page)
    return frame[0] + text + frame[1] if frame is not None else page(text)


_FRAMES: dict[tuple[int, int, int], tuple[tuple[object, ...], tuple[str, str] | None]] = {}
"""The sealed page around its text, by the settings, templates and strings it was made from
(kept with them, so their ids are not reused while the entry lives)."""
_MARKS = ("GUIDEGENSEALEDTEXTMARK0123456789abcdefghijklmnopqrstuvwxyz", "GUIDEGENSEALED")
"""Two stand-ins for the sealed text (base64 letters only, of different lengths)."""


def _sealed_frame(
    settings: Settings, env: jinja2.Environment, strings: object, page: Callable[[str], str]
) -> tuple[str, str] | None:
    """What comes before and after the sealed text on every sealed page, rendered once per
    process instead of once per guide; None when the template does anything with the text but
    put it in the page as it is, once (then every page is rendered whole)."""
    key = (id(settings), id(env), id(strings))
    kept = _FRAMES.get(key)
    if kept is None or not all(a is b for a, b in zip(kept[0], (settings, env, strings), strict=True)):
        pages = [page(mark).split(mark) for mark in _MARKS]
        same = all(len(p) == 2 for p in pages) and pages[0] == pages[1]
        if len(_FRAMES) >= 8:
            _FRAMES.clear()
        kept = _FRAMES[key] = ((settings, env, strings), (pages[0][0], pages[0][1]) if same else None)
    return kept[1]


def guide_link(settings: Settings, slug: str, key: str | None) -> str:
    """The person's web guide: `<base_url><slug>/#k=<key>` (without base_url, the path inside
    the output folder). The key travels in the fragment, which no server or log ever sees."""
    base = settings.base_url or ""
    fragment = f"#k={key}" if key else ""
    return f"{base}{slug}/{fragment}" if base else f"{slug}/index.html{fragment}"


def qr_data_uri(url: str) -> str:
    """A QR code for `url` as an SVG data: URI (the PDF may load nothing else)."""
    import segno

    return str(segno.make(url, error="m", micro=False).svg_data_uri(border=4, dark="#000", light="#fff"))


def render_print(
    guide: Guide,
    settings: Settings,
    env: jinja2.Environment,
    extra: Mapping[str, Any] | None = None,
    *,
    fit: int = 0,
    safety_plan_only: bool = False,
) -> str:
    """The print HTML that WeasyPrint lays out into guide.pdf.

    `fit` tightens the safety plan card (0 to 4) when it does not fit on one page;
    `safety_plan_only` leaves out everything else, to measure that page quickly.
    """
    url = guide.link if settings.base_url else None
    context = {
        **_context(guide, settings, "print"),
        "guide_url": url,
        "qr_code": qr_data_uri(url) if url and not safety_plan_only else None,
        "fit": fit,
        "safety_plan_only": safety_plan_only,
        "left_out": (),
        **(extra or {}),
    }
    context["changes"], context["more_changes"] = paper_changes(guide, context["left_out"])
    return str(env.get_template(PRINT_TEMPLATE).render(context))


WHATS_NEW_LINES = {"standard": 5, "large_print": 3}
"""Most lines of "What's new" on paper: it takes at most a third of a page."""


def paper_changes(guide: Guide, left_out: Sequence[GuideModule]) -> tuple[tuple[ChangeLine, ...], int]:
    """What's new as the printed guide says it: only changes about what is on paper, at most a
    third of a page; the number of the other changes ("3 more changes in your web guide")."""
    web_only = {module.id for module in left_out}
    on_paper = [c for c in guide.changes if not (c.module and c.module in web_only)]
    most = WHATS_NEW_LINES["large_print" if "large_print" in guide.person.format else "standard"]
    shown = tuple(on_paper[:most])
    return shown, len(guide.changes) - len(shown)
