"""Synthetic literature files for the horizon tests, written into a test's ``tmp_path``.

Every record is synthetic ("Synthetic example: …") and about bland, policy-level topics (border
security, export licensing, crop science, bibliometrics): no record describes how to make,
acquire, enhance or deliver anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Ref:
    """One synthetic reference, as a RIS record."""

    title: str
    abstract: str = ""
    doi: str = ""
    year: str = "2024"
    venue: str = ""
    keywords: tuple[str, ...] = ()
    url: str = ""
    authors: tuple[str, ...] = ()


#: Put in a list of references: a RIS record with neither a title nor an identifier (the reader reports a problem).
BROKEN = None
_BROKEN_RECORD = "TY  - JOUR\nPY  - 2020\nKW  - Synthetic example\nER  - \n\n"


def ris_record(ref: Ref | None) -> str:
    if ref is None:
        return _BROKEN_RECORD
    lines = ["TY  - JOUR", f"TI  - {ref.title}"]
    lines += [f"AU  - {author}" for author in ref.authors]
    if ref.abstract:
        lines.append(f"AB  - {ref.abstract}")
    if ref.venue:
        lines.append(f"JO  - {ref.venue}")
    if ref.doi:
        lines.append(f"DO  - {ref.doi}")
    if ref.url:
        lines.append(f"UR  - {ref.url}")
    lines += [f"KW  - {keyword}" for keyword in ref.keywords]
    if ref.year:
        lines.append(f"PY  - {ref.year}")
    lines.append("ER  - ")
    return "\n".join(lines) + "\n\n"


def ris(refs: Iterable[Ref | None]) -> bytes:
    """Return a RIS file of ``refs``; ``None`` (``BROKEN``) writes a record the reader cannot use."""
    return "".join(ris_record(ref) for ref in refs).encode()


def ris_lines(refs: Iterable[Ref | None]) -> list[str]:
    """Return the position ("line N") the RIS reader gives each item of ``ris(refs)``."""
    positions, line = [], 1
    for ref in refs:
        positions.append(f"line {line}")
        line += ris_record(ref).count("\n")
    return positions


def write(directory: Path, name: str, data: bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(data)
    return path


def doi(number: int) -> str:
    """Return a DOI under Crossref's test prefix (10.5555), which names no real work."""
    return f"10.5555/synthetic.{number}"


def numbered(count: int, *, start: int = 1) -> list[Ref]:
    """Return ``count`` distinct synthetic references on bibliometrics, each with its own DOI."""
    topics = [
        "citation networks of agronomy journals",
        "open access uptake in soil science",
        "co-authorship across regional universities",
        "preprint servers and peer review delays",
        "journal impact indicators in hydrology",
        "funding acknowledgements in crop genetics",
        "retractions in food science literature",
        "language diversity of plant pathology abstracts",
        "data sharing statements in forestry papers",
        "gender balance of editorial boards",
        "conference proceedings in irrigation research",
        "altmetrics of horticulture studies",
    ]
    return [
        Ref(
            title=f"Synthetic example {number}: {topics[(number - 1) % len(topics)]}, study {number}",
            abstract=f"Synthetic example {number}: a bibliometric note on {topics[(number - 1) % len(topics)]}.",
            doi=doi(number),
        )
        for number in range(start, start + count)
    ]
