"""Fixtures of the horizon tests: a project with its people, and imports run through the real services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from nonpro.horizon import services
from nonpro.horizon.importing import import_process
from nonpro.horizon.models import ImportJob, ScreeningProject
from tests.conftest import MakeUser

DATA = Path(__file__).resolve().parents[1] / "scanning" / "data"
FORMATS = DATA / "formats"
PUBMED = FORMATS / "pubmed-xml" / "asreview_pubmed.xml"
RIS = FORMATS / "ris" / "RIS_case02.ris"


class People:
    """An analyst, a reviewer who is a member of the project, and one who is not."""

    def __init__(self, make_user: MakeUser) -> None:
        self.analyst = make_user("analyst@example.test", ["committee_analyst"])
        self.reviewer = make_user("reviewer@example.test", ["expert", "reviewer"])
        self.second = make_user("second@example.test", ["expert", "reviewer"])
        self.outsider = make_user("outsider@example.test", ["expert", "reviewer"])
        self.expert = make_user("expert@example.test", ["expert"])


@pytest.fixture
def people(make_user: MakeUser) -> People:
    return People(make_user)


@pytest.fixture(autouse=True)
def _uploads(settings: Any, tmp_path: Path) -> None:
    settings.HORIZON_UPLOAD_DIR = tmp_path / "uploads"
    settings.HORIZON_SERVER_DIRS = [str(tmp_path / "server")]
    (tmp_path / "server").mkdir()


@pytest.fixture
def project(people: People) -> ScreeningProject:
    return services.project_create(
        by=people.analyst,
        name="Synthetic example: literature on export controls",
        members=[people.reviewer, people.second],
    )


def upload(project: ScreeningProject, by: Any, path: Path, *, name: str | None = None) -> ImportJob:
    """Upload ``path`` to ``project`` and run the import now (as the worker would)."""
    job = services.import_upload(
        project=project, by=by, name=name or path.name, chunks=[path.read_bytes()], enqueue=False
    )
    return import_process(job.pk)


def run_worker() -> None:
    """Run every queued background task, as ``nonpro worker`` does, then return."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
