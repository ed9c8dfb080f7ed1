"""Feed URLs: fetch a literature export from the network once, for deployments that have internet.

Off by default — the platform runs air-gapped, and nothing here is needed by the tests of other
parts. An operator lists the hosts analysts may fetch from (``NONPRO_HORIZON_FEED_HOSTS``, for
example ``eutils.ncbi.nlm.nih.gov,export.arxiv.org,api.crossref.org,api.openalex.org``); an address
on any other host, with credentials in it, or with a scheme other than http(s) is refused, and so
is a redirect that leaves the listed hosts. The import task downloads the answer into the upload
folder (at most ``NONPRO_HORIZON_UPLOAD_MAX_BYTES``, ``NONPRO_HORIZON_FEED_TIMEOUT`` seconds per
read) and imports that file like an upload, so a cancelled or failed import resumes on the same
bytes.
"""

from __future__ import annotations

import os
import urllib.request
from http.client import HTTPMessage
from pathlib import Path
from typing import IO, Any, override
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CHUNK = 1 << 16


class FeedError(ValueError):
    """The feed could not be fetched: the message says why."""


def allowed_hosts() -> set[str]:
    return {host.strip().lower() for host in settings.HORIZON_FEED_HOSTS if host.strip()}


def feeds_enabled() -> bool:
    return bool(allowed_hosts())


def check_url(url: str) -> str:
    """Return ``url`` if analysts may import from it, else raise ``ValidationError`` saying why."""
    if not feeds_enabled():
        raise ValidationError({"url": [_("Imports from feed URLs are switched off on this server.")]})
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValidationError({"url": [_("Give an http or https address.")]})
    if parts.username or parts.password:
        raise ValidationError({"url": [_("The address must not contain a user name or password.")]})
    if parts.hostname.lower() not in allowed_hosts():
        hosts = ", ".join(sorted(allowed_hosts()))
        raise ValidationError({"url": [_("Feeds may come from these hosts only: %(hosts)s.") % {"hosts": hosts}]})
    return url.strip()


class _SameHosts(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to an address that ``check_url`` accepts."""

    @override
    def redirect_request(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: HTTPMessage, newurl: str
    ) -> urllib.request.Request | None:
        try:
            check_url(newurl)
        except ValidationError:
            raise FeedError(f"redirected to an address that is not allowed: {newurl}") from None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(url: str, path: Path) -> int:
    """Download ``url`` to ``path`` (written whole or not at all); return its size in bytes."""
    try:
        check_url(url)
    except ValidationError as error:
        raise FeedError(" ".join(error.messages)) from None
    limit = int(settings.HORIZON_UPLOAD_MAX_BYTES)
    opener = urllib.request.build_opener(_SameHosts)
    request = urllib.request.Request(url, headers={"User-Agent": "Nonpro horizon scanning"})  # noqa: S310 - checked
    partial = path.with_name(path.name + ".part")
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    try:
        response: Any
        with opener.open(request, timeout=int(settings.HORIZON_FEED_TIMEOUT)) as response, partial.open("wb") as out:
            while chunk := response.read(CHUNK):
                written += len(chunk)
                if written > limit:
                    raise FeedError(f"the feed is larger than {limit // 1_000_000} MB")
                out.write(chunk)
        os.replace(partial, path)
    except OSError as error:  # URLError, HTTPError and timeouts are OSErrors
        raise FeedError(f"the feed could not be fetched: {error}") from error
    finally:
        partial.unlink(missing_ok=True)
    if not written:
        path.unlink(missing_ok=True)
        raise FeedError("the feed answered with nothing")
    return written
