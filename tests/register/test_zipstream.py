"""The export's zip writer: readable by any zip reader, ZIP64 past 65,535 members, memory that does not grow."""

from __future__ import annotations

import tracemalloc
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from nonpro.register.exchange.zipstream import StreamingZipWriter

WHEN = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def test_members_read_back_with_their_names_contents_and_times(tmp_path: Path) -> None:
    target = tmp_path / "all.zip"
    members = {
        "RSD-2026-00001.json": b'{"id": "RSD-2026-00001"}\n',
        "ünïcode-名前.json": "Synthetic example ✓".encode(),
    }
    with StreamingZipWriter(target) as archive:
        for name, data in members.items():
            archive.write(name, data, WHEN)

    with zipfile.ZipFile(target) as archive:
        assert archive.testzip() is None  # every CRC checks
        assert archive.namelist() == list(members)
        for name, data in members.items():
            assert archive.read(name) == data
            info = archive.getinfo(name)
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert info.date_time == (2026, 3, 4, 5, 6, 0)
            assert (info.external_attr >> 16) & 0o777 == 0o644


def test_the_same_members_give_the_same_bytes(tmp_path: Path) -> None:
    for name in ("a.zip", "b.zip"):
        with StreamingZipWriter(tmp_path / name) as archive:
            archive.write("x.json", b"{}\n", WHEN)
            archive.write("y.json", b"[]\n", WHEN)
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


def test_more_than_65535_members_use_zip64_and_memory_stays_flat(tmp_path: Path) -> None:
    target = tmp_path / "many.zip"
    count = 70_000
    tracemalloc.start()
    try:
        with StreamingZipWriter(target) as archive:
            for number in range(count):
                archive.write(f"{number:06d}.json", b'{"n": %d}\n' % number, WHEN)
                if number == 1_000:
                    early = tracemalloc.get_traced_memory()[1]
            late = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert late - early < 256 * 1024  # not ~600 bytes per member, as zipfile keeps

    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        assert len(names) == count
        assert names[-1] == f"{count - 1:06d}.json"
        assert archive.read(names[-1]) == b'{"n": %d}\n' % (count - 1)


def test_a_failed_export_leaves_no_half_written_directory(tmp_path: Path) -> None:
    target = tmp_path / "broken.zip"
    try:
        with StreamingZipWriter(target) as archive:
            archive.write("a.json", b"{}", WHEN)
            raise RuntimeError("Synthetic example: the export failed")
    except RuntimeError:
        pass
    assert not zipfile.is_zipfile(target)  # no central directory: no reader takes it for a complete zip
