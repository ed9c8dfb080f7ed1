"""What every reader shares: opening files (gzip transparent), safe XML, and the reader signature.

A reader is a function ``read(stream, path) -> Iterator[Record | Problem]``: it reads the binary
``stream`` (already un-gzipped) as it goes — never the whole file at once, except formats that
are one JSON document (bounded by ``MAX_JSON_BYTES``) — and yields each record with its
``Source`` (file, format, position), or a ``Problem`` for a record it cannot read, then goes on.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, cast

from lxml import etree

from nonpro.scanning.records import Problem, Record, Source

ReadItem = Record | Problem
Reader = Callable[[IO[bytes], str], Iterator[ReadItem]]

GZIP_MAGIC = b"\x1f\x8b"
#: A single JSON document (not JSON Lines) larger than this is refused: use JSON Lines for more.
MAX_JSON_BYTES = 256 * 1024 * 1024


def open_binary(path: str | Path) -> IO[bytes]:
    """Open ``path`` for reading bytes; a gzip file (by its magic bytes, whatever its name) is un-gzipped."""
    raw = open(path, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    head = raw.peek(2)[:2] if isinstance(raw, io.BufferedReader) else b""
    if head == GZIP_MAGIC:
        # Closing the gzip stream does not close ``raw``: ``opened`` closes both.
        return cast("IO[bytes]", gzip.GzipFile(fileobj=raw, mode="rb"))
    return raw


class opened:  # a context manager named like ``open``
    """``with opened(path) as stream``: ``open_binary`` that closes the file underneath a gzip stream too."""

    def __init__(self, path: str | Path) -> None:
        self.path = path
        self.stream: IO[bytes] | None = None

    def __enter__(self) -> IO[bytes]:
        self.stream = open_binary(self.path)
        return self.stream

    def __exit__(self, *exc: object) -> None:
        if self.stream is None:
            return
        inner = getattr(self.stream, "fileobj", None)
        self.stream.close()
        if inner is not None:
            inner.close()


def source(path: str, fmt: str, position: str) -> Source:
    return Source(path=path, format=fmt, position=position)


def problem(path: str, position: str, reason: str) -> Problem:
    return Problem(path=path, position=position, reason=reason)


def iter_xml(stream: IO[bytes], tags: tuple[str, ...]) -> Iterator[tuple[Any, int]]:
    """Yield each element whose (namespace-free) tag is in ``tags`` as it ends, with its line; then free it.

    Safe on untrusted input: no DTD is loaded, no entity is resolved (an entity-expansion bomb stays
    a reference), nothing is fetched from the network, and no huge-tree limits are lifted. A fatal
    syntax error raises ``etree.XMLSyntaxError`` (its ``lineno`` says where); the elements read
    before it have been yielded.
    """
    context = etree.iterparse(
        stream,
        events=("end",),
        tag=tuple(f"{{*}}{name}" for name in tags),  # only these reach Python: any namespace
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    for _event, element in context:
        yield element, element.sourceline or 0
        # Free what was read: the element, and the siblings before it that are done.
        element.clear(keep_tail=False)
        parent = element.getparent()
        if parent is not None:
            while element.getprevious() is not None:
                del parent[0]


def local(element: Any, name: str) -> Any:
    """Return the first direct child of ``element`` named ``name`` (any namespace), or None."""
    # iterchildren matches the tag in C, about twice as fast as find() with a "{*}" path.
    return next(element.iterchildren(f"{{*}}{name}"), None)


def kids(element: Any) -> dict[str, list[Any]]:
    """Return the direct child elements of ``element`` by local name (any namespace), in order; {} for None.

    One pass over the children is cheaper than a look-up per name when several are read.
    """
    found: dict[str, list[Any]] = {}
    if element is None:
        return found
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):  # an entity reference (comments and PIs are dropped by the parser)
            continue
        if tag[0] == "{":
            tag = tag[tag.index("}") + 1 :]
        group = found.get(tag)
        if group is None:
            found[tag] = [child]
        else:
            group.append(child)
    return found


def children(element: Any, name: str) -> list[Any]:
    """Return the direct children of ``element`` named ``name`` (any namespace)."""
    return list(element.iterfind(f"{{*}}{name}"))


def descendants(element: Any, name: str) -> list[Any]:
    """Return every element below ``element`` named ``name`` (any namespace), in document order."""
    return list(element.iterfind(f".//{{*}}{name}"))


def text_of(element: Any) -> str:
    """Return all the text inside ``element`` (markup such as <i> or <sup> dropped), or ""."""
    if element is None:
        return ""
    if not len(element):  # a leaf (most elements): its own text is all there is
        return element.text or ""
    return "".join(element.itertext())
