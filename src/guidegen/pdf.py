"""The print HTML to guide.pdf with WeasyPrint. The only module that imports weasyprint.

WeasyPrint may read nothing but `data:` URLs and the theme's assets: the URL fetcher refuses
web addresses and any file outside those folders (checked on the resolved path), and the
refusal stops the PDF with a message instead of quietly leaving something out.
"""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import weasyprint
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from .errors import GuidegenError
from .theme import Theme

VIRTUAL_PAGE = "_print_/page.html"
"""The print HTML pretends to live here inside the theme, so `../assets/x` resolves to an asset."""


class RefusedResource(GuidegenError):
    """The PDF asked for something outside the theme's assets."""


class ThemeFetcher(URLFetcher):
    """Serves `data:` URLs and theme assets; refuses everything else."""

    def __init__(self, theme: Theme, assets_dir: Path) -> None:
        super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False, timeout=1)
        self.theme = theme
        self.assets_dir = assets_dir.resolve()

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(unquote(urlparse(url).path)).resolve()
            if path.is_relative_to(self.assets_dir):
                relative = path.relative_to(self.assets_dir).as_posix()
                real = self.theme.assets.get(relative)
                if real is not None:
                    kind = mimetypes.guess_type(relative)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, body=real.read_bytes(), headers={"Content-Type": kind})
            raise FatalURLFetchingError(
                f"refused to load '{_shown(url, self.assets_dir)}': only the theme's assets/ and data: URLs may be used"
            )
        raise FatalURLFetchingError(
            f"refused to load '{_shown(url, self.assets_dir)}': the PDF may not load anything from the network or other files"
        )


def _shown(url: str, assets_dir: Path) -> str:
    """A URL for a message, without this machine's folders in it."""
    if url.startswith("file:"):
        path = unquote(urlparse(url).path)
        return path.replace(str(assets_dir.parent), "templates")
    return url[:200]


def write_pdf(print_html: str, theme: Theme, project_templates: Path, *, cache: dict[str, Any] | None = None) -> bytes:
    """Lay out the print HTML as a tagged PDF/UA-1 with fillable worksheet fields."""
    assets_dir = project_templates / "assets"
    fetcher = ThemeFetcher(theme, assets_dir)
    base_url = (project_templates / VIRTUAL_PAGE).resolve().as_uri()
    identifier = hashlib.sha256(print_html.encode()).hexdigest()[:32].encode()
    try:
        document = weasyprint.HTML(string=print_html, base_url=base_url, url_fetcher=fetcher)
        pdf = document.write_pdf(
            pdf_variant="pdf/ua-1",
            pdf_forms=True,
            pdf_identifier=identifier,
            uncompressed_pdf=False,
            cache=cache if cache is not None else {},
        )
    except FatalURLFetchingError as error:
        raise RefusedResource(str(error)) from None
    assert isinstance(pdf, bytes)
    return pdf
