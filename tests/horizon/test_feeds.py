"""Feed URLs: off by default; when an operator lists hosts, analysts import from them (a loopback server here)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from nonpro.horizon import services
from nonpro.horizon.importing import import_process
from nonpro.horizon.models import ImportJob, ImportKind, ImportStatus, ScreeningProject
from tests.horizon.conftest import PUBMED, People

pytestmark = pytest.mark.django_db


class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}

    def do_GET(self) -> None:
        status, headers, body = self.routes.get(self.path, (404, {}, b"not found"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def feed_server(settings: Any) -> Iterator[str]:
    """A literature feed on 127.0.0.1, listed as the only feed host; yields its base address."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    _Handler.routes = {
        "/pubmed.xml": (200, {"Content-Type": "text/xml"}, PUBMED.read_bytes()),
        "/empty": (200, {}, b""),
        "/elsewhere": (302, {"Location": "http://localhost:9/pubmed.xml"}, b""),
        "/moved": (302, {"Location": f"{base}/pubmed.xml"}, b""),
    }
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.HORIZON_FEED_HOSTS = ["127.0.0.1"]
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()


def test_a_feed_is_fetched_once_and_imported_like_an_upload(
    project: ScreeningProject, people: People, feed_server: str
) -> None:
    job = services.import_feed(project=project, by=people.analyst, url=f"{feed_server}/pubmed.xml", enqueue=False)
    assert (job.kind, job.status, job.size) == (ImportKind.FEED, ImportStatus.QUEUED, 0)

    job = import_process(job.pk)

    assert job.status == ImportStatus.FINISHED
    assert job.records_read == 10
    assert job.size == PUBMED.stat().st_size
    assert Path(job.path).read_bytes() == PUBMED.read_bytes()
    assert project.candidates.filter(pmid__gt="").count() == 10


def test_a_redirect_within_the_listed_hosts_is_followed(
    project: ScreeningProject, people: People, feed_server: str
) -> None:
    job = services.import_feed(project=project, by=people.analyst, url=f"{feed_server}/moved", enqueue=False)

    assert import_process(job.pk).records_read == 10


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/elsewhere", "redirected to an address that is not allowed"),
        ("/missing", "HTTP Error 404"),
        ("/empty", "answered with nothing"),
    ],
)
def test_a_feed_that_cannot_be_fetched_fails_with_its_reason_and_can_be_resumed(
    project: ScreeningProject, people: People, feed_server: str, path: str, reason: str
) -> None:
    job = services.import_feed(project=project, by=people.analyst, url=f"{feed_server}{path}", enqueue=False)

    job = import_process(job.pk)

    assert job.status == ImportStatus.FAILED
    assert reason in job.failure
    assert not Path(job.path).exists()
    assert not project.candidates.exists()
    resumed = services.import_resume(job=job, by=people.analyst)
    assert resumed.status == ImportStatus.QUEUED


def test_a_feed_larger_than_the_upload_limit_is_refused(
    project: ScreeningProject, people: People, feed_server: str, settings: Any
) -> None:
    settings.HORIZON_UPLOAD_MAX_BYTES = 1000
    job = services.import_feed(project=project, by=people.analyst, url=f"{feed_server}/pubmed.xml", enqueue=False)

    job = import_process(job.pk)

    assert job.status == ImportStatus.FAILED
    assert "larger than" in job.failure
    assert not Path(job.path).exists()
    assert not list(Path(job.path).parent.glob("*.part"))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://localhost/pubmed.xml", "these hosts only"),
        ("http://10.0.0.1/pubmed.xml", "these hosts only"),
        ("ftp://127.0.0.1/pubmed.xml", "http or https"),
        ("file:///etc/passwd", "http or https"),
        ("http://user:secret@127.0.0.1/pubmed.xml", "user name or password"),
    ],
)
def test_addresses_off_the_listed_hosts_are_refused_before_anything_is_queued(
    project: ScreeningProject, people: People, feed_server: str, url: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        services.import_feed(project=project, by=people.analyst, url=url, enqueue=False)
    assert not ImportJob.objects.exists()


def test_feeds_are_off_unless_hosts_are_listed(project: ScreeningProject, people: People, settings: Any) -> None:
    settings.HORIZON_FEED_HOSTS = []
    with pytest.raises(ValidationError, match="switched off"):
        services.import_feed(project=project, by=people.analyst, url="https://api.crossref.org/works", enqueue=False)
    client = Client()
    client.force_login(people.analyst)
    page = client.get(reverse("horizon:project", kwargs={"project_id": project.pk})).content.decode()
    assert reverse("horizon:feed_import", kwargs={"project_id": project.pk}) not in page
    refused = client.post(reverse("horizon:feed_import", kwargs={"project_id": project.pk}), {"feed-url": "x"})
    assert refused.status_code == 403


def test_only_analysts_import_feeds(project: ScreeningProject, people: People, feed_server: str) -> None:
    with pytest.raises(PermissionDenied):
        services.import_feed(project=project, by=people.reviewer, url=f"{feed_server}/pubmed.xml", enqueue=False)
    client = Client()
    client.force_login(people.reviewer)
    page = client.get(reverse("horizon:project", kwargs={"project_id": project.pk})).content.decode()
    assert reverse("horizon:feed_import", kwargs={"project_id": project.pk}) not in page


def test_the_feed_form_queues_an_import_and_reports_a_refused_address(
    project: ScreeningProject, people: People, feed_server: str
) -> None:
    client = Client()
    client.force_login(people.analyst)
    target = reverse("horizon:feed_import", kwargs={"project_id": project.pk})
    assert target in client.get(reverse("horizon:project", kwargs={"project_id": project.pk})).content.decode()

    refused = client.post(target, {"feed-url": "http://localhost/pubmed.xml", "feed-format": ""})
    assert refused.status_code == 400
    assert "these hosts only" in refused.content.decode()
    assert not ImportJob.objects.exists()

    accepted = client.post(target, {"feed-url": f"{feed_server}/pubmed.xml", "feed-format": "pubmed-xml"})
    job = ImportJob.objects.get()
    assert accepted.status_code == 302
    assert accepted["Location"] == job.get_absolute_url()
    assert (job.kind, job.format, job.url) == (ImportKind.FEED, "pubmed-xml", f"{feed_server}/pubmed.xml")
