"""Full-text search of the register, in six languages, behind one selector (docs/decisions/0006-register-search.md).

The index: one ``EntrySearchDocument`` row per (entry, part, language) with the text of that part
of the entry's *current* values — what is published for a published entry; a pending edit is
never indexed. ``reindex_entry`` rebuilds an entry's rows inside every write (``services._record``).

Both engines see the same words: the text is normalised here (NFKC, case folded, diacritics and
Arabic tatweel removed) and split into words; Chinese, which has no spaces, is split into
overlapping character bigrams. SQLite matches these words with an FTS5 table
(``register_search_fts``, rowid = document id, tokenizer ``unicode61 remove_diacritics 2``);
PostgreSQL with ``to_tsvector('simple', text)`` and a GIN index on it. User input is never passed
as query syntax: it is reduced to words, each quoted; every word must match a visible part of the
entry (words of three or more characters also match as prefixes).

Visibility: a document matches only when its part is visible to the viewer on that entry
(``entries_with_visible_part``); the record part (the identifier) when the entry is visible. So a
word that appears only in a part above the viewer's tier gives no hit, no count and no snippet.
Ranking: bm25 (SQLite) or ts_rank (PostgreSQL) of each matching visible document, weighted by
part (title and summary first) and summed per entry.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.conf import settings
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
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import Func
from django.db.models.functions import Cast, Coalesce, ExtractYear
from django.db.models.sql.compiler import SQLCompiler
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language_info

from nonpro.core.policy import Tier, Viewer, visible_condition
from nonpro.register import taxonomy
from nonpro.register.models import Entry, EntryAlias, EntrySearchDocument, EntrySource, EntryTranslation
from nonpro.register.selectors import (
    ASSIGNED_FIELD,
    AUTHOR_TIERS,
    entries_with_visible_part,
    entry_data_for,
    may_author,
)

FTS_TABLE = "register_search_fts"
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
SNIPPET_RADIUS = 80
MAX_SNIPPETS = 3

LANGUAGE_CODES: tuple[str, ...] = tuple(code for code, _name in settings.LANGUAGES)
CLASSIFICATION_KINDS: dict[str, str] = {
    "domains": "domain",
    "technology_areas": "technology_area",
    "control_lists": "control_list",
    "obligations": "obligation",
}

_WORD = re.compile(r"[^\W_]+")
_TATWEEL = "\u0640"
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
    stripped = "".join(ch for ch in decomposed if ch != _TATWEEL and unicodedata.category(ch) not in _MARKS)
    return unicodedata.normalize("NFKC", stripped).casefold()


def _is_cjk(char: str) -> bool:
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


def _label(kind: str, code: str, language: str) -> str:
    try:
        return taxonomy.load(kind).label(code, language)
    except KeyError:
        return ""


def _concern_label(level: str, language: str) -> str:
    levels = taxonomy.rubric().levels
    return levels[level].label(language) if level in levels else ""


def _join(*texts: Any) -> str:
    return "\n".join(str(text) for text in texts if text)


def build_documents(values: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    """Return ``{(part, language): text}`` for an entry's current values (canonical form, as ``live_values``).

    Title and summary: one document per language they are written in. Details, the assessment's
    rationale, sources and aliases: the original language. Taxonomy labels (classification, concern
    level): one document per platform language, the codes with the original language's.
    """
    original = str(values.get("original_language") or settings.LANGUAGE_CODE)
    texts: dict[tuple[str, str], str] = {(RECORD, original): str(values.get("rsd_id", ""))}
    for part in ("title", "summary"):
        texts[(part, original)] = str(values.get(part) or "")
        for language, text in (values.get(f"{part}_translations") or {}).items():
            if language != original:
                texts[(part, str(language))] = str(text)
    texts[("details", original)] = str(values.get("details") or "")
    codes = {field: list(values.get(field) or []) for field in CLASSIFICATION_KINDS}
    level = str(values.get("concern_level") or "")
    for language in LANGUAGE_CODES:
        labels = [_label(kind, code, language) for field, kind in CLASSIFICATION_KINDS.items() for code in codes[field]]
        if language == original:
            labels.extend(code for field in CLASSIFICATION_KINDS for code in codes[field])
        texts[("classification", language)] = _join(*labels)
        rationale = values.get("concern_rationale") if language == original else ""
        texts[("assessment", language)] = _join(_concern_label(level, language), rationale)
    sources = values.get("sources") or []
    citations = [_join(*(source.get(key) for key in ("citation", "doi", "pmid", "arxiv_id"))) for source in sources]
    texts[("sources", original)] = _join(*citations, *(values.get("aliases") or []))
    indexed = {key: " ".join(index_words(text))[:MAX_DOCUMENT] for key, text in texts.items()}
    return {key: text for key, text in indexed.items() if text}


#: The entry's own columns that ``build_documents`` reads (translations, sources and aliases come from rows).
INDEXED_COLUMNS: tuple[str, ...] = (
    "rsd_id",
    "original_language",
    "title",
    "summary",
    "details",
    "concern_level",
    "concern_rationale",
    *CLASSIFICATION_KINDS,
)


def _current_values(entry: Entry) -> dict[str, Any]:
    """Return the values to index, read from the rows (no cached relations): never the pending edit."""
    translations = list(EntryTranslation.objects.filter(master_id=entry.pk).values("language", "title", "summary"))
    values: dict[str, Any] = {field: getattr(entry, field) for field in INDEXED_COLUMNS}
    values["title_translations"] = {row["language"]: row["title"] for row in translations if row["title"]}
    values["summary_translations"] = {row["language"]: row["summary"] for row in translations if row["summary"]}
    values["sources"] = list(
        EntrySource.objects.filter(entry_id=entry.pk).values("citation", "doi", "pmid", "arxiv_id")
    )
    values["aliases"] = list(EntryAlias.objects.filter(entry_id=entry.pk).values_list("alias", flat=True))
    return values


def write_documents(
    db: BaseDatabaseWrapper, document_model: Any, entry_id: int, documents: Mapping[tuple[str, str], str]
) -> None:
    """Replace the documents of one entry (and, on SQLite, their rows in the FTS5 table).

    Takes the model class so that the migration can index existing entries with its historical model.
    """
    rows = document_model.objects.using(db.alias).filter(entry_id=entry_id)
    indexed = {(part, language): text for part, language, text in rows.values_list("part", "language", "text")}
    if indexed == dict(documents):
        return  # nothing indexed changed (e.g. a tier or a status): the rows stay as they are
    with db.cursor() as cursor:
        if db.vendor == "sqlite":
            table = document_model._meta.db_table
            cursor.execute(
                f"DELETE FROM {FTS_TABLE} WHERE rowid IN (SELECT id FROM {table} WHERE entry_id = %s)",  # noqa: S608
                [entry_id],
            )
        rows.delete()
        document_model.objects.using(db.alias).bulk_create(
            document_model(entry_id=entry_id, part=part, language=language, text=text)
            for (part, language), text in sorted(documents.items())
        )
        if db.vendor == "sqlite":
            # OR REPLACE: a table emptied by ``flush`` (which resets the ids) leaves FTS rows whose ids come back.
            cursor.execute(
                f"INSERT OR REPLACE INTO {FTS_TABLE}(rowid, text) "  # noqa: S608
                f"SELECT id, text FROM {table} WHERE entry_id = %s",
                [entry_id],
            )


def reindex_entry(entry: Entry) -> None:
    """Rebuild the search documents of ``entry`` from its current values (call inside the writing transaction)."""
    with transaction.atomic():
        write_documents(connection, EntrySearchDocument, entry.pk, build_documents(_current_values(entry)))


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


def uninstall_engine(schema_editor: BaseDatabaseSchemaEditor, table: str) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS register_search_document_tsv")


# --- matching and ranking --------------------------------------------------------------------------------


#: A compiled SQL fragment and its parameters.
Compiled = tuple[str, list[Any] | tuple[Any, ...]]


class _EngineFunc(Func):
    """A full-text expression over a document (its ``id`` and ``text``) and the query ``terms``; SQL per engine.

    The query text is built here from the parsed terms and passed as a parameter: never user syntax.
    """

    def __init__(self, terms: list[Term], *, any_term: bool = False, **extra: Any) -> None:
        super().__init__(F("id"), F("text"), **extra)
        self.terms = list(terms)
        self.any_term = any_term

    def fts5(self) -> str:
        return fts5_query(self.terms, any_term=self.any_term)

    def tsquery(self) -> str:
        return tsquery(self.terms, any_term=self.any_term)

    def _compiled(self, compiler: SQLCompiler) -> tuple[Compiled, Compiled]:
        doc, text = (compiler.compile(expression) for expression in self.get_source_expressions())
        return doc, text

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, tuple[str | int, ...]]:
        raise NotSupportedError("Register search needs SQLite (FTS5) or PostgreSQL.")


class Matches(_EngineFunc):
    """The document holds every word of the query (or, ``any_term``, one of them)."""

    output_field = BooleanField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        (doc, doc_params), _text = self._compiled(compiler)
        sql = f"{doc} IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)"  # noqa: S608
        return sql, (*doc_params, self.fts5())

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        _doc, (text, text_params) = self._compiled(compiler)
        sql = f"to_tsvector('simple'::regconfig, {text}) @@ to_tsquery('simple'::regconfig, %s)"
        return sql, (*text_params, self.tsquery())


class Score(_EngineFunc):
    """The relevance of a matching document to the query (higher is better): bm25 or ts_rank."""

    output_field = FloatField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        (doc, doc_params), _text = self._compiled(compiler)
        sql = f"(SELECT -bm25({FTS_TABLE}) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s AND {FTS_TABLE}.rowid = {doc})"  # noqa: S608
        return sql, (self.fts5(), *doc_params)

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        _doc, (text, text_params) = self._compiled(compiler)
        sql = f"ts_rank(to_tsvector('simple'::regconfig, {text}), to_tsquery('simple'::regconfig, %s))"
        return sql, (*text_params, self.tsquery())


def _entry_condition(viewer: Viewer) -> Q | None:
    """Return the condition on a document's entry (through ``entry__``): ``entries_visible_to``'s rules."""
    condition = visible_condition(viewer, Entry, tier_field="tier", prefix="entry__", assigned_field=ASSIGNED_FIELD)
    if may_author(viewer):
        own = Q(entry__created_by_id=viewer.user_id)
        condition = own if condition is None else condition | own
    return condition


def _part_condition(viewer: Viewer, part: str) -> Q | None:
    """Return the condition that ``part`` of the document's entry is visible: ``entries_with_visible_part``'s rules.

    Only meaningful together with ``_entry_condition`` (as there, a part is seen only on a visible entry).
    """
    if part == RECORD:
        return Q()
    tier_field = f"{part}_tier"
    condition = visible_condition(viewer, Entry, tier_field=tier_field, prefix="entry__", assigned_field=ASSIGNED_FIELD)
    if may_author(viewer):
        own = Q(
            entry__created_by_id=viewer.user_id,
            entry__tier=Tier.COMMITTEE,
            **{f"entry__{tier_field}__in": sorted(AUTHOR_TIERS)},
        )
        condition = own if condition is None else condition | own
    return condition


def _visible_documents(viewer: Viewer) -> Q | None:
    """Return the condition: the document's part is visible to ``viewer`` on its entry (``None``: none is).

    Conditions on the joined entry row (one branch per part), not subqueries over every entry:
    the cost grows with the matching documents, not with the register.
    """
    entry = _entry_condition(viewer)
    if entry is None:
        return None
    parts = [Q(part=part) & condition for part in WEIGHTS if (condition := _part_condition(viewer, part)) is not None]
    if not parts:
        return None
    return entry & reduce(operator.or_, parts)


def visible_documents(viewer: Viewer) -> QuerySet[EntrySearchDocument]:
    """Return the documents of the parts ``viewer`` may see (only these may match, count or rank)."""
    condition = _visible_documents(viewer)
    if condition is None:
        return EntrySearchDocument.objects.none()
    return EntrySearchDocument.objects.filter(condition)


def _weighted_score(terms: list[Term], language: str | None) -> Any:
    weight = Case(
        *[When(part=part, then=Value(value)) for part, value in WEIGHTS.items()],
        default=Value(1.0),
        output_field=FloatField(),
    )
    score = Score(terms, any_term=True) * weight
    if language:
        boost = Case(When(language=language, then=Value(LANGUAGE_BOOST)), default=Value(1.0), output_field=FloatField())
        score = score * boost
    return score


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


def _matching(terms: list[Term], *, any_term: bool = False) -> Q:
    """Return the condition: the document holds every word of ``terms`` (or, ``any_term``, one of them)."""
    if connection.vendor == "sqlite":
        return Q(id__in=_FtsRowids(fts5_query(terms, any_term=any_term)))
    return Q(Matches(terms, any_term=any_term))


def _matching_entry_ids(documents: QuerySet[EntrySearchDocument], terms: list[Term]) -> QuerySet[Any]:
    """Return the ids of the entries whose visible documents hold every term (one grouped pass over the matches)."""
    matching = documents.filter(_matching(terms, any_term=True)).order_by().values("entry_id")
    if len(terms) == 1:
        return matching.distinct()
    flags = {
        f"term_{index}": Max(
            Case(When(_matching([term]), then=Value(1)), default=Value(0), output_field=IntegerField())
        )
        for index, term in enumerate(terms)
    }
    return matching.annotate(**flags).filter(**dict.fromkeys(flags, 1)).values("entry_id")


def search_entries(
    viewer: Viewer, q: str, *, language: str | None = None, base: QuerySet[Entry] | None = None
) -> QuerySet[Entry]:
    """Return the entries whose *visible* parts hold every word of ``q`` (in one part or several), best first.

    ``base`` narrows the result (it is intersected, never widened: only visible parts match).
    ``language`` ranks documents in that language a little higher. A query without words
    (empty, or only punctuation and operators) matches nothing. Each entry carries ``search_rank``.
    The matching runs once over the documents that hold a term (not per entry); the rank is
    computed only for the entries that match.
    """
    terms = parse_query(q)
    if not terms:
        return Entry.objects.none()
    documents = visible_documents(viewer)
    entries = Entry.objects.all() if base is None else Entry.objects.filter(pk__in=base.values("pk"))
    entries = entries.filter(pk__in=_matching_entry_ids(documents, terms))
    rank = (
        documents.filter(_matching(terms, any_term=True), entry_id=OuterRef("pk"))
        .order_by()
        .values("entry_id")
        .annotate(total=Sum(_weighted_score(terms, language)))
        .values("total")
    )
    return entries.annotate(search_rank=Subquery(rank, output_field=FloatField())).order_by("-search_rank", "-pk")


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


def entry_year() -> Coalesce:
    """Return the year of an entry: of its first publication, else (unpublished) of its creation.

    Both are facts about the record: the publication date is shown with the entry, the year of
    creation is part of its identifier.
    """
    return Coalesce(ExtractYear("published_at"), ExtractYear("created_at"))


def with_year(entries: QuerySet[Entry], year: int) -> QuerySet[Entry]:
    return entries.annotate(entry_year=entry_year()).filter(entry_year=year)


# --- snippets --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    word: str  # folded
    cjk: bool


def _is_word_char(char: str) -> bool:
    return char.isalnum() or unicodedata.category(char).startswith("M") or char == _TATWEEL


def _spans(text: str) -> list[_Span]:
    """Return the words of ``text`` with their positions; each Chinese character is a word of its own."""
    spans: list[_Span] = []
    index = 0
    while index < len(text):
        if not _is_word_char(text[index]):
            index += 1
            continue
        if _is_cjk(text[index]):
            spans.append(_Span(index, index + 1, text[index], cjk=True))
            index += 1
            continue
        end = index
        while end < len(text) and _is_word_char(text[end]) and not _is_cjk(text[end]):
            end += 1
        spans.append(_Span(index, end, " ".join(index_words(text[index:end])), cjk=False))
        index = end
    return spans


def _marks(spans: list[_Span], terms: list[Term]) -> list[tuple[int, int]]:
    """Return the (start, end) ranges of ``spans`` that a term matches."""
    marks: list[tuple[int, int]] = []
    for position, span in enumerate(spans):
        following = spans[position + 1] if position + 1 < len(spans) else None
        for term in terms:
            if _is_cjk(term.text[0]):
                if not span.cjk:
                    continue
                if len(term.text) == 1 and span.word == term.text:
                    marks.append((span.start, span.end))
                elif (
                    following is not None
                    and following.cjk
                    and following.start == span.end
                    and span.word + following.word == term.text
                ):
                    marks.append((span.start, following.end))
            elif not span.cjk and any(
                word == term.text or (term.prefix and word.startswith(term.text)) for word in span.word.split()
            ):
                marks.append((span.start, span.end))
    return _merged(sorted(marks))


def _merged(marks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in marks:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _window(text: str, first: tuple[int, int]) -> tuple[int, int]:
    start = max(0, first[0] - SNIPPET_RADIUS)
    end = min(len(text), first[1] + SNIPPET_RADIUS)
    if start > 0:
        space = text.find(" ", start, first[0])
        start = space + 1 if space != -1 else start
    if end < len(text):
        space = text.rfind(" ", first[1], end)
        end = space if space != -1 else end
    return start, end


def highlight(text: str, terms: list[Term]) -> SafeString | None:
    """Return an escaped excerpt of ``text`` around the first match with every match in ``<mark>``; None if none."""
    marks = _marks(_spans(text), terms)
    if not marks:
        return None
    start, end = _window(text, marks[0])
    pieces = ["…" if start > 0 else ""]
    cursor = start
    for mark_start, mark_end in marks:
        if mark_start < start or mark_end > end:
            continue
        pieces.append(str(escape(text[cursor:mark_start])))
        pieces.append(f"<mark>{escape(text[mark_start:mark_end])}</mark>")
        cursor = mark_end
    pieces.append(str(escape(text[cursor:end])))
    pieces.append("…" if end < len(text) else "")
    return mark_safe("".join(pieces))  # noqa: S308 - every piece of text is escaped above


_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MARKDOWN_SYMBOLS = re.compile(r"[*_`#>\[\]]+")


def _plain(text: str) -> str:
    """Return Markdown ``text`` as one line of plain text (enough for an excerpt)."""
    return " ".join(_MARKDOWN_SYMBOLS.sub("", _MARKDOWN_LINK.sub(r"\1", text)).split())


def _localized_text(data: Mapping[str, Any], part: str, language: str) -> str:
    translations: Mapping[str, str] = data.get(f"{part}_translations") or {}
    return str(translations.get(language) or data.get(part) or "")


def _snippet_texts(data: Mapping[str, Any], language: str) -> list[tuple[str, str]]:
    """Return the visible texts an excerpt may come from, with their language, most telling first.

    Only keys of ``entry_data_for``'s answer are read: a hidden part is absent there.
    """
    original = str(data.get("original_language") or settings.LANGUAGE_CODE)
    texts: list[tuple[str, str]] = []
    for part in ("summary", "title"):
        if part not in data:
            continue
        variants = [(str(data[part]), original)]
        variants += [(str(text), str(code)) for code, text in sorted((data.get(f"{part}_translations") or {}).items())]
        shown = _localized_text(data, part, language)
        texts += [(text, code) for text, code in variants if part == "summary" or text != shown]
        if part == "summary":
            texts.sort(key=lambda item: item[0] != shown)
    if data.get("details"):
        texts.append((_plain(str(data["details"])), original))
    if data.get("concern_rationale"):
        texts.append((str(data["concern_rationale"]), original))
    for source in data.get("sources") or []:
        citation = _join(*(source.get(key) for key in ("citation", "doi", "pmid", "arxiv_id")))
        texts.append((" · ".join(citation.splitlines()), original))
    if data.get("aliases"):
        texts.append((" · ".join(data["aliases"]), original))
    labels = [
        _label(kind, code, language) for field, kind in CLASSIFICATION_KINDS.items() for code in data.get(field) or []
    ]
    if labels:
        texts.append((" · ".join(label for label in labels if label), language))
    return texts


def _bidi(code: str) -> bool:
    try:
        return bool(get_language_info(code)["bidi"])
    except KeyError:
        return False


def search_snippets(
    viewer: Viewer, entry: Entry, q: str, language: str, *, data: Mapping[str, Any] | None = None
) -> list[SafeString]:
    """Return up to ``MAX_SNIPPETS`` escaped excerpts of the visible parts of ``entry`` matching ``q``.

    Built from ``entry_data_for`` (pass its answer as ``data`` when you have it): a part the viewer
    may not see is not there, so it can give no excerpt. Each excerpt is a ``<span>`` with its
    ``lang`` and ``dir``, matches in ``<mark>``; safe to render as HTML.
    """
    terms = parse_query(q)
    if not terms:
        return []
    shown = entry_data_for(viewer, entry) if data is None else data
    if shown is None:
        return []
    snippets: list[SafeString] = []
    seen: set[str] = set()
    for text, code in _snippet_texts(shown, language):
        excerpt = highlight(text, terms)
        if excerpt is None or excerpt in seen:
            continue
        seen.add(excerpt)
        direction = "rtl" if _bidi(code) else "ltr"
        snippets.append(
            mark_safe(f'<span lang="{escape(code)}" dir="{direction}">{excerpt}</span>')  # noqa: S308 - escaped
        )
        if len(snippets) == MAX_SNIPPETS:
            break
    return snippets
