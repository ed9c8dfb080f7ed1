"""The ``nonpro`` command as people run it: a separate process on the dev settings and a SQLite data directory."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from nonpro.accounts.services import DEMO_ACCOUNTS, DEMO_PASSWORD
from nonpro.cli import main

NONPRO = Path(sys.executable).with_name("nonpro")
SIGN_IN = re.compile(r"^  (?P<email>\S+@\S+)\s+(?P<password>\S+)\s+(?P<roles>\S.*)$", re.MULTILINE)
ROLES = {"Learner", "National official", "Expert", "Reviewer", "Committee analyst", "Administrator"}


@dataclass(frozen=True)
class Demo:
    data_dir: Path
    stdout: str

    @property
    def database(self) -> Path:
        return self.data_dir / "nonpro.sqlite3"


def nonpro(*args: str, data_dir: Path, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("NONPRO_")}
    env |= {"DJANGO_SETTINGS_MODULE": "nonpro.settings.dev", "NONPRO_DATA_DIR": str(data_dir), **extra_env}
    return subprocess.run(
        [str(NONPRO), *args], env=env, cwd=data_dir.parent, capture_output=True, text=True, timeout=300, check=False
    )


def read_only(database: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)


def table_names(reader: sqlite3.Connection) -> list[str]:
    rows = reader.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall()
    return [name for (name,) in rows]


def row_counts(database: Path) -> dict[str, int]:
    reader = read_only(database)
    try:
        return {
            table: reader.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608 - names from sqlite_master
            for table in table_names(reader)
        }
    finally:
        reader.close()


def every_row(database: Path) -> dict[str, list[tuple[object, ...]]]:
    """Each table's rows ordered by its primary key (rowid for a table without one).

    SQLite's planner statistics (``sqlite_stat*``, refreshed by every ``nonpro demo``) are not data.
    """
    reader = read_only(database)
    try:
        content = {}
        for table in table_names(reader):
            if table.startswith("sqlite_stat"):
                continue
            columns = reader.execute(f'PRAGMA table_info("{table}")').fetchall()
            primary_key = [f'"{column[1]}"' for column in sorted(columns, key=lambda column: column[5]) if column[5]]
            order_by = ", ".join(primary_key) or "rowid"
            content[table] = reader.execute(f'SELECT * FROM "{table}" ORDER BY {order_by}').fetchall()  # noqa: S608
        return content
    finally:
        reader.close()


def sign_ins(stdout: str) -> dict[str, tuple[str, str]]:
    return {match["email"]: (match["password"], match["roles"]) for match in SIGN_IN.finditer(stdout)}


def files(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    data_dir = tmp_path_factory.mktemp("demo") / "data"
    result = nonpro("demo", "--no-serve", "--data-dir", str(data_dir), data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return Demo(data_dir=data_dir, stdout=result.stdout)


@pytest.fixture(scope="module")
def demo_backup(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    upload = demo.data_dir / "media" / "uploads" / "report.pdf"
    upload.parent.mkdir(parents=True)
    upload.write_bytes(b"%PDF-1.7\n\x00\xff report\n")
    try:
        result = nonpro("backup", str(tmp_path_factory.mktemp("backups")), data_dir=demo.data_dir)
    finally:
        upload.unlink()
        upload.parent.rmdir()
    assert result.returncode == 0, result.stderr
    archive = Path(result.stdout.strip())
    assert archive.is_file()
    return archive


def test_demo_creates_a_sqlite_database_in_wal_mode_with_the_tables(demo: Demo) -> None:
    assert demo.database.is_file()
    reader = read_only(demo.database)
    try:
        assert reader.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        reader.close()
    counts = row_counts(demo.database)
    assert {"django_migrations", "core_country", "core_countrytranslation", "accounts_user"} <= counts.keys()
    assert counts["core_country"] == 195
    assert counts["accounts_user"] == len(DEMO_ACCOUNTS) == 7
    assert f"Data directory: {demo.data_dir}" in demo.stdout


def test_demo_prints_a_sign_in_with_the_password_for_each_of_the_six_accounts(demo: Demo) -> None:
    printed = sign_ins(demo.stdout)

    assert set(printed) == {account.email for account in DEMO_ACCOUNTS}
    assert {password for password, _roles in printed.values()} == {DEMO_PASSWORD}
    roles = {role.strip() for _password, listed in printed.values() for role in listed.split(",")}
    assert {re.sub(r" of [A-Z]{2}$", "", role) for role in roles} == ROLES
    assert printed["official.kz@demo.nonpro.test"][1] == "National official of KZ"


def test_printed_sign_ins_authenticate_and_a_wrong_password_does_not(demo: Demo) -> None:
    attempts = [(email, password) for email, (password, _roles) in sign_ins(demo.stdout).items()]
    attempts.append(("admin@demo.nonpro.test", "not-the-password"))
    code = (
        "from django.contrib.auth import authenticate\n"
        f"for email, password in {attempts!r}:\n"
        "    user = authenticate(email=email, password=password)\n"
        "    print('signed-in' if user is not None and user.email == email else 'refused', email)\n"
    )

    result = nonpro("manage", "shell", "--no-imports", "-c", code, data_dir=demo.data_dir)

    assert result.returncode == 0, result.stderr
    outcomes = re.findall(r"^(signed-in|refused) (\S+)$", result.stdout, re.MULTILINE)
    assert outcomes == [("signed-in", account.email) for account in DEMO_ACCOUNTS] + [
        ("refused", "admin@demo.nonpro.test")
    ]


def test_running_demo_a_second_time_changes_nothing(demo: Demo) -> None:
    before = every_row(demo.database)

    result = nonpro("demo", "--no-serve", "--data-dir", str(demo.data_dir), data_dir=demo.data_dir)

    assert result.returncode == 0, result.stderr
    assert "States: 0 added, 0 updated, 195 unchanged." in result.stdout
    assert sign_ins(result.stdout) == sign_ins(demo.stdout)
    assert every_row(demo.database) == before


def test_demo_refuses_a_database_other_than_sqlite(tmp_path: Path) -> None:
    url = "postgres://nobody@127.0.0.1:1/never_touched"

    result = nonpro("demo", "--no-serve", "--data-dir", str(tmp_path), data_dir=tmp_path, NONPRO_DATABASE_URL=url)

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "nonpro demo: the demo runs on SQLite only, but the database is django.db.backends.postgresql. "
        "Unset NONPRO_DATABASE_URL.\n"
    )


def test_backup_then_restore_into_an_empty_data_dir_round_trips(demo: Demo, demo_backup: Path, tmp_path: Path) -> None:
    second = tmp_path / "second"

    result = nonpro("restore", str(demo_backup), data_dir=second)

    assert result.returncode == 0, result.stderr
    created = demo_backup.name.removeprefix("nonpro-backup-").removesuffix(".tar.gz")
    assert result.stdout == (
        f"Restored the sqlite backup of {created} into {second / 'nonpro.sqlite3'} "
        f"and 1 media file into {second / 'media'}.\n"
    )
    assert every_row(second / "nonpro.sqlite3") == every_row(demo.database)
    assert files(second / "media") == {"uploads/report.pdf": b"%PDF-1.7\n\x00\xff report\n"}
    migrated = nonpro("manage", "migrate", "--check", data_dir=second)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr


def test_restore_into_a_data_dir_that_is_not_empty_exits_1_and_changes_nothing(demo: Demo, demo_backup: Path) -> None:
    before = every_row(demo.database)

    result = nonpro("restore", str(demo_backup), data_dir=demo.data_dir)

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"nonpro restore: The SQLite database {demo.database} is not empty; restore needs an empty one.\n"
    )
    assert every_row(demo.database) == before


def test_restore_of_a_missing_file_exits_1(tmp_path: Path) -> None:
    result = nonpro("restore", str(tmp_path / "nowhere.tar.gz"), data_dir=tmp_path / "data")

    assert result.returncode == 1
    assert result.stderr == f"nonpro restore: {tmp_path / 'nowhere.tar.gz'} is not a file.\n"
    assert not (tmp_path / "data" / "nonpro.sqlite3").exists()


def test_backup_without_a_database_exits_1(tmp_path: Path) -> None:
    result = nonpro("backup", str(tmp_path / "backups"), data_dir=tmp_path / "data")

    assert result.returncode == 1
    assert result.stderr == (
        f"nonpro backup: The SQLite database {tmp_path / 'data' / 'nonpro.sqlite3'} does not exist.\n"
    )
    assert not (tmp_path / "backups").exists()


def test_manage_runs_django_system_checks(demo: Demo) -> None:
    result = nonpro("manage", "check", data_dir=demo.data_dir)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])

    assert exit_info.value.code == 0
    listed = capsys.readouterr().out
    for command in ("demo", "serve", "worker", "manage", "backup", "restore"):
        assert re.search(rf"^    {command} +\S", listed, re.MULTILINE), command
