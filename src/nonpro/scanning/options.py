"""Names the command line offers before the heavier modules are imported (readers, scikit-learn)."""

from __future__ import annotations

#: The formats the readers read (``readers.FORMATS`` has one reader per name; a test keeps them equal).
FORMAT_NAMES: tuple[str, ...] = (
    "pubmed-xml",
    "medline",
    "arxiv-atom",
    "oai-pmh",
    "crossref-json",
    "openalex-json",
    "ris",
    "bibtex",
    "endnote-xml",
    "csv",
    "tsv",
    "xlsx",
    "jsonl",
)
#: The active-learning queriers (``learning``).
QUERIERS: tuple[str, ...] = ("max", "uncertainty", "mixed")
