"""A zip writer whose memory does not grow with the number of members.

Python's ``zipfile`` keeps one ``ZipInfo`` per member until it writes the central directory at
the end (about 600 bytes each: 60 MB for 100,000 entries). Here each member's central-directory
record is written to a temporary file as the member is added, and copied after the last member;
ZIP64 records are added when the count, the sizes or the offsets need them (more than 65,535
members, or more than 4 GiB). Members are deflated, named in UTF-8, with their modification time
to the minute (as the export has always written them) and permissions 0644; the output is the
same for the same members in the same order. Any zip reader reads it (tests use ``zipfile``).
"""

from __future__ import annotations

import shutil
import struct
import tempfile
import zlib
from datetime import datetime
from pathlib import Path
from types import TracebackType

_LOCAL = 0x04034B50
_CENTRAL = 0x02014B50
_END = 0x06054B50
_END64 = 0x06064B50
_LOCATOR64 = 0x07064B50
_UTF8 = 0x0800
_DEFLATED = 8
_VERSION = 45  # 4.5: ZIP64
_MADE_BY = (3 << 8) | _VERSION  # Unix
_LIMIT16 = 0xFFFF
_LIMIT32 = 0xFFFFFFFF
_PERMISSIONS = 0o100644 << 16


def _dos_time(when: datetime) -> tuple[int, int]:
    year = min(max(when.year, 1980), 2107)
    date = ((year - 1980) << 9) | (when.month << 5) | when.day
    time = (when.hour << 11) | (when.minute << 5)
    return time, date


class StreamingZipWriter:
    """``with StreamingZipWriter(path) as archive: archive.write(name, data, modified)``."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("wb")
        self._directory = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self._count = 0

    def __enter__(self) -> StreamingZipWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None:
            self.close()
        else:
            self._file.close()
            self._directory.close()

    def write(self, name: str, data: bytes, modified: datetime) -> None:
        """Add one member (deflated) named ``name`` holding ``data``."""
        encoded = name.encode("utf-8")
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        packed = compressor.compress(data) + compressor.flush()
        crc = zlib.crc32(data)
        time, date = _dos_time(modified)
        offset = self._file.tell()
        header = struct.pack(
            "<IHHHHHIIIHH", _LOCAL, _VERSION, _UTF8, _DEFLATED, time, date, crc, len(packed), len(data), len(encoded), 0
        )
        self._file.write(header + encoded + packed)
        extra = b""
        stored_offset = offset
        if offset >= _LIMIT32:
            extra = struct.pack("<HHQ", 0x0001, 8, offset)
            stored_offset = _LIMIT32
        record = struct.pack(
            "<IHHHHHHIIIHHHHHII",
            _CENTRAL,
            _MADE_BY,
            _VERSION,
            _UTF8,
            _DEFLATED,
            time,
            date,
            crc,
            len(packed),
            len(data),
            len(encoded),
            len(extra),
            0,
            0,
            0,
            _PERMISSIONS,
            stored_offset,
        )
        self._directory.write(record + encoded + extra)
        self._count += 1

    def close(self) -> None:
        """Write the central directory (and the ZIP64 end records when needed) and close the file."""
        start = self._file.tell()
        self._directory.seek(0)
        shutil.copyfileobj(self._directory, self._file)
        size = self._file.tell() - start
        if self._count >= _LIMIT16 or start >= _LIMIT32 or size >= _LIMIT32:
            end64 = self._file.tell()
            self._file.write(
                struct.pack("<IQHHIIQQQQ", _END64, 44, _MADE_BY, _VERSION, 0, 0, self._count, self._count, size, start)
            )
            self._file.write(struct.pack("<IIQI", _LOCATOR64, 0, end64, 1))
        count16 = min(self._count, _LIMIT16)
        self._file.write(
            struct.pack("<IHHHHIIH", _END, 0, 0, count16, count16, min(size, _LIMIT32), min(start, _LIMIT32), 0)
        )
        self._file.close()
        self._directory.close()
