"""Export and import of the register: tiers in the files, the JSON Schema, the exact round trip, hostile input."""

from __future__ import annotations

import csv
import difflib
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from nonpro.cli import main
from nonpro.core.audit.models import AuditEvent
from nonpro.register import exchange, services
from nonpro.register.exchange import register_export, register_import
from nonpro.register.models import Entry, EntryIdCounter, EntryRelation, EntryRevision, RevisionEvent
from nonpro.register.services import RegisterError
from tests.register.conftest import SCORES, People

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "schema" / "entry.schema.json"
REASON = "Synthetic example: classification for the test."
TIERS = ("public", "official", "committee", "restricted")


def schema_validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def documents(folder: Path) -> dict[str, dict[str, Any]]:
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))}


def every_file(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def assert_same_files(first: Path, second: Path) -> None:
    """Assert two exports are byte-identical, showing the difference of the first differing document."""
    before, after = every_file(first), every_file(second)
    assert sorted(before) == sorted(after)
    for name, data in before.items():
        if data != after[name] and name.endswith(".json"):
            diff = difflib.unified_diff(data.decode().splitlines(), after[name].decode().splitlines(), lineterm="")
            pytest.fail(f"{first.name}/{name} differs after the round trip:\n" + "\n".join(diff))
    assert before == after


def set_tier(entry: Entry, part: str, tier: str, people: People) -> Entry:
    return services.entry_set_tier(entry=entry, field=part, tier=tier, reason=REASON, by=people.analyst)


@pytest.fixture
def quiet_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run ``nonpro`` in this process on the test database (Django is set up already)."""
    monkeypatch.setattr("nonpro.cli._setup", lambda data_dir=None: None)


def wipe_register() -> None:
    """Empty the register's tables (the test's "empty database" for the import)."""
    EntryRevision.objects.all().delete()
    EntryRelation.objects.all().delete()
    Entry.objects.all().delete()
    EntryIdCounter.objects.all().delete()


@pytest.fixture
def register(published: Callable[..., Entry], draft: Callable[..., Entry], people: People) -> dict[str, Entry]:
    """Published entries with parts at every tier, a withdrawn one, one with a hidden title, and a draft."""
    withdrawn = published(
        title="Synthetic example: withdrawn development",
        translations={"fr": {"title": "Exemple synthétique : retiré", "summary": "Exemple synthétique : résumé."}},
    )
    withdrawn = services.entry_withdraw(entry=withdrawn, reason="Synthetic example: a duplicate.", by=people.analyst)
    unpublished = draft(title="Synthetic example: Draftword never published")
    rich = published(
        title="Synthetic example: the richest entry",
        details="Synthetic example: Committeeword notes on the controls that apply.",
        concern_scores=SCORES,
        concern_rationale="Synthetic example: Restrictedword rationale.",
        first_reported="2025-03-04",
        sources=[
            {"type": "article", "citation": "Synthetic example: Officialword article", "doi": "10.1234/abc"},
            {"type": "web", "url": "https://example.org/synthetic"},
        ],
        aliases=["SYN-2025-1"],
        credits=[{"name": "Synthetic Person", "role": "finder"}, {"user": people.reviewer.pk, "role": "reviewer"}],
        related=[withdrawn.rsd_id, unpublished.rsd_id],
        translations={"ar": {"title": "مثال اصطناعي", "summary": ""}},
    )
    rich = set_tier(rich, "classification", "public", people)
    rich = set_tier(rich, "sources", "official", people)
    rich = set_tier(rich, "assessment", "restricted", people)
    rich = set_tier(rich, "credits", "public", people)
    hidden = published(title="Synthetic example: Hiddenword title")
    hidden = set_tier(hidden, "title", "committee", people)
    return {"withdrawn": withdrawn, "draft": unpublished, "rich": rich, "hidden": hidden}


# --- export --------------------------------------------------------------------------------------------


def test_the_published_schema_is_the_one_the_code_uses() -> None:
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == exchange.entry_schema()
    assert exchange.entry_schema()["$id"].endswith("/register/entry/1.0.0")


def test_export_holds_published_entries_with_the_fields_of_each_tier(
    register: dict[str, Entry], tmp_path: Path
) -> None:
    validator = schema_validator()
    exported = {}
    for tier in TIERS:
        result = register_export(directory=tmp_path / tier, tier=tier)
        exported[tier] = documents(tmp_path / tier)
        assert result.count == 3
        for document in exported[tier].values():
            assert list(validator.iter_errors(document)) == []
        text = "".join(path.read_text(encoding="utf-8") for path in (tmp_path / tier).glob("*.json"))
        assert "Draftword" not in text
        assert register["draft"].rsd_id not in exported[tier]
        assert "@" not in text  # credits: names and roles only
        assert '"user"' not in text
    rich = register["rich"].rsd_id
    public = exported["public"][rich]
    assert public["title"] == "Synthetic example: the richest entry"
    assert public["title_translations"] == {"ar": "مثال اصطناعي"}
    assert public["domains"] == ["chemical"]
    assert public["related"] == [register["withdrawn"].rsd_id]  # the draft is not exported, so not named
    assert public["credits"] == [
        {"name": "Synthetic Person", "role": "finder"},
        {"name": "[name withheld]", "role": "reviewer"},
    ]
    for absent in ("details", "sources", "aliases", "first_reported", "concern_scores", "concern_rationale"):
        assert absent not in public
    assert "title" not in exported["public"][register["hidden"].rsd_id]
    official = exported["official"][rich]
    assert official["sources"]["tier"] == "official"
    assert official["sources"]["value"][0]["doi"] == "10.1234/abc"
    assert official["first_reported"] == {"tier": "official", "value": "2025-03-04"}
    assert "details" not in official
    committee = exported["committee"][rich]
    assert committee["details"] == {
        "tier": "committee",
        "text": "Synthetic example: Committeeword notes on the controls that apply.",
    }
    assert "concern_rationale" not in committee
    assert "concern_level" not in committee
    restricted = exported["restricted"][rich]
    assert restricted["concern_rationale"] == {
        "tier": "restricted",
        "text": "Synthetic example: Restrictedword rationale.",
    }
    assert restricted["concern_scores"] == {"tier": "restricted", "value": SCORES}
    withdrawn = exported["public"][register["withdrawn"].rsd_id]
    assert withdrawn["status"] == "withdrawn"
    assert withdrawn["withdrawal_reason"] == "Synthetic example: a duplicate."
    assert withdrawn["withdrawn"].endswith("Z")
    assert "withdrawn" not in public


def test_export_writes_the_zip_and_the_modified_index_newest_first(register: dict[str, Entry], tmp_path: Path) -> None:
    register_export(directory=tmp_path / "out")
    folder = tmp_path / "out"
    rows = list(csv.reader((folder / "modified_id.csv").read_text(encoding="utf-8").splitlines()))
    assert [modified for modified, _id in rows] == sorted((modified for modified, _id in rows), reverse=True)
    assert {rsd_id for _modified, rsd_id in rows} == set(documents(folder))
    for modified, rsd_id in rows:
        assert documents(folder)[rsd_id]["modified"] == modified
    with zipfile.ZipFile(folder / "all.zip") as archive:
        assert archive.namelist() == [f"{rsd_id}.json" for _modified, rsd_id in rows]
        for name in archive.namelist():
            assert archive.read(name) == (folder / name).read_bytes()
    raw = (folder / f"{register['rich'].rsd_id}.json").read_bytes()
    assert raw.endswith(b"}\n")
    assert b'\n  "' in raw  # 2-space indent
    assert "مثال".encode() in raw  # UTF-8 as is


def test_export_queries_do_not_grow_with_the_entries(
    register: dict[str, Entry], published: Callable[..., Entry], tmp_path: Path
) -> None:
    """Relations, translations and sources are read per chunk of entries, not once per entry."""

    def export_queries(name: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            register_export(directory=tmp_path / name, tier="committee")  # every part's relations go out
        return len(queries)

    before = export_queries("first")
    for number in range(4):
        published(
            title=f"Synthetic example: entry {number}", related=[register["rich"].rsd_id, register["withdrawn"].rsd_id]
        )
    after = export_queries("second")

    assert after == before, (before, after)
    assert documents(tmp_path / "second")[register["rich"].rsd_id]["related"] == sorted(
        [register["withdrawn"].rsd_id, *(entry.rsd_id for entry in Entry.objects.filter(title__contains="entry "))]
    )


def test_export_is_audited_with_its_tier_and_counts_never_content(register: dict[str, Entry], tmp_path: Path) -> None:
    register_export(directory=tmp_path / "out", tier="restricted")
    event = AuditEvent.objects.filter(action="register.exported").latest("seq")
    assert event.summary == {"tier": "restricted", "entries": 3, "entries_with_restricted_fields": 1}


def test_a_failed_export_leaves_the_previous_one_and_nothing_half_written(
    register: dict[str, Entry], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out"
    register_export(directory=target)
    before = every_file(target)
    real = exchange.export_document
    calls: list[str] = []

    def failing(entry: Entry, ceiling: str) -> dict[str, Any] | None:
        calls.append(entry.rsd_id)
        if len(calls) % 3 == 2:  # the second entry of each export
            raise OSError("Synthetic example: the disk is full")
        return real(entry, ceiling)

    monkeypatch.setattr(exchange.export, "export_document", failing)
    with pytest.raises(OSError, match="disk is full"):
        register_export(directory=target, tier="committee")
    assert every_file(target) == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out"]
    with pytest.raises(OSError, match="disk is full"):
        register_export(directory=tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_export_refuses_a_directory_holding_other_files(db: None, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("Synthetic example: keep me.", encoding="utf-8")
    with pytest.raises(RegisterError, match=r"notes\.txt"):
        register_export(directory=tmp_path)
    assert (tmp_path / "notes.txt").exists()
    with pytest.raises(RegisterError, match="Unknown tier"):
        register_export(directory=tmp_path / "x", tier="secret")


# --- the round trip ------------------------------------------------------------------------------------


def test_export_import_export_gives_the_same_bytes_at_every_tier(
    register: dict[str, Entry], people: People, tmp_path: Path
) -> None:
    related = register["rich"]
    # Related entries whose classification tiers differ: linked in the import's second pass.
    assert related.classification_tier == "public"
    assert register["withdrawn"].classification_tier == "committee"
    for tier in TIERS:
        register_export(directory=tmp_path / f"first-{tier}", tier=tier)
    for tier in TIERS:
        wipe_register()
        report = register_import(path=tmp_path / f"first-{tier}", by=people.analyst)
        assert report.problems == []
        assert len(report.created) == 3
        register_export(directory=tmp_path / f"second-{tier}", tier=tier)
        assert_same_files(tmp_path / f"first-{tier}", tmp_path / f"second-{tier}")


def test_import_from_the_zip_and_from_one_file(register: dict[str, Entry], people: People, tmp_path: Path) -> None:
    register_export(directory=tmp_path / "first", tier="restricted")
    wipe_register()
    report = register_import(path=tmp_path / "first" / "all.zip", by=people.analyst)
    assert report.ok
    assert len(report.created) == 3
    wipe_register()
    rich = register["rich"].rsd_id
    report = register_import(path=tmp_path / "first" / f"{rich}.json", by=people.analyst)
    assert report.ok
    assert report.created == [rich]


# --- import: what it writes ----------------------------------------------------------------------------


def minimal(rsd_id: str | None = None, **extra: Any) -> dict[str, Any]:
    """Return a valid document: a published entry with a public title and summary, other parts absent."""
    document: dict[str, Any] = {
        "schema_version": "1.0.0",
        "id": rsd_id or f"RSD-{timezone.now().year}-00042",
        "status": "published",
        "serial": 1,
        "original_language": "en",
        "published": "2026-01-02T03:04:05.000006Z",
        "modified": "2026-01-02T03:04:05.000006Z",
        "title": "Synthetic example: imported development",
        "title_translations": {},
        "translation_status": {},
        "summary": "Synthetic example: an imported policy-level summary.",
        "summary_translations": {},
    }
    document.update(extra)
    return document


def write(folder: Path, name: str, content: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
    return path


def test_import_keeps_the_identifier_records_a_revision_and_an_audit_event(
    people: People, draft: Callable[..., Entry], tmp_path: Path
) -> None:
    path = write(tmp_path / "in", "one.json", minimal())
    report = register_import(path=path, by=people.analyst)
    assert report.ok
    entry = Entry.objects.get(rsd_id=minimal()["id"])
    assert (entry.status, entry.serial) == ("published", 1)
    assert (entry.title_tier, entry.details_tier) == ("public", "restricted")  # absent parts: fail closed
    revision = EntryRevision.objects.get(entry=entry)
    assert revision.event == RevisionEvent.CREATED
    assert revision.changed_by == people.analyst
    event = AuditEvent.objects.filter(action="register.entry.imported").latest("seq")
    assert event.summary["rsd_id"] == entry.rsd_id
    assert event.summary["created"] is True
    assert "Synthetic example" not in json.dumps(event.summary)  # never content
    # New drafts never take an imported identifier.
    assert draft().rsd_id == f"RSD-{timezone.now().year}-00043"


def test_import_updates_older_entries_and_leaves_newer_ones(people: People, tmp_path: Path) -> None:
    register_import(path=write(tmp_path / "a", "x.json", minimal()), by=people.analyst)
    same = register_import(path=write(tmp_path / "b", "x.json", minimal()), by=people.analyst)
    assert same.ok
    assert same.unchanged == [minimal()["id"]]
    newer = minimal(serial=2, modified="2026-02-01T00:00:00.000000Z", title="Synthetic example: renamed")
    report = register_import(path=write(tmp_path / "c", "x.json", newer), by=people.analyst)
    assert report.updated == [newer["id"]]
    entry = Entry.objects.get(rsd_id=newer["id"])
    assert (entry.title, entry.version) == ("Synthetic example: renamed", 2)
    assert entry.details_tier == "restricted"  # absent from the document: kept as it was
    older = register_import(path=write(tmp_path / "d", "x.json", minimal()), by=people.analyst)
    assert not older.ok
    assert "newer" in older.problems[0].message
    assert Entry.objects.get(rsd_id=newer["id"]).title == "Synthetic example: renamed"


def test_import_leaves_an_unpublished_entry_with_the_same_identifier(
    people: People, draft: Callable[..., Entry], tmp_path: Path
) -> None:
    existing = draft()
    report = register_import(path=write(tmp_path, "x.json", minimal(existing.rsd_id)), by=people.analyst)
    assert not report.ok
    assert "not published" in report.problems[0].message
    assert Entry.objects.get(pk=existing.pk).status == "draft"


def test_only_a_committee_analyst_may_import(
    people: People, tmp_path: Path, capsys: pytest.CaptureFixture[str], quiet_cli: None
) -> None:
    path = write(tmp_path, "x.json", minimal())
    with pytest.raises(RegisterError):
        exchange.import_actor(people.reviewer.email)
    assert main(["register", "import", str(path), "--by", people.learner.email]) == 2
    assert "not an active committee analyst" in capsys.readouterr().err
    assert not Entry.objects.exists()
    with pytest.raises(PermissionDenied):
        exchange.entry_import(document=minimal(), by=people.author)


# --- import: hostile and malformed input -----------------------------------------------------------------


def test_each_bad_file_is_reported_with_its_path_and_pointer_and_the_good_ones_are_kept(
    people: People, tmp_path: Path, capsys: pytest.CaptureFixture[str], quiet_cli: None
) -> None:
    folder = tmp_path / "in"
    year = timezone.now().year
    write(folder, "good.json", minimal(f"RSD-{year}-00001"))
    write(folder, "not-json.json", b"{this is not json")
    write(folder, "not-utf8.json", b'{"id": "\xff"}')
    write(folder, "wrong-type.json", minimal(f"RSD-{year}-00002", serial="one"))
    write(folder, "unknown-tier.json", minimal(f"RSD-{year}-00003", details={"tier": "secret", "text": "x"}))
    write(folder, "unknown-field.json", minimal(f"RSD-{year}-00004", user_email="someone@example.test"))
    write(folder, "bad-code.json", minimal(f"RSD-{year}-00005", domains=["no-such-domain"], technology_areas=[],
                                          control_lists=[], obligations=[], related=[]))  # fmt: skip
    write(folder, "split-part.json", minimal(f"RSD-{year}-00006", summary={"tier": "committee", "text": "x"}))
    write(folder, "duplicate-key.json", b'{"id": "a", "id": "b"}')
    write(folder, "nan.json", b'{"serial": NaN}')
    write(folder, "deep.json", b"[" * 100_000 + b"]" * 100_000)
    write(folder, "too-big.json", b" " * (exchange.MAX_ENTRY_BYTES + 1))
    code = main(["register", "import", str(folder), "--by", people.analyst.email])
    err = capsys.readouterr().err
    assert code == 1
    assert Entry.objects.filter(rsd_id=f"RSD-{year}-00001").exists()
    assert Entry.objects.count() == 1  # nothing of the bad files, nothing half-written
    lines = {line.split(": ", 2)[1].rsplit("/", 1)[-1]: line for line in err.splitlines()}
    assert "/serial:" in lines["wrong-type.json"]
    assert "/details" in lines["unknown-tier.json"]
    assert "user_email" in lines["unknown-field.json"]
    assert "/domains:" in lines["bad-code.json"]
    assert "/summary" in lines["split-part.json"]
    assert "not JSON (Expecting property name" in lines["not-json.json"]
    assert "line 1" in lines["not-json.json"]
    assert "not UTF-8" in lines["not-utf8.json"]
    assert "duplicate key" in lines["duplicate-key.json"]
    assert "NaN" in lines["nan.json"]
    assert "nested too deeply" in lines["deep.json"] or "not JSON" in lines["deep.json"]
    assert "limit" in lines["too-big.json"]


def zip_with(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data)
    return path


def test_zip_members_with_paths_are_refused_and_the_rest_imported(people: People, tmp_path: Path) -> None:
    year = timezone.now().year
    good = json.dumps(minimal(f"RSD-{year}-00010")).encode()
    archive = zip_with(
        tmp_path / "in.zip",
        {
            "../evil.json": json.dumps(minimal(f"RSD-{year}-00011")).encode(),
            "/absolute.json": json.dumps(minimal(f"RSD-{year}-00012")).encode(),
            "folder/nested.json": json.dumps(minimal(f"RSD-{year}-00013")).encode(),
            "..\\windows.json": json.dumps(minimal(f"RSD-{year}-00014")).encode(),
            "fine.json": good,
        },
    )
    report = register_import(path=archive, by=people.analyst)
    assert report.created == [f"RSD-{year}-00010"]
    assert len(report.problems) == 4
    assert all("not a plain .json file name" in problem.message for problem in report.problems)
    assert not (tmp_path / "evil.json").exists()


def test_zip_bombs_are_refused(people: People, tmp_path: Path) -> None:
    year = timezone.now().year
    bomb = zip_with(tmp_path / "bomb.zip", {f"part{n}.json": b" " * 600_000 for n in range(4)})
    report = register_import(path=bomb, by=people.analyst, total_limit=2_000_000)
    assert [problem.message for problem in report.problems] == [
        "would unpack to 2400000 bytes, over the limit of 2000000; refused"
    ]
    big = zip_with(
        tmp_path / "big.zip",
        {
            "big.json": b" " * (exchange.MAX_ENTRY_BYTES + 1),
            "ok.json": json.dumps(minimal(f"RSD-{year}-00020")).encode(),
        },
    )
    report = register_import(path=big, by=people.analyst)
    assert report.created == [f"RSD-{year}-00020"]
    assert "larger than the limit" in report.problems[0].message


def test_a_zip_that_lies_about_its_sizes_is_stopped(people: People, tmp_path: Path) -> None:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.json", b" " * 5000)
    # Claim a tiny uncompressed size in the central directory: the reader must count what it unpacks.
    raw = bytearray(data.getvalue())
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 24 : central + 28] = (10).to_bytes(4, "little")
    path = tmp_path / "liar.zip"
    path.write_bytes(bytes(raw))
    report = register_import(path=path, by=people.analyst, limit=1000)
    assert not report.ok
    assert not Entry.objects.exists()


def test_a_file_that_is_not_a_zip_or_does_not_exist_is_reported(people: People, tmp_path: Path) -> None:
    report = register_import(path=write(tmp_path, "broken.zip", b"PK not really"), by=people.analyst)
    assert "not a readable zip file" in report.problems[0].message
    report = register_import(path=tmp_path / "missing.json", by=people.analyst)
    assert "no such file" in report.problems[0].message


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200))
def test_parsing_any_bytes_fails_only_with_a_message(data: bytes) -> None:
    try:
        exchange.parse_document(data)
    except ValueError as error:
        message = str(error)
    else:
        message = "parsed"
    assert message


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON, st.sampled_from(["title", "serial", "details", "sources", "credits", "concern_scores", "id", "status"]))
def test_any_value_in_any_field_is_a_reported_problem_or_valid(value: Any, name: str) -> None:
    problems = exchange.document_problems(minimal(**{name: value}))
    for where, message in problems:
        assert where == "" or where.startswith("/")
        assert message
