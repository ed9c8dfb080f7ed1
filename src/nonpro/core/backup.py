"""Consistent backups of a live database plus uploaded files, and restores into an empty database.

SQLite is copied with its online backup API (readers and writers may go on meanwhile);
PostgreSQL with ``pg_dump --format=custom`` and restored with ``pg_restore``. Each backup
is one ``.tar.gz`` holding ``manifest.json``, the database dump and ``media/``; it is
readable by its owner only, as it holds password hashes and sessions.

A restore checks everything it can before it writes anything: the archive, its manifest,
that the target database and media directory are empty, and that every member unpacks
safely. The database is restored in one transaction and the media files are moved into
place only after it, so a refused or failed restore leaves both as they were.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

FORMAT_VERSION = 1
SQLITE_DUMP = "database.sqlite3"
POSTGRES_DUMP = "database.pgdump"
DUMPS = {"sqlite": SQLITE_DUMP, "postgresql": POSTGRES_DUMP}
MEDIA = "media"
MANIFEST = "manifest.json"

# What reading a damaged or hostile archive can raise besides a clean refusal.
_ARCHIVE_ERRORS = (tarfile.TarError, OSError, EOFError, zlib.error)


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
    sslmode: str = ""

    @classmethod
    def from_settings(cls, config: dict[str, Any]) -> Database:
        engine = str(config["ENGINE"])
        if engine.endswith("sqlite3"):
            kind = "sqlite"
        elif engine.endswith("postgresql"):
            kind = "postgresql"
        else:
            raise BackupError(f"Cannot back up a database with engine {engine!r}.")
        options = config.get("OPTIONS") or {}
        return cls(
            engine=kind,
            name=str(config["NAME"]),
            user=str(config.get("USER") or ""),
            password=str(config.get("PASSWORD") or ""),
            host=str(config.get("HOST") or ""),
            port=str(config.get("PORT") or ""),
            sslmode=str(options.get("sslmode") or "") if kind == "postgresql" else "",
        )

    def libpq_params(self) -> dict[str, str]:
        """Return the connection parameters for psycopg; what is unset comes from libpq's ``PG*`` variables."""
        params = {
            "dbname": self.name,
            "user": self.user,
            "password": self.password,
            "host": self.host,
            "port": self.port,
            "sslmode": self.sslmode,
        }
        return {key: value for key, value in params.items() if value}

    def libpq_env(self) -> dict[str, str]:
        """Return the environment that points ``pg_dump``/``pg_restore`` at this database."""
        env = dict(os.environ)
        for key, value in (
            ("PGDATABASE", self.name),
            ("PGUSER", self.user),
            ("PGPASSWORD", self.password),
            ("PGHOST", self.host),
            ("PGPORT", self.port),
            ("PGSSLMODE", self.sslmode),
        ):
            if value:
                env[key] = value
        return env


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed; install the PostgreSQL client programs.") from None
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip() or result.stdout.strip()}")


def _sqlite_copy(source: sqlite3.Connection, target_path: Path) -> None:
    """Copy ``source`` into ``target_path`` with the online backup API, as one transaction on the target."""
    target = sqlite3.connect(target_path)
    try:
        source.backup(target)
    finally:
        target.close()


def _sqlite_open_read_only(path: Path) -> sqlite3.Connection:
    # A file URI with the path quoted, so names holding "?", "#" or "%" open the right file.
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _is_within(path: Path, parent: Path) -> bool:
    return path.resolve().is_relative_to(parent.resolve())


def _media_files(root: Path) -> int:
    return sum(1 for path in root.rglob("*") if path.is_file() and not path.is_symlink())


def _dump_database(database: Database, work_dir: Path, sqlite_connection: sqlite3.Connection | None) -> Path:
    dump = work_dir / DUMPS[database.engine]
    if database.engine == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={dump}"], database.libpq_env())
        return dump
    try:
        if sqlite_connection is not None:
            _sqlite_copy(sqlite_connection, dump)
        else:
            source = _sqlite_open_read_only(Path(database.name))
            try:
                _sqlite_copy(source, dump)
            finally:
                source.close()
        # A live database is usually in WAL mode; the copy becomes one self-contained file.
        copy = sqlite3.connect(dump)
        try:
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    except sqlite3.Error as error:
        raise BackupError(f"Cannot copy the SQLite database {database.name}: {error}") from None
    return dump


def _add_media(tar: tarfile.TarFile, media: Path) -> int:
    """Add ``media`` as ``media/``; return how many files went in. A file deleted meanwhile is left out."""
    tar.add(media, arcname=MEDIA, recursive=False)
    added = 0
    for path in sorted(media.rglob("*")):  # a parent sorts before its children
        before = len(tar.getmembers())
        try:
            tar.add(path, arcname=f"{MEDIA}/{path.relative_to(media).as_posix()}", recursive=False)
        except FileNotFoundError:
            continue
        # A hard link to a file already added unpacks as one more file.
        added += sum(1 for member in tar.getmembers()[before:] if member.isreg() or member.islnk())
    return added


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
    if database.engine not in DUMPS:
        raise BackupError(f"Cannot back up a database with engine {database.engine!r}.")
    if media_root.exists() and _is_within(directory, media_root):
        raise BackupError(f"Write the backup outside the media directory {media_root}; it would contain itself.")
    if database.engine == "sqlite" and sqlite_connection is None and not Path(database.name).is_file():
        raise BackupError(f"The SQLite database {database.name} does not exist.")
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BackupError(f"Cannot create the backup directory {directory}: {error.strerror}.") from None
    archive = directory / f"nonpro-backup-{stamp}.tar.gz"
    if archive.exists():
        raise BackupError(f"{archive} already exists.")
    partial = directory / f".{archive.name}.partial"
    try:
        # The work directory sits beside the archive so a large dump does not fill /tmp.
        with tempfile.TemporaryDirectory(prefix=".nonpro-backup-", dir=directory) as work:
            work_dir = Path(work)
            dump = _dump_database(database, work_dir, sqlite_connection)
            media = media_root.resolve() if media_root.exists() else None  # a symlinked media dir is archived whole
            if media is not None and not media.is_dir():
                raise BackupError(f"The media path {media_root} is not a directory.")
            # Owner-only from the first byte: the archive holds password hashes and sessions.
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as output, tarfile.open(fileobj=output, mode="w:gz") as tar:
                tar.add(dump, arcname=dump.name)
                media_files = _add_media(tar, media) if media is not None else 0
                # Last, so it counts the files that went in while uploads may go on.
                manifest = {
                    "format": FORMAT_VERSION,
                    "created": stamp,
                    "engine": database.engine,
                    "database": dump.name,
                    "media_files": media_files,
                }
                (work_dir / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
                tar.add(work_dir / MANIFEST, arcname=MANIFEST)
        if archive.exists():
            raise BackupError(f"{archive} already exists.")
        partial.rename(archive)  # the archive appears whole or not at all
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    except (OSError, tarfile.TarError) as error:
        partial.unlink(missing_ok=True)
        raise BackupError(f"The backup failed: {error}") from None
    return archive


def _read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = tar.extractfile(MANIFEST)
    except KeyError:
        raise BackupError("The archive has no manifest.json; it is not a Nonpro backup.") from None
    if member is None:
        raise BackupError("manifest.json in the archive is not a file.")
    try:
        manifest = json.loads(member.read().decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise BackupError("manifest.json in the archive is not valid JSON; it is not a Nonpro backup.") from None
    if not isinstance(manifest, dict):
        raise BackupError("manifest.json in the archive is not a JSON object; it is not a Nonpro backup.")
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"Backup format {manifest.get('format')!r} is not supported (expected {FORMAT_VERSION}).")
    engine = manifest.get("engine")
    if engine not in DUMPS:
        raise BackupError(f"manifest.json names an unknown database engine {engine!r}.")
    if manifest.get("database") != DUMPS[engine]:
        raise BackupError(f"manifest.json names the database dump {manifest.get('database')!r}, not {DUMPS[engine]!r}.")
    media_files = manifest.get("media_files")
    if not isinstance(media_files, int) or isinstance(media_files, bool) or media_files < 0:
        raise BackupError(f"manifest.json gives {media_files!r} media files, not a count.")
    return manifest


def _sqlite_is_empty(path: Path) -> bool:
    if not path.exists():
        return True
    if not path.is_file():
        raise BackupError(f"The SQLite database {path} is not a file.")
    try:
        connection = _sqlite_open_read_only(path)
        try:
            objects = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise BackupError(f"Cannot read the SQLite database {path}: {error}.") from None
    return bool(objects == 0)


# Any table, view, sequence or index outside PostgreSQL's own schemas makes a database non-empty.
_POSTGRES_USER_RELATIONS = """
    SELECT count(*) FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
"""


def _postgres_is_empty(database: Database) -> bool:
    try:
        with psycopg.connect(make_conninfo(**database.libpq_params(), connect_timeout=10)) as connection:
            row = connection.execute(_POSTGRES_USER_RELATIONS).fetchone()
    except psycopg.Error as error:
        raise BackupError(f"Cannot connect to the PostgreSQL database {database.name}: {error}") from None
    return row is not None and row[0] == 0


def _make_directory(path: Path) -> Path | None:
    """Create ``path`` with its parents; return the topmost directory created, or None if it existed."""
    missing = [directory for directory in (path, *path.parents) if not directory.exists()]
    path.mkdir(parents=True, exist_ok=True)
    return missing[-1] if missing else None


def _restore_database(database: Database, dump: Path) -> None:
    if database.engine == "postgresql":
        _run(
            ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
             f"--dbname={make_conninfo(dbname=database.name)}", str(dump)],
            database.libpq_env(),
        )  # fmt: skip
        return
    target = Path(database.name)
    created_file = not target.exists()
    created_directory = _make_directory(target.parent)
    try:
        source = sqlite3.connect(dump)
        try:
            _sqlite_copy(source, target)
        finally:
            source.close()
    except sqlite3.Error as error:
        if created_file:
            for path in (target, Path(f"{target}-journal"), Path(f"{target}-wal"), Path(f"{target}-shm")):
                path.unlink(missing_ok=True)
        if created_directory is not None:
            shutil.rmtree(created_directory, ignore_errors=True)
        raise BackupError(f"Cannot restore the SQLite database {database.name}: {error}") from None


def _unpack_and_restore(tar: tarfile.TarFile, manifest: dict[str, Any], database: Database, media_root: Path) -> None:
    """Unpack ``tar`` into ``media_root``, restore the database from it, then move the media files into place.

    Unpacking inside the media directory keeps the files on its file system (even when it is a mount
    point), so moving them is a rename; if anything fails first, the staging directory is removed.
    """
    created_directory = _make_directory(media_root)
    restored = False
    staging = Path(tempfile.mkdtemp(prefix=".nonpro-restore-", dir=media_root))
    try:
        try:
            tar.extractall(staging, filter="data")  # refuses absolute paths, "..", links out, devices
        except _ARCHIVE_ERRORS as error:
            raise BackupError(f"The archive cannot be unpacked safely: {error}") from None
        dump = staging / DUMPS[database.engine]
        if not dump.is_file() or dump.is_symlink():
            raise BackupError(f"The archive lacks its database dump {manifest['database']}.")
        media = staging / MEDIA
        if media.is_symlink() or (media.exists() and not media.is_dir()):
            raise BackupError("media/ in the archive is not a directory.")
        found = _media_files(media) if media.exists() else 0
        if found != manifest["media_files"]:
            raise BackupError(
                f"The archive holds {found} media files; its manifest lists {manifest['media_files']}. "
                "It is incomplete."
            )
        _restore_database(database, dump)
        restored = True
        if media.exists():
            for entry in media.iterdir():
                entry.rename(media_root / entry.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if not restored and created_directory is not None:
            shutil.rmtree(created_directory, ignore_errors=True)


def restore(*, archive: Path, database: Database, media_root: Path) -> dict[str, Any]:
    """Restore ``archive`` into an empty ``database`` and an empty ``media_root``; return the manifest."""
    if not archive.is_file():
        raise BackupError(f"{archive} is not a file.")
    try:
        tar = tarfile.open(archive, "r:gz")  # noqa: SIM115 - closed by the `with` below
    except _ARCHIVE_ERRORS as error:
        raise BackupError(f"{archive} is not a readable backup archive: {error}") from None
    with tar:
        try:
            manifest = _read_manifest(tar)
        except _ARCHIVE_ERRORS as error:
            raise BackupError(f"{archive} is not a readable backup archive: {error}") from None
        if manifest["engine"] != database.engine:
            raise BackupError(
                f"The backup holds a {manifest['engine']} database; the target is {database.engine}. "
                "Restore into the same kind of database."
            )
        if database.engine == "sqlite" and not _sqlite_is_empty(Path(database.name)):
            raise BackupError(f"The SQLite database {database.name} is not empty; restore needs an empty one.")
        if database.engine == "postgresql" and not _postgres_is_empty(database):
            raise BackupError(f"The PostgreSQL database {database.name} is not empty; restore needs an empty one.")
        if media_root.exists() and not media_root.is_dir():
            raise BackupError(f"The media path {media_root} is not a directory.")
        if media_root.exists() and any(media_root.iterdir()):
            raise BackupError(f"The media directory {media_root} is not empty; restore needs an empty one.")
        _unpack_and_restore(tar, manifest, database, media_root)
    return manifest
