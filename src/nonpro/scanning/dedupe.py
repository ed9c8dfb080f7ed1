"""Deduplication across sources and over time: identifiers first, then near-identical titles.

``DedupeIndex.add(record)`` says whether the record duplicates one added before and returns its
number in the index. Two records are duplicates when

1. they share an identifier (DOI, PMID, PMCID, arXiv id, OpenAlex id — normalised), or
2. their titles are the same once folded (case, accents, punctuation, spacing), or nearly the
   same: MinHash over the character 3-grams of the folded titles, locality-sensitive hashing in
   ``BANDS`` bands of ``ROWS`` rows to find candidates, and an estimated Jaccard similarity of at
   least ``threshold`` to confirm. Titles shorter than ``MIN_TITLE`` characters ("Editorial",
   "Introduction") never match by title alone; two records that both carry a DOI and differ in
   it are never duplicates by title (a DOI names one work).

State per record: a few 64-bit keys and a 32-value signature of 16-bit minima (64 bytes), the
per-record numbers in arrays, a bucket holding one record as a plain number, so that a million
records take a few hundred megabytes at most; everything is deterministic (no Python ``hash``),
so that the same input gives the same answer in every process. ``groups()`` gives, for each group
of duplicates, the richest record (``Record.richness``) and the others, linked.
"""

from __future__ import annotations

import hashlib
import zlib
from array import array
from dataclasses import dataclass, field

import numpy as np

from nonpro.scanning.records import Record, title_key

BANDS = 4
ROWS = 8
PERMUTATIONS = BANDS * ROWS
SHINGLE = 3
#: Folded titles shorter than this never match by title alone.
MIN_TITLE = 25
DEFAULT_THRESHOLD = 0.8
_rng = np.random.default_rng(1540)  # fixed: the permutations must be the same everywhere
#: Multiply-shift hashing (a·x + b modulo 2^64, odd a): one hash function per permutation.
_A = _rng.integers(1, np.iinfo(np.uint64).max, size=PERMUTATIONS, dtype=np.uint64, endpoint=True) | np.uint64(1)
_B = _rng.integers(0, np.iinfo(np.uint64).max, size=PERMUTATIONS, dtype=np.uint64, endpoint=True)


def _key64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def _crc_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``zlib.crc32`` of a 3-byte string as three tables, one per byte: T0[a] ^ T1[b] ^ T2[c].

    CRC-32 is affine in its input, so each byte's share can be computed alone (with zeros for the
    others) and the constant part is kept once, in the last table.
    """
    zero = zlib.crc32(bytes(3))
    first = [zlib.crc32(bytes((byte, 0, 0))) ^ zero for byte in range(256)]
    second = [zlib.crc32(bytes((0, byte, 0))) ^ zero for byte in range(256)]
    third = [zlib.crc32(bytes((0, 0, byte))) for byte in range(256)]
    return tuple(np.array(table, dtype=np.uint64) for table in (first, second, third))  # type: ignore[return-value]


_CRC0, _CRC1, _CRC2 = _crc_tables()


def _ascii_gram_hashes(text: str) -> np.ndarray:
    """Return ``zlib.crc32`` of every 3-gram of the ASCII ``text`` (3 characters or more), repeats included."""
    codes = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    hashes: np.ndarray = _CRC0[codes[:-2]] ^ _CRC1[codes[1:-1]] ^ _CRC2[codes[2:]]
    return hashes


def signature(folded_title: str) -> np.ndarray:
    """Return the MinHash signature (``PERMUTATIONS`` 16-bit minima) of a folded title's 3-grams."""
    text = f" {folded_title} "
    if text.isascii() and len(text) >= SHINGLE:
        hashes = _ascii_gram_hashes(text)  # as below, without a call per gram (repeats change no minimum)
    else:
        grams = {text[index : index + SHINGLE] for index in range(max(1, len(text) - SHINGLE + 1))}
        hashes = np.fromiter((zlib.crc32(gram.encode()) for gram in grams), dtype=np.uint64, count=len(grams))
    # a·x + b (wrapping at 2^64) for every permutation and 3-gram; the minimum per permutation,
    # kept as its top 16 bits.
    mixed: np.ndarray = _A[:, None] * hashes  # array arithmetic wraps silently
    mixed += _B[:, None]
    minima: np.ndarray = mixed.min(axis=1)
    return (minima >> np.uint64(48)).astype(np.uint16)


def similarity(first: np.ndarray, second: np.ndarray) -> float:
    """Return the Jaccard similarity estimated from two signatures."""
    return float(np.count_nonzero(first == second)) / PERMUTATIONS


@dataclass(frozen=True, slots=True)
class Duplicate:
    """Record ``number`` duplicates record ``of`` (numbers in the order added), found by ``reason``."""

    number: int
    of: int
    reason: str  # "doi", "pmid", … or "title" (folded titles equal) or "similar title"


@dataclass
class Group:
    """Duplicates of one work: the richest record (kept) and the others."""

    kept: int
    others: list[int] = field(default_factory=list)


class DedupeIndex:
    """Find each record's earlier duplicate, streaming; see the module docstring for the rules."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, *, keep_records: bool = False) -> None:
        self.threshold = threshold
        self._ids: dict[int, int] = {}
        self._titles: dict[int, int] = {}
        # A band's rows (as bytes) → the record in that bucket, or the records when there are several.
        self._bands: list[dict[bytes, int | list[int]]] = [{} for _ in range(BANDS)]
        self._signatures = np.zeros((1024, PERMUTATIONS), dtype=np.uint16)
        # Per record, in compact arrays (8 bytes each, no Python object per record):
        self._dois = array("Q")  # record number → DOI key (0: none), for the DOI guard
        self._group_of = array("q")  # record number → number of the first record of its group
        self._richness = array("q")
        self._records: list[Record] | None = [] if keep_records else None

    def __len__(self) -> int:
        return len(self._group_of)

    def add(self, record: Record, *, richness: int | None = None) -> Duplicate | None:
        """Index ``record``; return how it duplicates an earlier record, or None when it is new.

        ``richness`` replaces ``record.richness()`` for a record made light after reading.
        """
        number = len(self._group_of)
        found = self._by_identifier(record, number) or self._by_title(record, number)
        self._remember(record, number, found, record.richness() if richness is None else richness)
        return found

    def _by_identifier(self, record: Record, number: int) -> Duplicate | None:
        found: Duplicate | None = None
        for key in record.ids.global_keys():
            hashed = _key64(key)
            earlier = self._ids.get(hashed)
            if earlier is None:
                self._ids[hashed] = number
            elif found is None:
                found = Duplicate(number, earlier, key.split(":", 1)[0])
        return found

    def _doi_conflict(self, record: Record, earlier: int) -> bool:
        mine = _key64(record.ids.doi) if record.ids.doi else 0
        theirs = self._dois[earlier]
        return bool(mine and theirs and mine != theirs)

    def _by_title(self, record: Record, number: int) -> Duplicate | None:
        folded = title_key(record.title)
        if len(folded) < MIN_TITLE:
            self._store_signature(number, None)
            return None
        hashed = _key64(folded)
        earlier = self._titles.get(hashed)
        if earlier is not None and not self._doi_conflict(record, earlier):
            self._store_signature(number, None)
            return Duplicate(number, earlier, "title")
        self._titles.setdefault(hashed, number)
        mine = signature(folded)
        best: tuple[float, int] | None = None
        rows = mine.tobytes()
        width = len(rows) // BANDS
        for band, buckets in enumerate(self._bands):
            bucket = rows[band * width : (band + 1) * width]  # the band's rows themselves: no hash to collide
            members = buckets.get(bucket)
            if members is None:
                buckets[bucket] = number
                continue
            for candidate in (members,) if isinstance(members, int) else members:
                score = similarity(mine, self._signatures[candidate])
                better = score >= self.threshold and (best is None or score > best[0])
                if better and not self._doi_conflict(record, candidate):
                    best = (score, candidate)
            if isinstance(members, int):
                buckets[bucket] = [members, number]
            else:
                members.append(number)
        self._store_signature(number, mine)
        return Duplicate(number, best[1], "similar title") if best is not None else None

    def _store_signature(self, number: int, mine: np.ndarray | None) -> None:
        if number >= len(self._signatures):
            grown = np.zeros((len(self._signatures) * 2, PERMUTATIONS), dtype=np.uint16)
            grown[: len(self._signatures)] = self._signatures
            self._signatures = grown
        if mine is not None:
            self._signatures[number] = mine

    def _remember(self, record: Record, number: int, found: Duplicate | None, richness: int) -> None:
        self._group_of.append(self._group_of[found.of] if found is not None else number)
        self._richness.append(richness)
        self._dois.append(_key64(record.ids.doi) if record.ids.doi else 0)
        if self._records is not None:
            self._records.append(record)

    def groups(self) -> list[Group]:
        """Return every group of two or more records, with the richest kept (the first of equals)."""
        members: dict[int, list[int]] = {}
        for number, first in enumerate(self._group_of):
            members.setdefault(first, []).append(number)
        groups = []
        for numbers in members.values():
            if len(numbers) < 2:
                continue
            kept = max(numbers, key=lambda number: (self._richness[number], -number))
            groups.append(Group(kept=kept, others=[number for number in numbers if number != kept]))
        return groups

    def record(self, number: int) -> Record:
        if self._records is None:
            raise ValueError("The index was made without keep_records=True")
        return self._records[number]
