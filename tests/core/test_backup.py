"""Backups of the live database and uploads, and restores into an empty database, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import sqlite3
import stat
import tarfile
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection
from psycopg import sql
from pytest_django import Settings

from nonpro.accounts.models import User
from nonpro.accounts.services import DEMO_ACCOUNTS, demo_accounts_ensure
from nonpro.core.backup import BackupError, Database, backup, restore
from nonpro.core.models import Country
from nonpro.core.services import countries_load

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump sees committed data only

MEDIA_FILES = {
    "uploads/2026/report.pdf": b"%PDF-1.7\n\x00\x01\xfe\xff binary body\n%%EOF\n",
    "uploads/notes/r\u00e9sum\u00e9 \u0645\u0644\u0627\u062d\u0638\u0627\u062a.txt": "prolif\u00e9ration\n".encode(),
}
Snapshot = tuple[dict[str, list[tuple[Any, ...]]] | None, dict[str, bytes] | None]


def source_database() -> Database:
    return Database.from_settings(connection.settings_dict)


def take_backup(directory: Path, media_root: Path) -> Path:
    connection.ensure_connection()
    live = connection.connection if connection.vendor == "sqlite" else None
    return backup(directory=directory, database=source_database(), media_root=media_root, sqlite_connection=live)


def libpq_params(dbname: str) -> dict[str, Any]:
    config = connection.settings_dict
    params = {
        "dbname": dbname,
        "user": config["USER"],
        "password": config["PASSWORD"],
        "host": config["HOST"],
        "port": config["PORT"],
    }
    return {key: value for key, value in params.items() if value}


def open_reader(database: Database) -> Any:
    """A plain DB-API connection (no Django type conversions), the same kind for source and copy."""
    if database.engine == "sqlite":
        return sqlite3.connect(database.name, uri=database.name.startswith("file:"))
    return psycopg.connect(**libpq_params(database.name))


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def virtual_key(table: str) -> list[str]:
    """Return ``["rowid"]`` for an SQLite virtual table (the search index, FTS5), which has no primary key."""
    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
        row = cursor.fetchone()
    return ["rowid"] if row and str(row[0]).upper().startswith("CREATE VIRTUAL TABLE") else []


def ordered_rows(reader: Any, table: str, order_by: list[str]) -> list[tuple[Any, ...]]:
    query = f"SELECT * FROM {quote(table)} ORDER BY {', '.join(quote(column) for column in order_by)}"  # noqa: S608 - names from introspection
    cursor = reader.cursor()
    cursor.execute(query)
    return [tuple(row) for row in cursor.fetchall()]


def all_rows(reader: Any, table: str) -> list[tuple[Any, ...]]:
    cursor = reader.cursor()
    cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 - a name from the catalogue
    return sorted((tuple(row) for row in cursor.fetchall()), key=repr)


def relation_names(reader: Any, engine: str) -> set[str]:
    cursor = reader.cursor()
    if engine == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name <> 'sqlite_sequence'")
    else:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
    return {row[0] for row in cursor.fetchall()}


def schema_and_counters(reader: Any, engine: str) -> list[tuple[Any, ...]]:
    """The schema (SQLite) or sequence positions (PostgreSQL): what makes the next insert behave the same."""
    cursor = reader.cursor()
    if engine == "sqlite":
        cursor.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
        schema = [tuple(row) for row in cursor.fetchall()]
        cursor.execute("SELECT name, seq FROM sqlite_sequence ORDER BY name")
        return schema + [tuple(row) for row in cursor.fetchall()]
    cursor.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1")
    return [tuple(row) for row in cursor.fetchall()]


def files(root: Path) -> dict[str, bytes] | None:
    if not root.exists():
        return None
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def snapshot(database: Database, media_root: Path) -> Snapshot:
    """Every relation with its rows (None if the database file does not exist) and every media file."""
    if database.engine == "sqlite":
        if not Path(database.name).exists():
            return None, files(media_root)
        reader: Any = sqlite3.connect(f"{Path(database.name).as_uri()}?mode=ro", uri=True)
    else:
        reader = open_reader(database)
    try:
        tables = {name: all_rows(reader, name) for name in sorted(relation_names(reader, database.engine))}
    finally:
        reader.close()
    return tables, files(media_root)


@pytest.fixture
def media_root(tmp_path: Path, settings: Settings) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    root = Path(settings.MEDIA_ROOT)
    for name, content in MEDIA_FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[Database]:
    """A new, empty database of the kind under test: a SQLite file not yet created, or a fresh PostgreSQL one."""
    if connection.vendor == "sqlite":
        yield Database(engine="sqlite", name=str(tmp_path / "restored" / "nonpro.sqlite3"))
        return
    name = f"nonpro_restore_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**libpq_params("postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield replace(source_database(), name=name)
    finally:
        with psycopg.connect(**libpq_params("postgres"), autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def archive(tmp_path: Path, media_root: Path) -> Path:
    countries_load()
    return take_backup(tmp_path / "backups", media_root)


@pytest.fixture
def restore_media(tmp_path: Path) -> Path:
    return tmp_path / "restored-media"


def write_archive(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, content in members.items():
            member = tarfile.TarInfo(name)
            member.size = len(content)
            tar.addfile(member, io.BytesIO(content))
    return path


def manifest_bytes(engine: str) -> bytes:
    dump = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}[engine]
    manifest = {"format": 1, "created": "20260101T000000Z", "engine": engine, "database": dump, "media_files": 0}
    return json.dumps(manifest).encode()


def test_round_trip_restores_every_table_row_by_row_and_every_media_file(
    tmp_path: Path, media_root: Path, empty_database: Database, restore_media: Path
) -> None:
    countries_load()
    demo_accounts_ensure()
    assert Country.objects.count() == 195
    assert User.objects.count() == len(DEMO_ACCOUNTS)

    archive = take_backup(tmp_path / "backups", media_root)
    assert archive.name.startswith("nonpro-backup-")
    assert archive.name.endswith(".tar.gz")
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert [path.name for path in archive.parent.iterdir()] == [archive.name]  # no work or partial files left

    manifest = restore(archive=archive, database=empty_database, media_root=restore_media)

    assert manifest["engine"] == source_database().engine
    assert manifest["media_files"] == len(MEDIA_FILES)
    tables = connection.introspection.table_names()
    assert "core_country" in tables
    assert "accounts_user" in tables
    source, restored = open_reader(source_database()), open_reader(empty_database)
    try:
        assert relation_names(restored, empty_database.engine) == set(tables)
        with connection.cursor() as cursor:
            for table in tables:
                order_by = connection.introspection.get_primary_key_columns(cursor, table) or virtual_key(table)
                assert order_by, f"{table} has no primary key to order by"
                source_rows = ordered_rows(source, table, order_by)
                assert ordered_rows(restored, table, order_by) == source_rows, table
        assert schema_and_counters(restored, empty_database.engine) == schema_and_counters(
            source, empty_database.engine
        )
    finally:
        source.close()
        restored.close()
    assert files(restore_media) == MEDIA_FILES
    assert files(restore_media) == files(media_root)
    assert [path.name for path in restore_media.iterdir() if path.name.startswith(".")] == []


def test_backup_of_a_sqlite_file_reads_it_while_it_is_open_in_wal_mode(tmp_path: Path, media_root: Path) -> None:
    path = tmp_path / "live dir?#%" / "nonpro.sqlite3"
    path.parent.mkdir()
    live = sqlite3.connect(path)
    live.execute("PRAGMA journal_mode=WAL")
    live.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
    live.execute("INSERT INTO note (body) VALUES ('committed')")
    live.commit()
    live.execute("INSERT INTO note (body) VALUES ('uncommitted')")  # an open write transaction
    try:
        archive = backup(directory=tmp_path / "backups", database=Database("sqlite", str(path)), media_root=media_root)
    finally:
        live.close()
    target = Database("sqlite", str(tmp_path / "restored.sqlite3"))

    restore(archive=archive, database=target, media_root=tmp_path / "restored-media")

    copy = sqlite3.connect(target.name)
    try:
        assert copy.execute("SELECT id, body FROM note").fetchall() == [(1, "committed")]
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        copy.close()


def test_a_symlinked_media_directory_is_backed_up_as_its_files(
    tmp_path: Path, media_root: Path, empty_database: Database, restore_media: Path
) -> None:
    linked = tmp_path / "mounted-media"
    linked.symlink_to(media_root, target_is_directory=True)
    archive = take_backup(tmp_path / "backups", linked)

    manifest = restore(archive=archive, database=empty_database, media_root=restore_media)

    assert manifest["media_files"] == len(MEDIA_FILES)
    assert files(restore_media) == MEDIA_FILES
    assert not restore_media.is_symlink()


def test_backup_refuses_to_write_into_the_media_directory(tmp_path: Path, media_root: Path) -> None:
    before = files(media_root)

    with pytest.raises(BackupError, match="outside the media directory"):
        take_backup(media_root / "backups", media_root)

    assert files(media_root) == before


def test_backup_refuses_a_missing_sqlite_file(tmp_path: Path, media_root: Path) -> None:
    missing = Database("sqlite", str(tmp_path / "missing.sqlite3"))

    with pytest.raises(BackupError, match=r"missing\.sqlite3 does not exist"):
        backup(directory=tmp_path / "backups", database=missing, media_root=media_root)

    assert not Path(missing.name).exists()
    assert not (tmp_path / "backups").exists()


def test_restore_refuses_a_database_that_is_not_empty(
    archive: Path, empty_database: Database, restore_media: Path
) -> None:
    if empty_database.engine == "sqlite":
        Path(empty_database.name).parent.mkdir(parents=True)
        with sqlite3.connect(empty_database.name) as writer:
            writer.execute("CREATE TABLE kept (id INTEGER PRIMARY KEY, note TEXT)")
            writer.execute("INSERT INTO kept (note) VALUES ('already here')")
        writer.close()
    else:
        with psycopg.connect(**libpq_params(empty_database.name)) as writer:
            writer.execute("CREATE TABLE kept (id serial PRIMARY KEY, note text)")
            writer.execute("INSERT INTO kept (note) VALUES ('already here')")
    before = snapshot(empty_database, restore_media)

    with pytest.raises(BackupError, match=f"database {empty_database.name} is not empty; restore needs an empty one"):
        restore(archive=archive, database=empty_database, media_root=restore_media)

    assert snapshot(empty_database, restore_media) == before
    assert before[0] == {"kept": [(1, "already here")]}


def test_restore_refuses_a_media_directory_that_is_not_empty(
    archive: Path, empty_database: Database, restore_media: Path
) -> None:
    (restore_media / "avatars").mkdir(parents=True)
    (restore_media / "avatars" / "kept.png").write_bytes(b"\x89PNG kept")
    before = snapshot(empty_database, restore_media)

    with pytest.raises(BackupError, match=r"media directory .*restored-media is not empty; restore needs an empty one"):
        restore(archive=archive, database=empty_database, media_root=restore_media)

    assert snapshot(empty_database, restore_media) == before
    assert before[1] == {"avatars/kept.png": b"\x89PNG kept"}


def test_restore_refuses_a_file_that_is_not_a_tar_gz(
    tmp_path: Path, empty_database: Database, restore_media: Path
) -> None:
    before = snapshot(empty_database, restore_media)
    not_an_archive = tmp_path / "nonpro-backup-20260101T000000Z.tar.gz"
    not_an_archive.write_text("id,name\n1,not a backup\n")

    with pytest.raises(BackupError, match=r"is not a readable backup archive"):
        restore(archive=not_an_archive, database=empty_database, media_root=restore_media)

    assert snapshot(empty_database, restore_media) == before


def test_restore_refuses_a_truncated_archive(archive: Path, empty_database: Database, restore_media: Path) -> None:
    archive.write_bytes(archive.read_bytes()[:200])
    before = snapshot(empty_database, restore_media)

    with pytest.raises(BackupError, match=r"not a readable backup archive|cannot be unpacked safely"):
        restore(archive=archive, database=empty_database, media_root=restore_media)

    assert snapshot(empty_database, restore_media) == before


def test_restore_refuses_a_tar_without_manifest(tmp_path: Path, empty_database: Database, restore_media: Path) -> None:
    archive = write_archive(tmp_path / "plain.tar.gz", {"database.sqlite3": b"", "media/a.txt": b"a"})
    before = snapshot(empty_database, restore_media)

    with pytest.raises(BackupError, match=r"The archive has no manifest\.json; it is not a Nonpro backup\."):
        restore(archive=archive, database=empty_database, media_root=restore_media)

    assert snapshot(empty_database, restore_media) == before


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (b"{not json", "is not valid JSON"),
        (b"[1]", "is not a JSON object"),
        (b'{"format": 99}', "Backup format 99 is not supported"),
        (
            b'{"format": 1, "engine": "sqlite", "database": "../../etc/passwd", "media_files": 0}',
            "names the database dump '../../etc/passwd'",
        ),
    ],
)
def test_restore_refuses_a_manifest_it_cannot_trust(
    tmp_path: Path, empty_database: Database, restore_media: Path, manifest: bytes, message: str
) -> None:
    archive = write_archive(tmp_path / "odd.tar.gz", {"manifest.json": manifest})
    before = snapshot(empty_database, restore_media)

    with pytest.raises(BackupError, match=message):
        restore(archive=archive, database=empty_database, media_root=restore_media)

    assert snapshot(empty_database, restore_media) == before


def test_restore_refuses_a_member_that_climbs_out_with_dot_dot(
    tmp_path: Path, empty_database: Database, restore_media: Path
) -> None:
    members = {"manifest.json": manifest_bytes(empty_database.engine), "../evil": b"escaped"}
    archive = write_archive(tmp_path / "evil.tar.gz", members)
    before = snapshot(empty_database, restore_media)

    with pytest.raises(BackupError, match=r"cannot be unpacked safely: .*evil"):
        restore(archive=archive, database=empty_database, media_root=restore_media)

    assert snapshot(empty_database, restore_media) == before
    assert [path for path in tmp_path.rglob("evil") if path.is_file()] == []
    assert not (Path(tempfile.gettempdir()) / "evil").exists()


def test_restore_refuses_a_backup_of_the_other_engine(archive: Path, tmp_path: Path, restore_media: Path) -> None:
    engine = source_database().engine
    if engine == "sqlite":
        other = Database("postgresql", "nonpro_never_created", host="127.0.0.1", port="1")
    else:
        other = Database("sqlite", str(tmp_path / "never-created.sqlite3"))

    with pytest.raises(
        BackupError,
        match=f"The backup holds a {engine} database; the target is {other.engine}. "
        "Restore into the same kind of database.",
    ):
        restore(archive=archive, database=other, media_root=restore_media)

    assert not restore_media.exists()
    assert not (tmp_path / "never-created.sqlite3").exists()


def test_restore_refuses_an_archive_missing_media_its_manifest_lists(
    tmp_path: Path, empty_database: Database, restore_media: Path
) -> None:
    manifest = json.loads(manifest_bytes(empty_database.engine)) | {"media_files": 2}
    dump = manifest["database"]
    archive = write_archive(
        tmp_path / "short.tar.gz", {"manifest.json": json.dumps(manifest).encode(), dump: b"", "media/a.txt": b"a"}
    )
    before = snapshot(empty_database, restore_media)

    with pytest.raises(BackupError, match="holds 1 media files; its manifest lists 2"):
        restore(archive=archive, database=empty_database, media_root=restore_media)

    assert snapshot(empty_database, restore_media) == before
