"""Export and import of the register in its exchange format (JSON, one document per entry, like OSV).

The format is described in ``docs/register-exchange.md``; its JSON Schema is ``entry_schema()``,
published as ``docs/schema/entry.schema.json`` (a test keeps the two equal).

Decisions:

- **What is exported**: the published and withdrawn entries only, at every tier — the export is
  the register's publication channel. Drafts, entries under review, rejected entries and pending
  edits of published entries never leave through it. The entries are those the public sees
  (``entries_visible_to(ANONYMOUS)``); which of their fields go out is decided field by field by
  the policy (``tier_within(entry.policy_tier(field), ceiling)``): a field above the ceiling is
  absent; a field that is not PUBLIC carries its tier (``{"tier": "committee", "text": …}`` for
  text, ``{"tier": …, "value": …}`` for other values). Credits carry names and roles, never user
  ids or e-mail addresses; ``related`` names published entries only (the ones exported too).
- **Streaming**: entries are read with ``iterator(chunk_size=…)``; each document is written to
  its file, appended to ``all.zip`` and to ``modified_id.csv`` as it is read. Memory does not grow
  with the number of entries (``zipstream`` keeps the zip's central directory in a temporary file).
- **All or nothing on disk**: an export is written into a temporary directory beside ``DIR`` and
  renamed into place; a failed export leaves ``DIR`` as it was.
- **Determinism**: sorted keys, UTF-8, ``ensure_ascii=False``, 2-space indent, trailing newline;
  timestamps in UTC with microseconds; zip members in the order of ``modified_id.csv`` with the
  entry's modification time. Export → import into an empty database → export gives the same bytes.
- **Import**: each document is validated (JSON Schema Draft 2020-12, then the register's own rules)
  and imported in its own transaction by ``entry_import``; an invalid document is reported with its
  file and the JSON pointer of each problem, and the valid ones are kept. The importer is a person
  who may publish (a committee analyst, ``--by``): an import publishes. An existing entry with the
  same identifier is updated unless it is newer here or not published here. A part absent from a
  document (above the export's ceiling) keeps its content on an existing entry and is stored empty
  at RESTRICTED on a new one (so that it stays absent from every export below RESTRICTED).
"""

from __future__ import annotations

from nonpro.register.exchange.export import (
    RELATED_PREFETCH,
    ExportResult,
    export_document,
    exported_entries,
    register_export,
)
from nonpro.register.exchange.importer import (
    Imported,
    entry_import,
    entry_import_relations,
    import_actor,
    link_related,
    register_import,
)
from nonpro.register.exchange.reading import (
    ImportReport,
    Problem,
    Raw,
    document_problems,
    parse_document,
    pointer,
    read_documents,
    schema_problems,
)
from nonpro.register.exchange.schema import (
    CHUNK_SIZE,
    CLEANED_FIELDS,
    CODE_PATTERN,
    CSV_NAME,
    DATE_PATTERN,
    EMAIL,
    IMPORT_ACTION,
    LANGUAGES,
    MAX_ENTRY_BYTES,
    MAX_TOTAL_BYTES,
    SCHEMA_ID,
    SCHEMA_VERSION,
    TAXONOMY_FIELDS,
    TEXT_FIELDS,
    TIMESTAMP_PATTERN,
    WITHHELD_NAME,
    WRAPPED_TIERS,
    ZIP_NAME,
    dumps,
    entry_schema,
)

__all__ = [
    "CHUNK_SIZE",
    "CLEANED_FIELDS",
    "CODE_PATTERN",
    "CSV_NAME",
    "DATE_PATTERN",
    "EMAIL",
    "IMPORT_ACTION",
    "LANGUAGES",
    "MAX_ENTRY_BYTES",
    "MAX_TOTAL_BYTES",
    "RELATED_PREFETCH",
    "SCHEMA_ID",
    "SCHEMA_VERSION",
    "TAXONOMY_FIELDS",
    "TEXT_FIELDS",
    "TIMESTAMP_PATTERN",
    "WITHHELD_NAME",
    "WRAPPED_TIERS",
    "ZIP_NAME",
    "ExportResult",
    "ImportReport",
    "Imported",
    "Problem",
    "Raw",
    "document_problems",
    "dumps",
    "entry_import",
    "entry_import_relations",
    "entry_schema",
    "export_document",
    "exported_entries",
    "import_actor",
    "link_related",
    "parse_document",
    "pointer",
    "read_documents",
    "register_export",
    "register_import",
    "schema_problems",
]
