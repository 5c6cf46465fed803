"""Fetching RSSAC002 data over HTTPS: one file or a tarball, to a temporary file, bounded
in size, certificates verified (against DNSCC_RSSAC002_CA_FILE or the system's), and never
over plain HTTP, not even after a redirect."""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from dnscc.core.errors import InputError, Location, UnavailableError

CHUNK = 1 << 20


class _HttpsOnly(urllib.request.HTTPRedirectHandler):
    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        if urlsplit(newurl).scheme != "https":
            raise InputError(
                f"redirected to {newurl[:200]}: only HTTPS is followed",
                location=Location(file=req.full_url),
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def download(url: str, directory: Path, *, ca_file: str | None = None) -> Path:
    """Download `url` into `directory`; the local path. InputError for a URL that is not
    HTTPS or an answer over the size bound; UnavailableError when the server fails."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise InputError(
            "only https:// URLs are fetched",
            location=Location(file=url[:200]),
            hint="RSSAC002 data travels over HTTPS, or give a file or directory",
        )
    limit = int(settings.RSSAC002_MAX_DOWNLOAD_BYTES)
    context = ssl.create_default_context(cafile=ca_file or settings.RSSAC002_CA_FILE or None)
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), _HttpsOnly())
    name = Path(parts.path).name or "download"
    target = directory / name
    try:
        with opener.open(url, timeout=settings.RSSAC002_FETCH_TIMEOUT) as answer:
            length = answer.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > limit:
                raise InputError(
                    f"the answer is {int(length):,} bytes, over the {limit:,}-byte bound",
                    location=Location(file=url[:200]),
                    hint="raise DNSCC_RSSAC002_MAX_DOWNLOAD_BYTES if this is expected",
                )
            size = 0
            with target.open("wb") as out:
                while chunk := answer.read(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise InputError(
                            f"the answer grew past the {limit:,}-byte bound",
                            location=Location(file=url[:200]),
                            hint="raise DNSCC_RSSAC002_MAX_DOWNLOAD_BYTES if this is expected",
                        )
                    out.write(chunk)
    except urllib.error.HTTPError as exc:
        raise UnavailableError(f"{url[:200]}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise UnavailableError(f"{url[:200]}: {exc.reason}") from None
    except (OSError, ssl.SSLError) as exc:
        raise UnavailableError(f"{url[:200]}: {exc}") from None
    return target
