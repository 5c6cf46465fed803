"""Fetching RSSAC002 data over HTTPS: one file or a tarball, to a temporary file, bounded
in size, certificates verified (against DNSCC_RSSAC002_CA_FILE or the system's), never
over plain HTTP, not even after a redirect, and only to addresses the egress rule allows
(dnscc.core.egress, DNSCC_PROBE_NETWORKS; decision 0008). The fetching itself is
core.httpsget's, shared with the root zone import."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

from dnscc.core import httpsget


def download(url: str, directory: Path, *, ca_file: str | None = None) -> Path:
    """Download `url` into `directory`; the local path. InputError for a URL that is not
    HTTPS or an answer over the size bound; UnavailableError when the server fails."""
    hint = "RSSAC002 data travels over HTTPS, or give a file or directory"
    httpsget.require_https(url, hint=hint)
    name = Path(urlsplit(url).path).name or "download"
    return httpsget.download(
        url,
        directory / name,
        limit=int(settings.RSSAC002_MAX_DOWNLOAD_BYTES),
        timeout=settings.RSSAC002_FETCH_TIMEOUT,
        ca_file=ca_file or settings.RSSAC002_CA_FILE or None,
        limit_hint="raise DNSCC_RSSAC002_MAX_DOWNLOAD_BYTES if this is expected",
        scheme_hint=hint,
    )
