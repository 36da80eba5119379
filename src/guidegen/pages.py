"""Page rendering: one personalised guide to the web page and to the print HTML for the PDF."""

from __future__ import annotations

from typing import Any

import jinja2

from .guide import Guide
from .settings import Settings

WEB_TEMPLATE = "guide.html"
PRINT_TEMPLATE = "print.html"


def _context(guide: Guide, settings: Settings, target: str) -> dict[str, Any]:
    return {
        "guide": guide,
        "person": guide.person,
        "settings": settings,
        "t": guide.strings,
        "lang": guide.language,
        "format_classes": " ".join(f"format-{f.replace('_', '-')}" for f in guide.person.format),
        "target": target,
    }


def render_web(guide: Guide, settings: Settings, env: jinja2.Environment) -> str:
    """The one-page web guide (site/<id>/index.html)."""
    return str(env.get_template(WEB_TEMPLATE).render(_context(guide, settings, "web")))


def guide_url(settings: Settings, guide_id: str) -> str | None:
    """The person's web guide, `<base_url><id>/`, when the guides are published."""
    if not settings.base_url:
        return None
    return settings.base_url.rstrip("/") + "/" + guide_id + "/"


def qr_data_uri(url: str) -> str:
    """A QR code for `url` as an SVG data: URI (the PDF may load nothing else)."""
    import segno

    return str(segno.make(url, error="m", micro=False).svg_data_uri(border=4, dark="#000", light="#fff"))


def render_print(
    guide: Guide,
    settings: Settings,
    env: jinja2.Environment,
    *,
    fit: int = 0,
    safety_plan_only: bool = False,
) -> str:
    """The print HTML that WeasyPrint lays out into guide.pdf.

    `fit` tightens the safety plan card (0 to 4) when it does not fit on one page;
    `safety_plan_only` leaves out everything else, to measure that page quickly.
    """
    url = guide_url(settings, guide.person.id)
    context = {
        **_context(guide, settings, "print"),
        "guide_url": url,
        "qr_code": qr_data_uri(url) if url and not safety_plan_only else None,
        "fit": fit,
        "safety_plan_only": safety_plan_only,
    }
    return str(env.get_template(PRINT_TEMPLATE).render(context))
