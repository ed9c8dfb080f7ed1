"""The ``nonpro`` command: demo, serve, worker, manage, backup, restore, audit, register, scan."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

DEFAULT_SETTINGS = "nonpro.settings.dev"


def _setup(data_dir: str | None = None) -> None:
    """Point Django at its settings (dev unless ``DJANGO_SETTINGS_MODULE`` says otherwise) and start it."""
    if data_dir:
        os.environ["NONPRO_DATA_DIR"] = data_dir
    if not os.environ.get("DJANGO_SETTINGS_MODULE"):
        os.environ["DJANGO_SETTINGS_MODULE"] = DEFAULT_SETTINGS
    import django

    django.setup()
    from django.conf import settings

    # SQLite cannot create the folder of its database file; uploads need theirs too.
    Path(settings.DATA_DIR).mkdir(parents=True, exist_ok=True)


def _serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the WSGI application with gunicorn; static files come from WhiteNoise."""
    from django.conf import settings
    from gunicorn.app.base import BaseApplication

    from nonpro.wsgi import application

    if settings.DEBUG:
        print("Warning: DEBUG is on. Set DJANGO_SETTINGS_MODULE=nonpro.settings.production in production.")

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("accesslog", "-")

        def load(self) -> Any:
            return application

    _Server().run()


def cmd_demo(args: argparse.Namespace) -> int:
    _setup(args.data_dir)
    from django.conf import settings
    from django.core.management import call_command

    from nonpro.accounts.services import demo_accounts_ensure
    from nonpro.core.services import countries_load

    engine = str(settings.DATABASES["default"]["ENGINE"])
    if not engine.endswith("sqlite3"):
        # The demo accounts' password is published; they must never reach a shared database.
        print(
            f"nonpro demo: the demo runs on SQLite only, but the database is {engine}. Unset NONPRO_DATABASE_URL.",
            file=sys.stderr,
        )
        return 1
    Path(settings.DATA_DIR).mkdir(parents=True, exist_ok=True)
    Path(settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
    print(f"Data directory: {settings.DATA_DIR}")
    call_command("migrate", interactive=False, verbosity=0)
    countries = countries_load()
    print(f"States: {countries.created} added, {countries.updated} updated, {countries.unchanged} unchanged.")
    accounts = demo_accounts_ensure()
    from nonpro.register.demo import register_demo_ensure

    print(f"Register: {register_demo_ensure()} demo entries.")
    from nonpro.horizon.demo import horizon_demo_ensure

    print(f"Horizon scanning: {horizon_demo_ensure(Path(settings.DATA_DIR))}")
    from nonpro.core.audit.services import audit_demo_prepare

    print(audit_demo_prepare())
    from nonpro.core.management.commands.database_optimize import database_optimize

    database_optimize()  # the query planner's statistics for the data just loaded
    call_command("collectstatic", interactive=False, verbosity=0)
    print("\nDemo sign-ins (password for each):")
    for account in accounts:
        roles = ", ".join(str(role.label) for role in account.roles)
        where = f" of {account.country_alpha2}" if account.country_alpha2 else ""
        print(f"  {account.email:<32} {account.password}   {roles}{where}")
    print("  (public: no sign-in needed)")
    with_totp = [account for account in accounts if account.totp_secret]
    if with_totp:
        print("\nTwo-factor codes for the demo only (add the secret or the otpauth URI to an authenticator app;")
        print("never use them for a real account). Security keys need http://localhost, not 127.0.0.1.")
        for account in with_totp:
            print(f"    {account.email}\n      TOTP secret: {account.totp_secret}\n      {account.otpauth_uri}")
    if args.no_serve:
        return 0
    print(f"\nNonpro is at http://127.0.0.1:{args.port}/ — press Ctrl+C to stop.\n")
    # Background tasks (imports, re-ranking, e-mails) run in a worker beside the server, as in production.
    worker = subprocess.Popen([sys.executable, "-m", "nonpro.cli", "worker"])
    try:
        _serve("127.0.0.1", args.port, workers=1, threads=8)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    _setup()
    _serve(args.host, args.port, workers=args.workers, threads=args.threads)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    _setup()
    from django.conf import settings
    from django.core.management import call_command

    if settings.TASKS_BACKEND == "rq":
        # RQ must build jobs with django-tasks-rq's Job class, which runs Django tasks.
        call_command("rqworker", "default", "--job-class", "django_tasks_rq.Job", *args.worker_args)
    else:
        call_command("db_worker", "--no-reload", *args.worker_args)
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    _setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["nonpro manage", *args.manage_args])
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    _setup()
    from django.conf import settings
    from django.db import connection

    from nonpro.core.backup import BackupError, Database, backup

    try:
        database = Database.from_settings(settings.DATABASES["default"])
        archive = backup(directory=Path(args.directory), database=database, media_root=Path(settings.MEDIA_ROOT))
    except BackupError as error:
        print(f"nonpro backup: {error}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    print(archive)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    _setup()
    from django.conf import settings

    from nonpro.core.backup import BackupError, Database, restore

    try:
        database = Database.from_settings(settings.DATABASES["default"])
        manifest = restore(archive=Path(args.file), database=database, media_root=Path(settings.MEDIA_ROOT))
    except BackupError as error:
        print(f"nonpro restore: {error}", file=sys.stderr)
        return 1
    count = manifest["media_files"]
    print(
        f"Restored the {manifest['engine']} backup of {manifest['created']} into {database.name} "
        f"and {count} media {'file' if count == 1 else 'files'} into {settings.MEDIA_ROOT}."
    )
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    """Verify the audit log (exit 0 intact, 1 not intact, 2 cannot verify), seal it, or create its key."""
    _setup()
    from nonpro.core.audit.keys import AuditKeyError, keygen, public_keys_load
    from nonpro.core.audit.services import AuditIntegrityError, checkpoint_seal
    from nonpro.core.audit.verify import audit_verify

    try:
        if args.audit_command == "keygen":
            key = keygen(force=args.force)
            print(f"Audit signing key: {key.private_path} (key id {key.key_id}).")
            print(f"Public key to publish and keep apart: {key.public_path}")
            return 0
        if args.audit_command == "checkpoint":
            checkpoint = checkpoint_seal(only_if_new=args.if_new)
            print(checkpoint.note if checkpoint else "No new events since the last checkpoint.\n", end="")
            return 0
        keys = public_keys_load([Path(path) for path in args.public_key] if args.public_key else None)
    except (AuditKeyError, AuditIntegrityError) as error:
        print(f"nonpro audit {args.audit_command}: {error}", file=sys.stderr)
        return 2 if args.audit_command == "verify" else 1
    report = audit_verify(keys=keys, note_paths=[Path(path) for path in args.note])
    print("\n".join(report.lines()))
    return 0 if report.intact else 1


def cmd_register(args: argparse.Namespace) -> int:
    """Export the register's published entries to DIR, or import them from a directory, zip or file."""
    _setup()
    from nonpro.register.exchange import import_actor, register_export, register_import
    from nonpro.register.services import RegisterError

    name = f"nonpro register {args.register_command}"
    try:
        by = import_actor(args.by) if args.by else None
        if args.register_command == "export":
            result = register_export(directory=Path(args.directory), tier=args.tier, by=by)
            print(f"Exported {result.count} entries at tier {result.tier} to {result.directory}.")
            return 0
        if by is None:
            print(f"{name}: give --by EMAIL, a committee analyst who may publish.", file=sys.stderr)
            return 2
        report = register_import(path=Path(args.path), by=by)
    except RegisterError as error:
        print(f"{name}: {error}", file=sys.stderr)
        return 2
    for problem in report.problems:
        print(f"{name}: {problem}", file=sys.stderr)
    print(
        f"Imported {len(report.created)} new and {len(report.updated)} updated entries; "
        f"{len(report.unchanged)} unchanged; {len(report.problems)} problems."
    )
    return 0 if report.ok else 1


def cmd_scan_import(args: argparse.Namespace) -> int:
    """Import literature files into a screening project (``nonpro.horizon.command``)."""
    _setup()
    from nonpro.horizon.command import run

    return run(args)


def _add_scan_import(scan_commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``scan import``, the one scan command that needs the database (``nonpro.horizon.command``)."""
    from nonpro.scanning.options import FORMAT_NAMES

    scan_import = scan_commands.add_parser("import", help="import literature files into a screening project")
    scan_import.add_argument("paths", nargs="+", metavar="PATH", help="files in any format the scanner reads (or .gz)")
    scan_import.add_argument("--project", required=True, metavar="P", help="the project's number or its exact name")
    scan_import.add_argument("--by", required=True, metavar="EMAIL", help="the analyst or member reviewer importing")
    scan_import.add_argument("--format", choices=FORMAT_NAMES, help="the format of every file (default: recognised)")
    scan_import.add_argument("--queue", action="store_true", help="only queue the imports for `nonpro worker`")
    scan_import.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    scan_import.set_defaults(func=cmd_scan_import)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nonpro", description="Nonpro: the resolution 1540 platform.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="prepare demo data on SQLite and serve it")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--data-dir", default=os.environ.get("NONPRO_DATA_DIR", "var"))
    demo.add_argument("--no-serve", action="store_true", help="prepare only, do not serve")
    demo.set_defaults(func=cmd_demo)

    serve = commands.add_parser("serve", help="serve the platform with gunicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=2)
    serve.add_argument("--threads", type=int, default=4)
    serve.set_defaults(func=cmd_serve)

    worker = commands.add_parser(
        "worker", help="run queued background tasks (arguments go to db_worker, or to rqworker with RQ)"
    )
    worker.add_argument("worker_args", nargs=argparse.REMAINDER)
    worker.set_defaults(func=cmd_worker)

    manage = commands.add_parser("manage", help="run any Django management command", add_help=False)
    manage.add_argument("manage_args", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)

    backup = commands.add_parser("backup", help="write a consistent backup of the database and uploads to DIR")
    backup.add_argument("directory", metavar="DIR")
    backup.set_defaults(func=cmd_backup)

    restore = commands.add_parser("restore", help="restore a backup FILE into an empty database")
    restore.add_argument("file", metavar="FILE")
    restore.set_defaults(func=cmd_restore)

    audit = commands.add_parser("audit", help="verify the audit log, seal it into a signed checkpoint, create its key")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True, metavar="AUDIT_COMMAND")
    verify = audit_commands.add_parser("verify", help="recompute every hash, link and checkpoint; exit 1 if altered")
    verify.add_argument(
        "--public-key", action="append", default=[], metavar="PATH",
        help="trust only this public key (PEM or base64; repeatable); default: the keys beside the signing key",
    )  # fmt: skip
    verify.add_argument(
        "--note", action="append", default=[], metavar="PATH", help="also check a published checkpoint note"
    )
    checkpoint = audit_commands.add_parser("checkpoint", help="seal the log now and print the signed note")
    checkpoint.add_argument("--if-new", action="store_true", help="only when events arrived since the last one")
    keygen = audit_commands.add_parser("keygen", help="create the Ed25519 signing key pair")
    keygen.add_argument("--force", action="store_true", help="replace an existing key (old public key kept)")
    audit.set_defaults(func=cmd_audit)

    register = commands.add_parser("register", help="export or import the register's published entries (JSON)")
    register_commands = register.add_subparsers(dest="register_command", required=True, metavar="REGISTER_COMMAND")
    export = register_commands.add_parser("export", help="write one JSON file per entry, all.zip and modified_id.csv")
    export.add_argument("directory", metavar="DIR")
    export.add_argument("--tier", choices=["public", "official", "committee", "restricted"], default="public")
    export.add_argument("--by", metavar="EMAIL", help="the committee analyst who exports (recorded in the audit log)")
    import_ = register_commands.add_parser("import", help="import entries from a directory, a zip or one JSON file")
    import_.add_argument("path", metavar="PATH")
    import_.add_argument("--by", metavar="EMAIL", required=True, help="the committee analyst who imports")
    register.set_defaults(func=cmd_register)

    from nonpro.scanning.cli import add_scan_commands

    _add_scan_import(add_scan_commands(commands))
    return parser


PASS_THROUGH = {"worker": "worker_args", "manage": "manage_args"}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    # `worker` and `manage` hand every further argument, options included, to Django's command.
    if args.command in PASS_THROUGH:
        setattr(args, PASS_THROUGH[args.command], [*getattr(args, PASS_THROUGH[args.command]), *extra])
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
