"""Full-text search of the register, in six languages, behind one selector (decisions 0006 and 0008).

The index: one ``EntrySearchDocument`` row per (entry, part, language) with the text of that part
of the entry's *current* values — what is published for a published entry; a pending edit is
never indexed — and copies of the entry's tier and the part's tier. ``reindex_entry`` rebuilds an
entry's rows inside every write (``services._record``).

Both engines see the same words: the text is normalised here (NFKC, case folded, diacritics and
Arabic tatweel removed) and split into words; Chinese, which has no spaces, is split into
overlapping character bigrams. SQLite matches these words with an FTS5 table
(``register_search_fts``, rowid = document id, tokenizer ``unicode61 remove_diacritics 2``);
PostgreSQL with a stored ``to_tsvector('simple', text)`` column and a GIN index on it. User input
is never passed as query syntax: it is reduced to words, each quoted; every word must match a
visible part of the entry (words of three or more characters also match as prefixes).

Visibility: a document matches only when the policy reaches both its entry's tier and its part's
tier (or the creator rule opens it) — decided on the row's own columns; the record part (the
identifier) is as visible as the entry. So a word that appears only in a part above the viewer's
tier gives no hit, no count and no snippet. Ranking: the sum of the part weights of the matching
visible documents (title and summary first), ties newest first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, overload

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import NotSupportedError, connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models import (
    BooleanField,
    Case,
    Expression,
    F,
    FloatField,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import Func
from django.db.models.functions import Cast, Coalesce, ExtractYear
from django.db.models.sql.compiler import SQLCompiler

from nonpro.core.policy import Tier, Viewer, visible_condition
from nonpro.register import taxonomy
from nonpro.register.models import (
    PUBLIC_STATUSES,
    Entry,
    EntryAlias,
    EntrySearchDocument,
    EntrySource,
    EntryTranslation,
)
from nonpro.register.selectors import (
    ASSIGNED_FIELD,
    AUTHOR_TIERS,
    entries_with_visible_part,
    may_author,
)

FTS_TABLE = "register_search_fts"
#: The language of a document that holds text in every platform language (ISO 639-2 "multiple languages").
MULTILINGUAL = "mul"
#: The pseudo-part holding facts about the record (the identifier): visible with the entry itself.
RECORD = "record"
#: The indexed parts and their weight in the ranking (title and summary count most).
WEIGHTS: dict[str, float] = {
    RECORD: 4.0,
    "title": 3.0,
    "summary": 2.0,
    "details": 1.0,
    "classification": 1.0,
    "assessment": 1.0,
    "sources": 0.5,
}
#: Documents in the language asked for weigh this much more.
LANGUAGE_BOOST = 1.25
MAX_QUERY_LENGTH = 200
MAX_TERMS = 16
#: Words of at least this many characters also match as prefixes ("secur" finds "security").
PREFIX_MIN = 3
#: Longer "words" are not indexed (PostgreSQL ignores words over 2047 bytes; none is a real word).
MAX_WORD = 100
#: The indexed text of one document is cut here (PostgreSQL's tsvector holds at most 1 MB).
MAX_DOCUMENT = 200_000

LANGUAGE_CODES: tuple[str, ...] = tuple(code for code, _name in settings.LANGUAGES)
CLASSIFICATION_KINDS = taxonomy.FIELD_KINDS

_WORD = re.compile(r"[^\W_]+")
TATWEEL = "\u0640"
#: The Chinese (and kana) characters: no spaces between words, so they are indexed as bigrams.
_CJK_CLASS = "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]"
#: One run of such characters (a capturing group: ``split`` keeps the runs at odd positions).
_CJK_RUN = re.compile(f"({_CJK_CLASS}+)")
_CJK_CHAR = re.compile(_CJK_CLASS)
_MARKS = frozenset({"Mn", "Me"})


# --- words: the same for the index, the queries and the snippets -----------------------------------------


def _fold(text: str) -> str:
    """Return ``text`` compatibility-normalised, without diacritics or tatweel, case folded."""
    if text.isascii():  # most text: normalisation changes nothing, no character is a mark
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if ch != TATWEEL and unicodedata.category(ch) not in _MARKS)
    return unicodedata.normalize("NFKC", stripped).casefold()


def is_cjk(char: str) -> bool:
    return _CJK_CHAR.match(char) is not None


def _runs(word: str) -> Iterable[tuple[bool, str]]:
    """Split a folded word into runs of Chinese (True) and other (False) characters."""
    if word.isascii():
        yield False, word
        return
    for position, run in enumerate(_CJK_RUN.split(word)):
        if run:
            yield position % 2 == 1, run


def _bigrams(run: str) -> list[str]:
    return [run[index : index + 2] for index in range(len(run) - 1)]


def index_words(text: str) -> list[str]:
    """Return the words of ``text`` as indexed: a Chinese run gives its bigrams and its last character."""
    words: list[str] = []
    for word in _WORD.findall(_fold(text)):
        for cjk, run in _runs(word):
            if cjk:
                # The last character alone too, so that a one-character query (a prefix) finds every character.
                words.extend([*_bigrams(run), run[-1]])
            elif len(run) <= MAX_WORD:
                words.append(run)
    return words


@dataclass(frozen=True)
class Term:
    """One word of a query; ``prefix`` when it also matches longer words."""

    text: str
    prefix: bool


def parse_query(q: str) -> list[Term]:
    """Return the words of the user's query (never its syntax): at most ``MAX_TERMS``, without repeats."""
    terms: list[Term] = []
    for word in _WORD.findall(_fold((q or "")[:MAX_QUERY_LENGTH])):
        for cjk, run in _runs(word):
            if cjk and len(run) > 1:
                terms.extend(Term(bigram, prefix=False) for bigram in _bigrams(run))
            elif cjk:
                terms.append(Term(run, prefix=True))  # one character: any bigram that starts with it
            elif len(run) <= MAX_WORD:
                terms.append(Term(run, prefix=len(run) >= PREFIX_MIN))
    return list(dict.fromkeys(terms))[:MAX_TERMS]


def fts5_query(terms: list[Term], *, any_term: bool = False) -> str:
    """Return an FTS5 query: each word quoted (a string, never an operator), all required (or any one)."""
    quoted = ('"{}"{}'.format(term.text.replace('"', '""'), "*" if term.prefix else "") for term in terms)
    return (" OR " if any_term else " AND ").join(quoted)


def tsquery(terms: list[Term], *, any_term: bool = False) -> str:
    """Return a PostgreSQL ``to_tsquery`` text: each word a quoted lexeme, all required (or any one)."""
    quoted = (
        "'{}'{}".format(term.text.replace("\\", "\\\\").replace("'", "''"), ":*" if term.prefix else "")
        for term in terms
    )
    return (" | " if any_term else " & ").join(quoted)


# --- the documents of an entry ---------------------------------------------------------------------------


def taxonomy_label(kind: str, code: str, language: str) -> str:
    try:
        return taxonomy.load(kind).label(code, language)
    except KeyError:
        return ""


def _concern_label(level: str, language: str) -> str:
    levels = taxonomy.rubric().levels
    return levels[level].label(language) if level in levels else ""


def join_texts(*texts: Any) -> str:
    return "\n".join(str(text) for text in texts if text)


def build_documents(values: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    """Return ``{(part, language): text}`` for an entry's current values (canonical form, as ``live_values``).

    Title and summary: one document per language they are written in. Details, sources and
    aliases: the original language. Classification (the taxonomy labels in every platform
    language, and the codes) and assessment (the concern level's label in every language, and the
    rationale): one multilingual document each (``MULTILINGUAL``).
    """
    original = str(values.get("original_language") or settings.LANGUAGE_CODE)
    texts: dict[tuple[str, str], str] = {(RECORD, original): str(values.get("rsd_id", ""))}
    for part in ("title", "summary"):
        texts[(part, original)] = str(values.get(part) or "")
        for language, text in (values.get(f"{part}_translations") or {}).items():
            if language != original:
                texts[(part, str(language))] = str(text)
    texts[("details", original)] = str(values.get("details") or "")
    codes = [(kind, code) for field, kind in CLASSIFICATION_KINDS.items() for code in values.get(field) or []]
    labels = [taxonomy_label(kind, code, language) for language in LANGUAGE_CODES for kind, code in codes]
    texts[("classification", MULTILINGUAL)] = join_texts(*dict.fromkeys([*(code for _kind, code in codes), *labels]))
    level = str(values.get("concern_level") or "")
    level_labels = dict.fromkeys(_concern_label(level, language) for language in LANGUAGE_CODES)
    texts[("assessment", MULTILINGUAL)] = join_texts(*level_labels, values.get("concern_rationale"))
    sources = values.get("sources") or []
    citations = [
        join_texts(*(source.get(key) for key in ("citation", "doi", "pmid", "arxiv_id"))) for source in sources
    ]
    texts[("sources", original)] = join_texts(*citations, *(values.get("aliases") or []))
    indexed = {key: " ".join(index_words(text))[:MAX_DOCUMENT] for key, text in texts.items()}
    return {key: text for key, text in indexed.items() if text}


#: The entry's own columns that ``build_documents`` and ``document_tiers`` read (translations,
#: sources and aliases come from rows).
INDEXED_COLUMNS: tuple[str, ...] = (
    "rsd_id",
    "status",
    "original_language",
    "title",
    "summary",
    "details",
    "concern_level",
    "concern_rationale",
    *CLASSIFICATION_KINDS,
    *(f"{part}_tier" for part in WEIGHTS if part != RECORD),
)


def values_from_rows(
    entry: Any, translations: Iterable[Any], sources: Iterable[Mapping[str, Any]], aliases: Iterable[str]
) -> dict[str, Any]:
    """Return the values ``build_documents`` reads, from an entry row (any model version) and its rows."""
    values: dict[str, Any] = {field: getattr(entry, field) for field in INDEXED_COLUMNS}
    rows = list(translations)
    values["title_translations"] = {row.language: row.title for row in rows if row.title}
    values["summary_translations"] = {row.language: row.summary for row in rows if row.summary}
    values["sources"] = list(sources)
    values["aliases"] = list(aliases)
    return values


def tiers_from_values(values: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Return ``document_tiers`` for an entry's values (as ``values_from_rows`` gives them)."""
    part_tiers = {part: str(values[f"{part}_tier"]) for part in WEIGHTS if part != RECORD}
    return document_tiers(str(values["status"]), part_tiers)


def _current_values(entry: Entry) -> dict[str, Any]:
    """Return the values to index, read from the rows (no cached relations): never the pending edit."""
    return values_from_rows(
        entry,
        EntryTranslation.objects.filter(master_id=entry.pk),
        EntrySource.objects.filter(entry_id=entry.pk).values("citation", "doi", "pmid", "arxiv_id"),
        EntryAlias.objects.filter(entry_id=entry.pk).values_list("alias", flat=True),
    )


def write_documents(
    db: BaseDatabaseWrapper,
    document_model: Any,
    entry_id: int,
    documents: Mapping[tuple[str, str], str],
    tiers: Mapping[str, tuple[str, str]],
) -> None:
    """Replace the documents of one entry (and, on SQLite, their rows in the FTS5 table).

    ``tiers`` gives each part's ``(entry tier, part tier)`` (``document_tiers``). Takes the model
    class so that migrations can index existing entries with their historical model.
    """
    rows = document_model.objects.using(db.alias).filter(entry_id=entry_id)
    wanted = {(part, language): (text, *tiers[part]) for (part, language), text in documents.items()}
    stored = {
        (part, language): (text, entry_tier, part_tier)
        for part, language, text, entry_tier, part_tier in rows.values_list(
            "part", "language", "text", "entry_tier", "part_tier"
        )
    }
    if stored == wanted:
        return  # nothing indexed changed (e.g. a date or a pending edit): the rows stay as they are
    with db.cursor() as cursor:
        if db.vendor == "sqlite":
            table = document_model._meta.db_table
            cursor.execute(
                f"DELETE FROM {FTS_TABLE} WHERE rowid IN (SELECT id FROM {table} WHERE entry_id = %s)",  # noqa: S608
                [entry_id],
            )
        rows.delete()
        document_model.objects.using(db.alias).bulk_create(
            document_model(
                entry_id=entry_id, part=part, language=language, text=text, entry_tier=entry_tier, part_tier=part_tier
            )
            for (part, language), (text, entry_tier, part_tier) in sorted(wanted.items())
        )
        if db.vendor == "sqlite":
            # OR REPLACE: a table emptied by ``flush`` (which resets the ids) leaves FTS rows whose ids come back.
            cursor.execute(
                f"INSERT OR REPLACE INTO {FTS_TABLE}(rowid, text) "  # noqa: S608
                f"SELECT id, text FROM {table} WHERE entry_id = %s",
                [entry_id],
            )


def reindex_entry(entry: Entry) -> None:
    """Rebuild the search documents of ``entry`` from its current values and tiers (inside the writing transaction)."""
    values = _current_values(entry)
    with transaction.atomic():
        write_documents(connection, EntrySearchDocument, entry.pk, build_documents(values), tiers_from_values(values))


def reindex_all() -> int:
    """Rebuild the documents of every entry (after a change of the indexing rules); return how many entries."""
    count = 0
    for entry in Entry.objects.order_by("pk").iterator():
        reindex_entry(entry)
        count += 1
    return count


# --- the engine objects (created by the migration) -------------------------------------------------------


def install_engine(schema_editor: BaseDatabaseSchemaEditor, table: str) -> None:
    """Create the FTS5 table (SQLite) or the GIN index (PostgreSQL) beside the documents table ``table``."""
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} "
            "USING fts5(text, tokenize = 'unicode61 remove_diacritics 2')"
        )
    elif vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS register_search_document_tsv ON {table} "
            "USING gin (to_tsvector('simple'::regconfig, text))"
        )


#: PostgreSQL: the stored ``tsvector`` of each document (a generated column beside ``text``, migration 0004).
VECTOR_COLUMN = "search_vector"


def install_stored_vector(schema_editor: BaseDatabaseSchemaEditor, table: str) -> None:
    """PostgreSQL: store each document's ``tsvector`` and index it (no re-parsing of the text when matching)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {VECTOR_COLUMN} tsvector "
        "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, text)) STORED"
    )
    schema_editor.execute("DROP INDEX IF EXISTS register_search_document_tsv")
    schema_editor.execute(f"CREATE INDEX register_search_document_tsv ON {table} USING gin ({VECTOR_COLUMN})")


def uninstall_stored_vector(schema_editor: BaseDatabaseSchemaEditor, table: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS {VECTOR_COLUMN}")  # drops its index
    install_engine(schema_editor, table)


def uninstall_engine(schema_editor: BaseDatabaseSchemaEditor, table: str) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS register_search_document_tsv")


# --- matching and ranking --------------------------------------------------------------------------------


class _FtsRowids(Expression):
    """SQLite: the ids of the documents whose FTS5 row matches ``query`` — the right side of ``id__in``.

    A plain ``IN`` on the document id lets SQLite start from the FTS5 matches (a boolean
    expression would be compared with ``= 1`` and checked row by row instead).
    """

    def __init__(self, query: str) -> None:
        super().__init__(output_field=IntegerField())
        self.query = query

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return f"(SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)", (self.query,)  # noqa: S608


class _MatchFunc(Func):
    """A boolean full-text condition on one column of the document and the query text ``query`` (a parameter)."""

    output_field = BooleanField()
    column = "id"

    def __init__(self, query: str) -> None:
        super().__init__(F(self.column))
        self.query = query

    def match_sql(self, column: str, connection: BaseDatabaseWrapper) -> str:
        raise NotImplementedError

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, tuple[Any, ...]]:
        column, params = compiler.compile(self.get_source_expressions()[0])
        return self.match_sql(column, connection), (*params, self.query)


class _TsMatches(_MatchFunc):
    """PostgreSQL: the document's stored vector holds the ``to_tsquery`` text ``query`` (GIN-indexed)."""

    column = "text"

    def match_sql(self, column: str, connection: BaseDatabaseWrapper) -> str:
        if connection.vendor != "postgresql":
            raise NotSupportedError("Register search needs SQLite (FTS5) or PostgreSQL.")
        # The stored vector is a column of the same row as ``text``: the same table alias.
        table, dot, name = column.rpartition(".")
        if not dot or name != connection.ops.quote_name("text"):
            raise NotSupportedError(f"Unexpected column for the search text: {column}")
        return f"{table}.{connection.ops.quote_name(VECTOR_COLUMN)} @@ to_tsquery('simple'::regconfig, %s)"


class _FtsProbe(_MatchFunc):
    """SQLite: the document's id is among the FTS5 matches of ``query`` — checked per row, not a driving index.

    For documents already narrowed by another index (their entry): the matches are listed once and
    each row probes them, instead of reading every matching document of a common word.
    """

    def match_sql(self, column: str, connection: BaseDatabaseWrapper) -> str:
        # The unary plus keeps SQLite from using the id as the index that drives the query.
        return f"+{column} IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)"  # noqa: S608


def _matching(terms: list[Term], *, any_term: bool = False, probe: bool = False) -> Q:
    """Return the condition: the document holds every word of ``terms`` (or, ``any_term``, one of them).

    ``probe``: the rows are narrowed by another condition first (SQLite: check each against the matches).
    """
    if connection.vendor == "sqlite":
        query = fts5_query(terms, any_term=any_term)
        return Q(_FtsProbe(query)) if probe else Q(id__in=_FtsRowids(query))
    if connection.vendor == "postgresql":
        return Q(_TsMatches(tsquery(terms, any_term=any_term)))
    raise NotSupportedError("Register search needs SQLite (FTS5) or PostgreSQL.")


def document_tiers(status: str, part_tiers: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """Return ``{part: (entry tier, part tier)}`` for the documents of an entry in ``status``.

    The entry's tier follows its status (``Entry.policy_tier``); the record part is as visible as
    the entry; ``part_tiers`` maps each other part to its tier (``{group: entry.<group>_tier}``).
    """
    entry_tier = Tier.PUBLIC.value if status in PUBLIC_STATUSES else Tier.COMMITTEE.value
    return {
        part: (entry_tier, entry_tier if part == RECORD else str(part_tiers.get(part, Tier.RESTRICTED)))
        for part in WEIGHTS
    }


def _document_condition(viewer: Viewer) -> Q | None:
    """Return the condition that a document is visible to ``viewer`` (``None``: none is), on its own columns.

    The rules of ``EntryView``: the policy must reach both the entry's tier and the part's tier
    (copied on the row); or the creator rule — the viewer's own unpublished entry, parts up to
    COMMITTEE, while they may propose. Assignments, grants and own entries are small subqueries
    on the entry id; no entry row is read.
    """

    def reached(tier_field: str) -> Q | None:
        return visible_condition(
            viewer, Entry, tier_field=tier_field, pk_lookup="entry_id", assigned_field=ASSIGNED_FIELD
        )

    on_entry, on_part = reached("entry_tier"), reached("part_tier")
    condition = on_entry & on_part if on_entry is not None and on_part is not None else None
    if may_author(viewer):
        own_unpublished = Entry.objects.filter(created_by_id=viewer.user_id, tier=Tier.COMMITTEE).values("pk")
        own = Q(entry_id__in=own_unpublished, entry_tier=Tier.COMMITTEE, part_tier__in=sorted(AUTHOR_TIERS))
        condition = own if condition is None else condition | own
    return condition


def visible_documents(viewer: Viewer) -> QuerySet[EntrySearchDocument]:
    """Return the documents of the parts ``viewer`` may see (only these may match, count or rank)."""
    condition = _document_condition(viewer)
    if condition is None:
        return EntrySearchDocument.objects.none()
    return EntrySearchDocument.objects.filter(condition)


def _weighted(language: str | None) -> Any:
    weight: Any = Case(
        *[When(part=part, then=Value(value)) for part, value in WEIGHTS.items()],
        default=Value(1.0),
        output_field=FloatField(),
    )
    if language:
        boost = Case(When(language=language, then=Value(LANGUAGE_BOOST)), default=Value(1.0), output_field=FloatField())
        weight = weight * boost
    return weight


#: How far ``_rarest_first`` counts a term's matching documents (enough to tell rare from common).
TERM_COUNT_CAP = 2000


def _rarest_first(documents: QuerySet[EntrySearchDocument], terms: list[Term]) -> list[Term]:
    """Return ``terms`` ordered by how many visible documents hold each (counted up to ``TERM_COUNT_CAP``).

    SQLite only: PostgreSQL's planner orders the nested matches itself from its statistics.
    """
    if connection.vendor != "sqlite":
        return terms
    counts = {term: documents.filter(_matching([term]))[:TERM_COUNT_CAP].count() for term in terms}
    return sorted(terms, key=lambda term: counts[term])


def _ranked_matches(
    viewer: Viewer, terms: list[Term], language: str | None, base: QuerySet[Entry] | None
) -> QuerySet[Any]:
    """Return ``{entry_id, search_rank}`` rows, one per entry whose visible documents hold every term.

    One grouped pass over the visible documents that hold any term (each matched by the index).
    With several terms the candidates are the entries with a visible document holding the rarest
    term; each other term is checked only on those entries' documents — so a common word costs
    only what the rare one leaves. The rank is the sum of the part weights of
    the matching documents (title and summary first, the page language a little higher).
    """
    documents = visible_documents(viewer)
    if base is not None:
        documents = documents.filter(entry_id__in=base.values("pk"))
    if len(terms) == 1:
        matching = documents.filter(_matching(terms))
    else:
        rarest, *others = _rarest_first(documents, terms)
        candidates = documents.filter(_matching([rarest])).values("entry_id")
        matching = documents.filter(entry_id__in=candidates)
        for term in others:  # each among the rarest word's entries (flat: no nesting per word)
            holding = documents.filter(entry_id__in=candidates).filter(_matching([term], probe=True))
            matching = matching.filter(entry_id__in=holding.values("entry_id"))
        matching = matching.filter(_matching(terms, any_term=True, probe=True))
    return matching.order_by().values("entry_id").annotate(search_rank=Sum(_weighted(language)))


class SearchResults:
    """The entries matching a query, best first (ties: newest first) — for ``Paginator`` and the API.

    The ranked ids of every match are read once, in one query (a few integers per match), on the
    first ``count()`` or slice; a slice then reads only its own entries (each with ``search_rank``).
    ``entry_ids()`` is the matching ids as a subquery (for facets).
    """

    def __init__(self, ranked: QuerySet[Any] | None, prefetch: tuple[str, ...] = ()) -> None:
        self._ranked = ranked
        self._prefetch = prefetch
        self._rows: list[tuple[int, float]] | None = None

    def prefetch_related(self, *lookups: str) -> SearchResults:
        return SearchResults(self._ranked, (*self._prefetch, *lookups))

    def _ranking(self) -> list[tuple[int, float]]:
        if self._rows is None:
            ranked = self._ranked
            ordered = None if ranked is None else ranked.order_by("-search_rank", "-entry_id")
            self._rows = [] if ordered is None else list(ordered.values_list("entry_id", "search_rank"))
        return self._rows

    def count(self) -> int:
        return len(self._ranking())

    def __len__(self) -> int:
        return self.count()

    def exists(self) -> bool:
        return bool(self._ranking())

    def entry_ids(self) -> QuerySet[Any]:
        if self._ranked is None:
            return Entry.objects.none().values("pk")
        return self._ranked.values("entry_id")

    def entries(self) -> QuerySet[Entry]:
        """Return the matching entries as a query set, unordered."""
        return Entry.objects.filter(pk__in=self.entry_ids())

    @overload
    def __getitem__(self, index: int) -> Entry: ...

    @overload
    def __getitem__(self, index: slice) -> list[Entry]: ...

    def __getitem__(self, index: int | slice) -> Entry | list[Entry]:
        if isinstance(index, int):
            return self[index : index + 1 or None][0]
        rows = self._ranking()[index]
        found = Entry.objects.prefetch_related(*self._prefetch).in_bulk([entry_id for entry_id, _rank in rows])
        ordered = []
        for entry_id, rank in rows:
            entry = found.get(entry_id)
            if entry is not None:
                entry.search_rank = rank  # type: ignore[attr-defined]
                ordered.append(entry)
        return ordered

    def __iter__(self) -> Iterator[Entry]:
        return iter(self[:])


def search_entries(
    viewer: Viewer, q: str, *, language: str | None = None, base: QuerySet[Entry] | None = None
) -> SearchResults:
    """Return the entries whose *visible* parts hold every word of ``q`` (in one part or several), best first.

    ``base`` narrows the result (it is intersected, never widened: only visible parts match).
    ``language`` ranks documents in that language a little higher. A query without words
    (empty, or only punctuation and operators) matches nothing.
    """
    terms = parse_query(q)
    if not terms:
        return SearchResults(None)
    return SearchResults(_ranked_matches(viewer, terms, language, base))


# --- filters shared by the pages and the API -------------------------------------------------------------


def with_code(entries: QuerySet[Entry], viewer: Viewer, field: str, code: str) -> QuerySet[Entry]:
    """Keep the entries classified under ``code`` in ``field`` (e.g. ``control_lists``), where ``viewer`` sees it."""
    if field not in CLASSIFICATION_KINDS:
        return entries.none()
    classified = entries_with_visible_part(viewer, "classification")
    if connection.features.supports_json_field_contains:
        matching = classified.filter(**{f"{field}__contains": [code]})
    else:  # SQLite: the JSON text holds each code quoted (codes hold no quote: checked before).
        matching = classified.annotate(codes_text=Cast(field, TextField())).filter(codes_text__contains=f'"{code}"')
    return entries.filter(pk__in=matching.values("pk"))


def with_concern(entries: QuerySet[Entry], viewer: Viewer, level: str) -> QuerySet[Entry]:
    """Keep the entries at concern ``level`` among those whose assessment ``viewer`` sees."""
    assessed = entries_with_visible_part(viewer, "assessment").filter(concern_level=level)
    return entries.filter(pk__in=assessed.values("pk"))


class _UtcYear(Func):
    """The UTC year of a date-time column, computed by the database itself.

    SQLite stores date-times as UTC text ("YYYY-MM-DD HH:MM:SS…"): the year is its first four
    characters (Django's ``ExtractYear`` would call back into Python for every row). Elsewhere:
    ``ExtractYear`` (UTC, the platform's time zone).
    """

    output_field = IntegerField()

    def __init__(self, column: str) -> None:
        super().__init__(F(column))

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        column, params = compiler.compile(self.get_source_expressions()[0])
        return f"CAST(substr({column}, 1, 4) AS integer)", params


def entry_year() -> Coalesce:
    """Return the year of an entry: of its first publication, else (unpublished) of its creation.

    Both are facts about the record: the publication date is shown with the entry, the year of
    creation is part of its identifier.
    """
    if connection.vendor == "sqlite":
        return Coalesce(_UtcYear("published_at"), _UtcYear("created_at"))
    return Coalesce(ExtractYear("published_at"), ExtractYear("created_at"))


def code_counts(entries: QuerySet[Entry], field: str) -> dict[str, int]:
    """Count ``entries`` per code of the taxonomy field ``field`` (a JSON list of codes), in the database.

    The caller decides which entries count (e.g. those whose classification the viewer sees).
    """
    if field not in CLASSIFICATION_KINDS:
        raise ValueError(f"Not a taxonomy field: {field}")
    try:
        subquery, params = entries.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # e.g. a query without words: no entry to count
        return {}
    table = connection.ops.quote_name(Entry._meta.db_table)
    column = connection.ops.quote_name(field)
    if connection.vendor == "sqlite":
        codes = f"{table} AS e, json_each(e.{column}) AS code"
        code = "code.value"
    elif connection.vendor == "postgresql":
        codes = f"{table} AS e CROSS JOIN LATERAL jsonb_array_elements_text(e.{column}) AS code"
        code = "code"
    else:
        raise NotSupportedError("Register facets need SQLite or PostgreSQL.")
    sql = f"SELECT {code}, COUNT(DISTINCT e.id) FROM {codes} WHERE e.id IN ({subquery}) GROUP BY {code}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {str(value): int(count) for value, count in cursor.fetchall()}


def with_year(entries: QuerySet[Entry], year: int) -> QuerySet[Entry]:
    return entries.annotate(entry_year=entry_year()).filter(entry_year=year)
