"""How register values are shown: labels, lines of text, dates, Markdown and localized titles.

Shared by the pages (``views``), the digests and the trends report. Every function takes what a
selector returned (``entry_data_for``): hidden fields are absent, so nothing here can show them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext_lazy as _

from nonpro.core.policy import Tier
from nonpro.core.translation import TranslationStatus
from nonpro.register import taxonomy
from nonpro.register.markdown import render_markdown
from nonpro.register.models import ConcernLevel, CreditRole, PendingStatus, SourceType, Status

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

#: Taxonomy-coded fields and the kind of taxonomy each uses.
TAXONOMY_FIELDS = taxonomy.FIELD_KINDS
#: Labels of the fields an entry page or its history may show (model labels, and the translated parts).
FIELD_LABELS: dict[str, StrOrPromise] = {
    "status": _("status"),
    "pending_status": _("pending edit"),
    "original_language": _("original language"),
    "published_at": _("published at"),
    "modified_at": _("modified at"),
    "withdrawn_at": _("withdrawn at"),
    "withdrawal_reason": _("reason for withdrawal"),
    "rejection_reason": _("reason for rejection"),
    "title": _("title"),
    "title_translations": _("translations of the title"),
    "translation_status": _("translation status"),
    "summary": _("summary"),
    "summary_translations": _("translations of the summary"),
    "details": _("details"),
    "domains": _("domains"),
    "technology_areas": _("technology areas"),
    "control_lists": _("control lists"),
    "obligations": _("obligations of resolution 1540"),
    "related": _("related entries"),
    "concern_scores": _("concern scores"),
    "concern_level": _("concern level"),
    "concern_rationale": _("concern rationale"),
    "first_reported": _("first reported"),
    "sources": _("sources"),
    "aliases": _("aliases"),
    "credits": _("credits"),
}
#: Labels of coded values other than taxonomy codes.
CHOICE_LABELS: dict[str, Mapping[str, StrOrPromise]] = {
    "status": dict(Status.choices),
    "pending_status": dict(PendingStatus.choices),
}


def page_language() -> str:
    return get_language() or "en"


def tier_label(tier: str) -> StrOrPromise:
    """Return the label of a tier that is not PUBLIC ("" for PUBLIC: nothing to mark)."""
    if tier == Tier.PUBLIC:
        return ""
    return dict(Tier.choices).get(tier, Tier.RESTRICTED.label)


def language_name(code: str) -> str:
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


def is_empty(value: Any) -> bool:
    return value is None or value in ("", [], {})


# --- values shown as text ------------------------------------------------------------------------------


def code_label(kind: str, code: str, language: str) -> str:
    try:
        return taxonomy.load(kind).label(code, language)
    except KeyError:
        return code


def concern_label(code: str, language: str) -> str:
    levels = taxonomy.rubric().levels
    if code in levels:
        return levels[code].label(language)
    return str(dict(ConcernLevel.choices).get(code, code))


def when(value: Any) -> Any:
    """Return a date or datetime for ``value`` (canonical ISO strings from the history included)."""
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str):
        return parse_datetime(value) or parse_date(value) or value
    return value


def source_text(source: Mapping[str, Any]) -> str:
    parts = [str(SourceType(source["type"]).label) if source.get("type") in SourceType.values else ""]
    parts.append(str(source.get("citation", "")))
    for key, label in (("doi", "DOI"), ("pmid", "PMID"), ("arxiv_id", "arXiv")):
        if source.get(key):
            parts.append(f"{label} {source[key]}")
    if source.get("url"):
        parts.append(str(source["url"]))
    return " · ".join(part for part in parts if part)


def credit_text(credit: Mapping[str, Any]) -> str:
    role = credit.get("role", "")
    role_label = str(CreditRole(role).label) if role in CreditRole.values else str(role)
    return f"{credit.get('name', '')} ({role_label})"


def taxonomy_items(name: str, value: Any, language: str) -> list[str]:
    return [code_label(TAXONOMY_FIELDS[name], code, language) for code in value]


def score_items(name: str, value: Any, language: str) -> list[str]:
    criteria = taxonomy.rubric().criteria
    return [
        f"{criteria[code].label(language) if code in criteria else code}: {score}"
        for code, score in sorted(value.items())
    ]


def translation_status_items(name: str, value: Any, language: str) -> list[str]:
    labels = dict(TranslationStatus.choices)
    return [f"{language_name(code)}: {labels.get(status, status)}" for code, status in sorted(value.items())]


def choice_items(name: str, value: Any, language: str) -> list[str]:
    return [str(CHOICE_LABELS[name].get(str(value), value))]


ITEM_FORMATS: dict[str, Callable[[str, Any, str], list[str]]] = {
    **dict.fromkeys(TAXONOMY_FIELDS, taxonomy_items),
    **dict.fromkeys(CHOICE_LABELS, choice_items),
    "concern_level": lambda name, value, language: [concern_label(str(value), language)],
    "concern_scores": score_items,
    "sources": lambda name, value, language: [source_text(source) for source in value],
    "credits": lambda name, value, language: [credit_text(credit) for credit in value],
    "original_language": lambda name, value, language: [language_name(str(value))],
    "translation_status": translation_status_items,
}


def items(name: str, value: Any, language: str) -> list[str]:
    """Return ``value`` of field ``name`` as lines of text in ``language`` (codes as labels)."""
    if is_empty(value):
        return []
    if name in ITEM_FORMATS:
        return ITEM_FORMATS[name](name, value, language)
    if isinstance(value, dict):
        return [f"{language_name(str(key))}: {item}" for key, item in sorted(value.items())]
    if isinstance(value, list):
        return [str(item) for item in value]
    return [str(value)]


@dataclass
class Shown:
    """One field as shown: its label, its lines (or a date), its tier label, and how to render it.

    ``html`` is sanitized Markdown (``render_markdown``) for the fields written in Markdown.
    """

    name: str
    label: StrOrPromise
    lines: list[str] = field(default_factory=list)
    when: Any = None
    tier: StrOrPromise = ""
    text: str = ""
    links: list[str] = field(default_factory=list)
    html: str = ""


#: Fields written in Markdown: shown rendered and sanitized (``nonpro.register.markdown``).
MARKDOWN_FIELDS = frozenset({"details"})


def shown(name: str, value: Any, tier: str, language: str) -> Shown | None:
    """Return field ``name`` for display, or ``None`` when it is empty (nothing is shown for it)."""
    if is_empty(value):
        return None
    item = Shown(name=name, label=FIELD_LABELS.get(name, name), tier=tier_label(tier))
    if name in MARKDOWN_FIELDS:
        item.html = render_markdown(str(value))
    elif name in {"concern_rationale", "withdrawal_reason", "rejection_reason", "summary"}:
        item.text = str(value)
    elif name == "related":
        item.links = [str(rsd_id) for rsd_id in value]
    elif name in {"first_reported", "published_at", "modified_at", "withdrawn_at"}:
        item.when = when(value)
    else:
        item.lines = items(name, value, language)
    return item


# --- title and summary in the viewer's language --------------------------------------------------------


@dataclass
class Localized:
    """A text in the page language, or in the original one with ``fallback`` set (then ``lang`` matters)."""

    text: str
    lang: str
    bidi: bool
    fallback: bool
    outdated: bool


def localized(data: Mapping[str, Any], part: str, language: str) -> Localized | None:
    """Return the title or summary (``part``) in ``language``, else in the original language; ``None`` if hidden."""
    original = data.get(part)
    if is_empty(original):
        return None
    original_language = str(data.get("original_language") or "")
    translations: Mapping[str, str] = data.get(f"{part}_translations") or {}
    status: Mapping[str, str] = data.get("translation_status") or {}
    if language != original_language and translations.get(language):
        return Localized(
            text=translations[language],
            lang=language,
            bidi=bidi(language),
            fallback=False,
            outdated=status.get(language) == TranslationStatus.OUTDATED,
        )
    return Localized(
        text=str(original),
        lang=original_language,
        bidi=bidi(original_language),
        fallback=bool(original_language) and language != original_language,
        outdated=False,
    )


def bidi(code: str) -> bool:
    try:
        return bool(get_language_info(code)["bidi"])
    except KeyError:
        return False
