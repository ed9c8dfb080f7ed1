"""Consistent backups of a live database plus uploaded files, and restores into an empty database.

SQLite is copied with its online backup API (readers and writers may go on meanwhile);
PostgreSQL with ``pg_dump --format=custom`` and restored with ``pg_restore``. Each backup
is one ``.tar.gz`` holding ``manifest.json``, the database dump and ``media/``.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
SQLITE_DUMP = "database.sqlite3"
POSTGRES_DUMP = "database.pgdump"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and nothing was changed."""


@dataclass(frozen=True)
class Database:
    """The parts of a Django ``DATABASES`` entry a backup needs."""

    engine: str
    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""

    @classmethod
    def from_settings(cls, config: dict[str, Any]) -> Database:
        engine = str(config["ENGINE"])
        if engine.endswith("sqlite3"):
            kind = "sqlite"
        elif engine.endswith("postgresql"):
            kind = "postgresql"
        else:
            raise BackupError(f"Cannot back up a database with engine {engine!r}.")
        return cls(
            engine=kind,
            name=str(config["NAME"]),
            user=str(config.get("USER") or ""),
            password=str(config.get("PASSWORD") or ""),
            host=str(config.get("HOST") or ""),
            port=str(config.get("PORT") or ""),
        )

    def libpq_env(self) -> dict[str, str]:
        """Return the environment that points ``pg_dump``/``pg_restore`` at this database."""
        env = dict(os.environ)
        for key, value in (
            ("PGDATABASE", self.name),
            ("PGUSER", self.user),
            ("PGPASSWORD", self.password),
            ("PGHOST", self.host),
            ("PGPORT", self.port),
        ):
            if value:
                env[key] = value
        return env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip() or result.stdout.strip()}")


def _sqlite_backup(source: sqlite3.Connection, target_path: Path) -> None:
    target = sqlite3.connect(target_path)
    try:
        with target:
            source.backup(target)
    finally:
        target.close()


def backup(
    *,
    directory: Path,
    database: Database,
    media_root: Path,
    sqlite_connection: sqlite3.Connection | None = None,
    now: datetime | None = None,
) -> Path:
    """Write a backup archive into ``directory`` and return its path.

    ``sqlite_connection`` lets a caller back up an open connection (an in-memory test database);
    otherwise the SQLite file named by ``database`` is opened read-only.
    """
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    directory.mkdir(parents=True, exist_ok=True)
    archive = directory / f"nonpro-backup-{stamp}.tar.gz"
    if archive.exists():
        raise BackupError(f"{archive} already exists.")
    with tempfile.TemporaryDirectory(prefix="nonpro-backup-") as work:
        work_dir = Path(work)
        if database.engine == "sqlite":
            dump = work_dir / SQLITE_DUMP
            if sqlite_connection is not None:
                _sqlite_backup(sqlite_connection, dump)
            else:
                if not Path(database.name).exists():
                    raise BackupError(f"The SQLite database {database.name} does not exist.")
                source = sqlite3.connect(f"file:{database.name}?mode=ro", uri=True)
                try:
                    _sqlite_backup(source, dump)
                finally:
                    source.close()
        else:
            dump = work_dir / POSTGRES_DUMP
            _run(
                ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={dump}"], database.libpq_env()
            )
        manifest = {
            "format": FORMAT_VERSION,
            "created": stamp,
            "engine": database.engine,
            "database": dump.name,
            "media_files": sum(1 for path in media_root.rglob("*") if path.is_file()) if media_root.exists() else 0,
        }
        (work_dir / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        partial = archive.with_suffix(".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(work_dir / "manifest.json", arcname="manifest.json")
            tar.add(dump, arcname=dump.name)
            if media_root.exists():
                tar.add(media_root, arcname="media")
        partial.rename(archive)  # the archive appears whole or not at all
    return archive


def _read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = tar.extractfile("manifest.json")
    except KeyError:
        raise BackupError("The archive has no manifest.json; it is not a Nonpro backup.") from None
    if member is None:
        raise BackupError("manifest.json in the archive is not a file.")
    manifest: dict[str, Any] = json.loads(member.read().decode("utf-8"))
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"Backup format {manifest.get('format')!r} is not supported (expected {FORMAT_VERSION}).")
    return manifest


def _sqlite_is_empty(path: Path) -> bool:
    if not path.exists():
        return True
    connection = sqlite3.connect(path)
    try:
        tables = connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    finally:
        connection.close()
    return bool(tables == 0)


def _postgres_is_empty(database: Database) -> bool:
    result = subprocess.run(
        ["psql", "--no-psqlrc", "--tuples-only", "--no-align", "--command",
         "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"],
        env=database.libpq_env(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise BackupError(f"psql failed: {result.stderr.strip()}")
    return result.stdout.strip() == "0"


def restore(*, archive: Path, database: Database, media_root: Path) -> dict[str, Any]:
    """Restore ``archive`` into an empty ``database`` and an empty ``media_root``; return the manifest."""
    if not archive.is_file():
        raise BackupError(f"{archive} is not a file.")
    try:
        tar = tarfile.open(archive, "r:gz")  # noqa: SIM115 - closed by the `with` below
    except (tarfile.TarError, OSError) as error:
        raise BackupError(f"{archive} is not a readable backup archive: {error}") from None
    with tar, tempfile.TemporaryDirectory(prefix="nonpro-restore-") as work:
        manifest = _read_manifest(tar)
        if manifest["engine"] != database.engine:
            raise BackupError(
                f"The backup holds a {manifest['engine']} database; the target is {database.engine}. "
                "Restore into the same kind of database."
            )
        if media_root.exists() and any(media_root.iterdir()):
            raise BackupError(f"The media directory {media_root} is not empty; restore needs an empty one.")
        if database.engine == "sqlite" and not _sqlite_is_empty(Path(database.name)):
            raise BackupError(f"The SQLite database {database.name} is not empty; restore needs an empty one.")
        if database.engine == "postgresql" and not _postgres_is_empty(database):
            raise BackupError(f"The PostgreSQL database {database.name} is not empty; restore needs an empty one.")
        work_dir = Path(work)
        try:
            tar.extractall(work_dir, filter="data")  # refuses absolute paths, links out, devices
        except (tarfile.TarError, OSError) as error:
            raise BackupError(f"The archive cannot be unpacked safely: {error}") from None
        dump = work_dir / str(manifest["database"])
        if not dump.is_file():
            raise BackupError(f"The archive lacks its database dump {manifest['database']}.")
        if database.engine == "sqlite":
            target = Path(database.name)
            target.parent.mkdir(parents=True, exist_ok=True)
            source = sqlite3.connect(dump)
            try:
                _sqlite_backup(source, target)
            finally:
                source.close()
        else:
            _run(
                ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                 f"--dbname={database.name}", str(dump)],
                database.libpq_env(),
            )  # fmt: skip
        media = work_dir / "media"
        if media.exists():
            media_root.mkdir(parents=True, exist_ok=True)
            shutil.copytree(media, media_root, dirs_exist_ok=True)
    return manifest
