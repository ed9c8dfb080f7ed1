"""Background tasks run on the database queue by default and on RQ + Redis when configured."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.tasks import TaskResultStatus

from nonpro.cli import main
from nonpro.core.models import Country
from nonpro.core.services import countries_load
from nonpro.core.tasks import reference_data_refresh

NONPRO = str(Path(sys.executable).parent / "nonpro")


@pytest.mark.django_db(transaction=True)
def test_database_queue_runs_task_in_worker() -> None:
    Country.objects.all().delete()
    result = reference_data_refresh.enqueue()
    assert result.status == TaskResultStatus.READY
    assert Country.objects.count() == 0, "enqueueing must not run the task"

    call_command("db_worker", "--batch", "--no-reload", verbosity=0)

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == {"created": 195, "updated": 0, "unchanged": 0}
    assert Country.objects.count() == 195


@pytest.mark.django_db(transaction=True)
def test_nonpro_worker_command_drains_the_queue() -> None:
    countries_load()
    Country.objects.filter(alpha2__in=["KZ", "FR"]).delete()
    result = reference_data_refresh.enqueue()
    assert main(["worker", "--batch"]) == 0
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value["created"] == 2
    assert Country.objects.filter(alpha2__in=["KZ", "FR"]).count() == 2


def test_rq_backend_runs_the_same_task_with_redis(tmp_path: Path) -> None:
    """Redis at 127.0.0.1:6379 (started by .ci/run) replaces the database queue through one setting."""
    database = random.randint(1, 15)  # noqa: S311 - picks a scratch Redis database, not a secret
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "nonpro.settings.dev",
        "NONPRO_DATA_DIR": str(tmp_path),
        "NONPRO_TASKS_BACKEND": "rq",
        "NONPRO_REDIS_URL": f"redis://127.0.0.1:6379/{database}",
    }
    env.pop("NONPRO_DATABASE_URL", None)

    def nonpro(*args: str) -> str:
        done = subprocess.run([NONPRO, *args], env=env, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    nonpro("manage", "migrate", "--verbosity", "0")
    enqueue = (
        "import django_rq; django_rq.get_connection('default').flushdb();"
        "from nonpro.core.tasks import reference_data_refresh as t; print(t.enqueue().id)"
    )
    task_id = nonpro("manage", "shell", "--no-imports", "-c", enqueue).strip()
    assert task_id
    nonpro("worker", "--burst")
    check = (
        "from nonpro.core.tasks import reference_data_refresh as t;"
        f"r = t.get_result({task_id!r}); print(r.status, r.return_value['unchanged'])"
    )
    assert nonpro("manage", "shell", "--no-imports", "-c", check).strip() == "SUCCESSFUL 195"
