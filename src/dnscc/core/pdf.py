"""HTML in, PDF bytes out: the one PDF renderer every report of the center uses.

WeasyPrint (PyPI) lays the page out in process; it needs Pango from Debian
(`libpango-1.0-0`, `libpangoft2-1.0-0`) and takes its fonts from fontconfig (DejaVu, Debian
`fonts-dejavu-core`). Why WeasyPrint and not the browser's print-to-PDF is measured in
docs/decisions/0007-pdf-renderer.md.

A report must render on a machine without a network, and a hostile string in a report (an
organisation's name, a comment) must not make the renderer fetch anything: every URL the
document names is refused except inline `data:` URLs. Images and plots are therefore
inline SVG or `data:` URLs; style sheets are inline `<style>`.

    >>> pdf = html_to_pdf("<h1>Hello</h1>")
    >>> pdf[:5]
    b'%PDF-'
"""

from __future__ import annotations

from typing import Any

from dnscc.core.errors import InputError, Location, UnavailableError

__all__ = ["html_to_pdf", "offline_fetcher"]


def offline_fetcher() -> Any:
    """WeasyPrint's fetcher allowed only the `data:` scheme: no file, no network."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=1)


def html_to_pdf(html: str, *, title: str = "") -> bytes:
    """The PDF of a self-contained HTML document (inline CSS, inline SVG, `data:` images).

    `title` becomes the PDF's document title when the HTML has no <title>. Raises
    InputError for text that is not a string or holds a NUL character, and
    UnavailableError when WeasyPrint or Pango is missing (with what to install).
    """
    if not isinstance(html, str):
        raise InputError("the report must be HTML text", location=Location(field="html"))
    if "\x00" in html:
        raise InputError("the report holds a NUL character", location=Location(field="html"))
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: Pango's shared library is missing
        raise UnavailableError(
            f"the PDF renderer is unavailable: {exc}",
            hint="install WeasyPrint (uv sync) and Pango (apt-get install libpango-1.0-0 "
            "libpangoft2-1.0-0 fonts-dejavu-core)",
        ) from None
    document = weasyprint.HTML(string=html, url_fetcher=offline_fetcher(), base_url=None)
    rendered = document.render()
    if title and not rendered.metadata.title:
        rendered.metadata.title = title
    data = rendered.write_pdf()
    assert isinstance(data, bytes)
    return data
