"""BibTeX reader (format "bibtex"), tolerant of what reference managers and hand-written files do.

The stream is read in pieces (lines, cut at ``_PIECE`` bytes) and split into entries by brace depth as it
goes (``_Splitter``): ``@type{key, name = {…} | "…" | bare, …}`` or ``@type(…)``. Each entry is then parsed
on its own: ``@string`` macros are applied (and the month macros ``jan`` … ``dec``), ``#`` concatenates,
a missing comma between fields is forgiven, ``@comment`` and ``@preamble`` are skipped. Values lose their
LaTeX (accents to Unicode, ``--`` to a dash, ``~`` to a space, braces dropped).

An entry that never ends (unbalanced braces) is a Problem at the line where it starts; a line that starts a
new entry (``@article{``) ends it, so the entries after it are still read.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from nonpro.scanning.readers.base import ReadItem, problem, source
from nonpro.scanning.readers.ris import MONTHS, date_parts, iso_date, month_number
from nonpro.scanning.records import (
    Author,
    Identifiers,
    Problem,
    Record,
    clean_text,
    normalize_arxiv,
    normalize_doi,
    normalize_pmcid,
    normalize_pmid,
    unique,
)

FORMAT = "bibtex"

#: Bytes read at most at once (a line longer than this is read in several pieces).
_PIECE = 64 * 1024
#: An entry longer than this (characters) is given up: its braces cannot be balanced in any real file.
_MAX_ENTRY = 4 * 1024 * 1024
_ENTRY_START = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]")
#: Fields that are links or identifiers: no LaTeX conversion (a "~" in a url is no space).
_VERBATIM = frozenset({"url", "doi", "eprint", "arxivid", "pmid", "pmcid", "howpublished"})
_BODY_SPECIAL = re.compile(r'[{}()"]')
_SKIPPED = frozenset({"comment", "preamble"})
_KINDS = {
    "article": "article",
    "inproceedings": "conference-paper",
    "conference": "conference-paper",
    "proceedings": "conference-paper",
    "book": "book",
    "inbook": "book",
    "incollection": "book",
    "booklet": "book",
    "mvbook": "book",
    "collection": "book",
    "techreport": "report",
    "report": "report",
    "phdthesis": "thesis",
    "mastersthesis": "thesis",
    "thesis": "thesis",
    "patent": "patent",
    "dataset": "dataset",
    "data": "dataset",
}
_PMID_TEXT = re.compile(r"\bPMID\s*:?\s*(\d{1,9})\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(\d{4})\b")

# ---------------------------------------------------------------- LaTeX → Unicode

_COMBINING = {
    '"': "\u0308",
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
    "d": "\u0323",
    "b": "\u0331",
}
_SYMBOL_ACCENT = re.compile(r"""\\(["'`^~=.])\s*(?:\{\s*(\\[ij]|[A-Za-z])\s*\}|(\\[ij]|[A-Za-z]))""")
_LETTER_ACCENT = re.compile(r"\\([uvHckrdb])(?:\s*\{\s*(\\[ij]|[A-Za-z])\s*\}|\s+(\\[ij]|[A-Za-z])(?![A-Za-z]))")
#: Escaped characters, kept apart (private-use stand-ins) until braces and math are removed.
_STANDIN = {"{": "\ue000", "}": "\ue001", "$": "\ue002", "~": "\ue003", "\\": "\ue004"}
_ESCAPE = re.compile(r"\\([{}$&%#_~^ ,\-])")
_COMMAND = re.compile(r"\\([A-Za-z]+)(?: |\{\})?")
_SYMBOLS = {
    "ss": "ß",
    "o": "ø",
    "O": "Ø",
    "aa": "å",
    "AA": "Å",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
    "j": "ȷ",
    "dh": "ð",
    "DH": "Ð",
    "th": "þ",
    "TH": "Þ",
    "dj": "đ",
    "DJ": "Đ",
    "ng": "ŋ",
    "NG": "Ŋ",
    "textquotesingle": "'",
    "textquotedbl": '"',
    "textbackslash": _STANDIN["\\"],
    "textendash": "–",
    "textemdash": "—",
    "ldots": "…",
    "dots": "…",
    "textdegree": "°",
    "S": "§",
    "pm": "±",
    "times": "×",
    "leq": "≤",
    "geq": "≥",
    **{
        name: chr(0x3B1 + index)
        for index, name in enumerate(
            [
                "alpha",
                "beta",
                "gamma",
                "delta",
                "epsilon",
                "zeta",
                "eta",
                "theta",
                "iota",
                "kappa",
                "lambda",
                "mu",
                "nu",
                "xi",
                "omicron",
                "pi",
                "rho",
                "varsigma",
                "sigma",
                "tau",
                "upsilon",
                "phi",
                "chi",
                "psi",
                "omega",
            ]
        )
    },
    **{
        name: chr(0x391 + index)
        for index, name in enumerate(
            [
                "Alpha",
                "Beta",
                "Gamma",
                "Delta",
                "Epsilon",
                "Zeta",
                "Eta",
                "Theta",
                "Iota",
                "Kappa",
                "Lambda",
                "Mu",
                "Nu",
                "Xi",
                "Omicron",
                "Pi",
                "Rho",
                "_",
                "Sigma",
                "Tau",
                "Upsilon",
                "Phi",
                "Chi",
                "Psi",
                "Omega",
            ]
        )
    },
}


def _accent(match: re.Match[str]) -> str:
    base = match.group(2) or match.group(3)
    letter = base[-1] if base.startswith("\\") else base
    return unicodedata.normalize("NFC", letter + _COMBINING[match.group(1)])


def latex_to_text(value: str) -> str:
    """Return a BibTeX value as plain text: accents ({\\"u}, \\'e, \\c{c} …) and symbols (\\ss, \\o …) as
    Unicode, ``--``/``---`` as dashes, ``~`` as a space, ``\\&`` as &, math dollars and braces removed.
    """
    text = value.replace("\\\\", " ")
    text = _SYMBOL_ACCENT.sub(_accent, text)
    text = _LETTER_ACCENT.sub(_accent, text)
    text = _ESCAPE.sub(lambda match: _STANDIN.get(match.group(1), match.group(1).strip(",-")), text)
    text = _COMMAND.sub(lambda match: _SYMBOLS.get(match.group(1), ""), text)
    text = text.replace("\\", "").replace("---", "—").replace("--", "–").replace("~", " ").replace("$", "")
    text = text.replace("{", "").replace("}", "")
    for char, standin in _STANDIN.items():
        text = text.replace(standin, char)
    return clean_text(text)


# ---------------------------------------------------------------- splitting the stream into entries


@dataclass(slots=True)
class _Raw:
    """An entry as cut from the stream: its type, the text between its delimiters, the line of its "@"."""

    kind: str
    body: str
    line: int


@dataclass(slots=True)
class _Splitter:
    """Cut the text, fed piece by piece, into entries by brace depth (constant memory but for one entry)."""

    line: int = 1
    state: str = "outside"  # outside → type (after "@") → body (after "{" or "(") → outside
    kind: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    size: int = 0
    start: int = 0
    closer: str = "}"
    depth: int = 0
    quoted: bool = False
    comment: bool = False
    at_line_start: bool = True

    def feed(self, text: str) -> Iterator[_Raw | Problem]:
        """Yield the entries ``text`` (a line, or a piece of one) completes, and a Problem for an entry that a
        new one cuts short. Ordinary characters are skipped or copied in runs, not one by one.
        """
        if self.at_line_start and self.state == "body" and _ENTRY_START.match(text):
            yield self._unended("the entry does not end (unbalanced braces) before the next entry")
        index = 0
        while index < len(text):
            if self.state == "outside":
                index = text.find("@", index)
                if index < 0:
                    break
                self.state, self.start = "type", self.line
            elif self.state == "type":
                self._type_char(text[index])
            else:
                special = _BODY_SPECIAL.search(text, index)
                end = special.start() if special else len(text)
                if end > index:
                    self.body.append(text[index:end])
                    self.size += end - index
                    index = end
                    continue
                yield from self._body_char(text[index])
            index += 1
        if text.endswith("\n"):
            self.line += 1
        self.at_line_start = text.endswith("\n")
        if self.size > _MAX_ENTRY:
            yield self._unended(f"the entry is longer than {_MAX_ENTRY} characters (unbalanced braces?)")

    def finish(self) -> Iterator[Problem]:
        """Yield a Problem for an entry still open at the end of the file."""
        if self.state == "body":
            yield self._unended("the entry does not end (unbalanced braces) before the end of the file")

    def _unended(self, reason: str) -> Problem:
        self._reset()
        return problem("", f"line {self.start}", reason)

    def _reset(self) -> None:
        self.state, self.kind, self.body, self.size = "outside", [], [], 0
        self.depth, self.quoted, self.comment = 0, False, False

    def _type_char(self, char: str) -> None:
        """Read the entry type after "@": letters, with spaces and %-comments tolerated, up to "{" or "("."""
        if self.comment:
            self.comment = char != "\n"
        elif char == "%":
            self.comment = True
        elif char.isalnum() or char in "_-":
            self.kind.append(char)
        elif char in "{(" and self.kind:
            self.state, self.closer = "body", "}" if char == "{" else ")"
        elif not char.isspace():
            self._reset()  # an "@" in text (an e-mail address): no entry

    def _body_char(self, char: str) -> Iterator[_Raw | Problem]:
        if char == "{":
            self.depth += 1
        elif char == "}" and self.depth:
            self.depth -= 1
        elif char == '"' and self.depth == 0 and self.closer == ")":
            self.quoted = not self.quoted
        elif char == self.closer and self.depth == 0 and not self.quoted:
            entry = _Raw("".join(self.kind).lower(), "".join(self.body), self.start)
            self._reset()
            yield entry
            return
        self.body.append(char)
        self.size += 1


def _pieces(stream: IO[bytes]) -> Iterator[str]:
    """Yield the stream's text line by line (a long line in pieces): UTF-8, or Windows-1252 where it is not."""
    carry = b""
    first = True
    while raw := stream.readline(_PIECE):
        data = carry + raw
        carry = b""
        if not data.endswith(b"\n"):
            data, carry = _split_utf8(data)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
        if first:
            text, first = text.removeprefix("\ufeff"), False
        yield text
    if carry:
        yield carry.decode("cp1252", errors="replace")


def _split_utf8(data: bytes) -> tuple[bytes, bytes]:
    """Split ``data`` before a UTF-8 sequence its end cuts in two (so that each part decodes)."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 == 0xC0:  # the lead byte of a sequence
            length = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return (data[:-back], data[-back:]) if length > back else (data, b"")
        if byte & 0x80 == 0:
            break
    return data, b""


# ---------------------------------------------------------------- parsing one entry


class _BadEntry(ValueError):
    """The entry's text cannot be parsed (the message says why)."""


@dataclass(slots=True)
class _Parser:
    """Parse the fields of one entry's text; ``macros`` are the @string definitions read so far."""

    text: str
    macros: dict[str, str]
    pos: int = 0

    def key(self) -> str:
        """Return the entry key (the text before the first comma), or "" when the entry starts with a field."""
        depth = 0
        for index, char in enumerate(self.text):
            depth += (char == "{") - (char == "}")
            if depth == 0 and char in ",=":
                if char == "=":
                    return ""
                self.pos = index + 1
                return self.text[:index].strip()
        self.pos = len(self.text)
        return self.text.strip()

    def fields(self) -> dict[str, str]:
        """Return the fields (names lower-cased; the first of a repeated name wins), values unconverted."""
        found: dict[str, str] = {}
        while True:
            self._skip(" \t\r\n,")
            if self.pos >= len(self.text):
                return found
            name = self._name()
            self._skip(" \t\r\n")
            if not self._take("="):
                continue  # a name without a value (a stray word): skipped
            found.setdefault(name.lower(), self._value())

    def _skip(self, chars: str) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in chars:
            self.pos += 1

    def _take(self, char: str) -> bool:
        if self.text.startswith(char, self.pos):
            self.pos += 1
            return True
        return False

    def _name(self) -> str:
        match = re.compile(r'[^\s=,{}"#]+').match(self.text, self.pos)
        if match is None:
            raise _BadEntry(f"unexpected {self.text[self.pos]!r} where a field name should be")
        self.pos = match.end()
        return match.group(0)

    def _value(self) -> str:
        """Return a value: parts ({…}, "…", a number or a macro) joined by "#"."""
        parts = []
        while True:
            self._skip(" \t\r\n")
            parts.append(self._part())
            self._skip(" \t\r\n")
            if not self._take("#"):
                return "".join(parts)

    def _part(self) -> str:
        if self._take("{"):
            return self._until_closing("}")
        if self._take('"'):
            return self._until_closing('"')
        match = re.compile(r'[^\s,#{}"=]+').match(self.text, self.pos)
        if match is None:
            raise _BadEntry("a field has no value")
        self.pos = match.end()
        word = match.group(0)
        return word if word.isdigit() else self.macros.get(word.lower(), word)

    def _until_closing(self, closer: str) -> str:
        """Return the text up to ``closer`` at brace depth 0 (braces inside stay), and step past it."""
        depth, start = 0, self.pos
        for index in range(start, len(self.text)):
            char = self.text[index]
            if char == closer and depth == 0:
                self.pos = index + 1
                return self.text[start:index]
            depth += (char == "{") - (char == "}")
        raise _BadEntry("a value does not end (unbalanced braces or quotes)")


def read(stream: IO[bytes], path: str) -> Iterator[ReadItem]:
    """Yield each BibTeX entry of ``stream`` as a Record (or a Problem for one that cannot be read)."""
    macros = {name[:3]: name.capitalize() for name in MONTHS}
    splitter = _Splitter()
    for text in _pieces(stream):
        for item in splitter.feed(text):
            yield from _handle(item, path, macros)
    for item in splitter.finish():
        yield from _handle(item, path, macros)


def _handle(item: _Raw | Problem, path: str, macros: dict[str, str]) -> Iterator[ReadItem]:
    """Turn what the splitter gives into records and problems (and learn the @string macros)."""
    if isinstance(item, Problem):
        yield problem(path, item.position, item.reason)
        return
    if item.kind in _SKIPPED:
        return
    parser = _Parser(item.body, macros)
    position = f"line {item.line}"
    try:
        if item.kind == "string":
            macros.update(parser.fields())
            return
        key = parser.key()
        fields = parser.fields()
    except _BadEntry as error:
        yield problem(path, position, str(error))
        return
    if not fields:
        yield problem(path, position, f"the @{item.kind} entry {key!r} has no fields")
        return
    yield _record(item.kind, key, fields, path, position)


def _verbatim(value: str) -> str:
    """Return a link or identifier as written: braces and escapes dropped, nothing else converted (a "~" stays)."""
    return clean_text(_ESCAPE.sub(lambda match: match.group(1), value).replace("{", "").replace("}", ""))


def _record(kind: str, key: str, raw: dict[str, str], path: str, position: str) -> ReadItem:
    values = {name: _verbatim(value) if name in _VERBATIM else latex_to_text(value) for name, value in raw.items()}
    ids = _identifiers(key, values)
    title = values.get("title") or values.get("shorttitle", "")
    if not title and not ids.global_keys():
        return problem(path, position, "no title and no identifier")
    url = values.get("url") or (values.get("howpublished", "") if "://" in values.get("howpublished", "") else "")
    return Record(
        ids=ids,
        title=title,
        abstract=values.get("abstract", ""),
        authors=_authors(raw.get("author", "")),
        venue=next(
            (
                values[name]
                for name in ("fjournal", "journal", "journaltitle", "booktitle", "series")
                if values.get(name)
            ),
            "",
        ),
        date=_date(values),
        language=values.get("language", ""),
        keywords=unique(re.split(r"[;,]", values.get("keywords", ""))),
        kind=_kind(kind, values, ids),
        url=url,
        source=source(path, FORMAT, position),
    )


def _identifiers(key: str, values: dict[str, str]) -> Identifiers:
    """Return the ids: doi (or a doi.org url), pmid (or "PMID: n" in a note), pmcid, the arXiv eprint, the key."""
    doi = normalize_doi(values.get("doi", ""))
    if not doi and "doi.org/" in values.get("url", "").lower():
        doi = normalize_doi(values["url"])
    pmid = values.get("pmid", "")
    if not pmid.isdigit():
        notes = " ".join(values.get(name, "") for name in ("note", "annote", "annotation", "pmid"))
        match = _PMID_TEXT.search(notes)
        pmid = match.group(1) if match else ""
    prefix = (values.get("archiveprefix") or values.get("eprinttype", "")).lower()
    arxiv = normalize_arxiv(values.get("eprint", "")) if prefix == "arxiv" else ""
    return Identifiers(
        doi=doi,
        pmid=normalize_pmid(pmid),
        pmcid=normalize_pmcid(values.get("pmcid", "")),
        arxiv=arxiv or normalize_arxiv(values.get("arxivid", "")),
        source_id=clean_text(key),
    )


def _authors(value: str) -> tuple[Author, ...]:
    """Return the authors of an ``author`` value: split on "and" outside braces, names as given
    ("Last, First" or "First Last"), braces and LaTeX removed; "others" (et al.) is no author.
    """
    names, depth, start = [], 0, 0
    for match in re.finditer(r"[{}]|\s+and\s+", value, flags=re.IGNORECASE):
        found = match.group(0)
        if found in "{}":
            depth += 1 if found == "{" else -1
        elif depth == 0:
            names.append(value[start : match.start()])
            start = match.end()
    names.append(value[start:])
    cleaned = unique(latex_to_text(name) for name in names)
    return tuple(Author(name=name) for name in cleaned if name.lower() != "others")


def _date(values: dict[str, str]) -> str:
    """Return the date: biblatex ``date``, else ``year`` with ``month`` (a name or number) and ``day``."""
    if values.get("date"):
        return iso_date(*date_parts(values["date"]))
    year = _YEAR.search(values.get("year", ""))
    if year is None:
        return ""
    month_text = values.get("month", "")
    month = int(month_text) if month_text.isdigit() else month_number(month_text.split()[0] if month_text else "")
    day = values.get("day", "")
    return iso_date(year.group(1), month, int(day) if day.isdigit() else 0)


def _kind(entry_type: str, values: dict[str, str], ids: Identifiers) -> str:
    """Return the kind the entry type says; an arXiv eprint not published in a journal is a preprint."""
    kind = _KINDS.get(entry_type, "other")
    if ids.arxiv and kind in ("other", "article") and not values.get("journal"):
        return "preprint"
    return kind
