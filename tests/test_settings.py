"""Settings come from the environment, and production settings pass Django's deployment checks."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from nonpro.settings.base import database_from_url
from nonpro.settings.env import env_bool, env_int, env_list

NONPRO = str(Path(sys.executable).parent / "nonpro")


def run_nonpro(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("NONPRO_", "DJANGO_"))}
    clean.update({"NONPRO_DATA_DIR": str(tmp_path), **env})
    return subprocess.run([NONPRO, *args], env=clean, capture_output=True, text=True, timeout=120, check=False)


def test_production_settings_pass_deploy_check_without_warnings(tmp_path: Path) -> None:
    done = run_nonpro(
        tmp_path,
        "manage", "check", "--deploy", "--fail-level", "WARNING",
        DJANGO_SETTINGS_MODULE="nonpro.settings.production",
        NONPRO_SECRET_KEY=secrets.token_urlsafe(64),
        NONPRO_ALLOWED_HOSTS="nonpro.example.org",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "System check identified no issues" in done.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"NONPRO_ALLOWED_HOSTS": "nonpro.example.org"}, "Set the environment variable NONPRO_SECRET_KEY."),
        ({"NONPRO_SECRET_KEY": "short", "NONPRO_ALLOWED_HOSTS": "x.org"}, "at least 50 random characters"),
        ({"NONPRO_SECRET_KEY": secrets.token_urlsafe(64)}, "Set NONPRO_ALLOWED_HOSTS"),
    ],
)
def test_production_refuses_to_start_without_its_secrets(tmp_path: Path, env: dict[str, str], message: str) -> None:
    done = run_nonpro(tmp_path, "manage", "check", DJANGO_SETTINGS_MODULE="nonpro.settings.production", **env)
    assert done.returncode != 0
    assert message in done.stderr


def test_development_settings_are_the_cli_default(tmp_path: Path) -> None:
    done = run_nonpro(tmp_path, "manage", "diffsettings", "--output", "unified")
    assert done.returncode == 0, done.stderr
    assert "+ DEBUG = True" in done.stdout
    assert "nonpro.sqlite3" in done.stdout


def test_environment_values_are_parsed_strictly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NONPRO_FLAG", "yes")
    monkeypatch.setenv("NONPRO_NUMBER", "42")
    monkeypatch.setenv("NONPRO_HOSTS", "a.org, b.org,,")
    assert env_bool("NONPRO_FLAG") is True
    assert env_int("NONPRO_NUMBER", 1) == 42
    assert env_list("NONPRO_HOSTS", []) == ["a.org", "b.org"]
    monkeypatch.setenv("NONPRO_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="NONPRO_FLAG='maybe' is not a boolean"):
        env_bool("NONPRO_FLAG")
    monkeypatch.setenv("NONPRO_NUMBER", "many")
    with pytest.raises(ImproperlyConfigured, match="NONPRO_NUMBER='many' is not an integer"):
        env_int("NONPRO_NUMBER", 1)


def test_database_urls_for_sqlite_and_postgresql() -> None:
    sqlite = database_from_url("sqlite:////srv/nonpro/nonpro.sqlite3")
    assert sqlite["ENGINE"] == "django.db.backends.sqlite3"
    assert sqlite["NAME"] == "/srv/nonpro/nonpro.sqlite3"
    options = sqlite["OPTIONS"]
    assert isinstance(options, dict)
    assert "journal_mode=WAL" in options["init_command"]
    postgres = database_from_url("postgres://nonpro:secret@db.internal:5432/nonpro")
    assert postgres["ENGINE"] == "django.db.backends.postgresql"
    assert (postgres["HOST"], postgres["NAME"], postgres["USER"]) == ("db.internal", "nonpro", "nonpro")
    assert postgres["CONN_HEALTH_CHECKS"] is True
