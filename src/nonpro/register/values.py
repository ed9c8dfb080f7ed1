"""The register's values: validation into canonical form, and writing an entry's fields and rows.

Used by ``nonpro.register.services`` (which decides who may change what, and records it); this
module decides only what a well-formed value is. ``ValidationError`` maps fields to messages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nonpro.core.policy import Viewer
from nonpro.core.translation import TranslationStatus
from nonpro.register.history import to_json
from nonpro.register.models import (
    GROUP_OF,
    RSD_ID_REGEX,
    SUMMARY_MAX_LENGTH,
    TIER_GROUPS,
    TITLE_MAX_LENGTH,
    CreditRole,
    Entry,
    EntryAlias,
    EntryCredit,
    EntryRelation,
    EntrySource,
    EntryTranslation,
    SourceType,
)
from nonpro.register.selectors import EntryView, entries_visible_to
from nonpro.register.taxonomy import FIELD_KINDS, rubric, validate_codes

#: What ``entry_create_draft(values=…)`` and ``entry_update(changes=…)`` accept.
EDITABLE = frozenset(
    {
        "title",
        "summary",
        "details",
        "original_language",
        "domains",
        "technology_areas",
        "control_lists",
        "obligations",
        "concern_scores",
        "concern_rationale",
        "first_reported",
        "sources",
        "aliases",
        "related",
        "credits",
        "translations",
    }
)
TAXONOMY_KINDS = FIELD_KINDS
SCALAR_FIELDS = (
    "title",
    "summary",
    "details",
    "original_language",
    "domains",
    "technology_areas",
    "control_lists",
    "obligations",
    "concern_scores",
    "concern_level",
    "concern_rationale",
)
TRANSLATION_FIELDS = ("title_translations", "summary_translations", "translation_status")
SCORE_RANGE = range(4)
DOI = re.compile(r"^10\.\d{4,9}/\S+$")
PMID = re.compile(r"^\d{1,9}$")
ARXIV = re.compile(r"^(\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(v\d+)?$")
ALIAS = re.compile(r"^\S{1,100}$")


# --- values: validation and canonical form -----------------------------------------------------------


def _text(value: Any, *, required: bool, max_length: int | None = None, single_line: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(_("Give text."))
    value = value.strip()
    if required and not value:
        raise ValidationError(_("This field is required."))
    if max_length is not None and len(value) > max_length:
        raise ValidationError(
            _("Use at most %(limit)s characters (this has %(count)s)."),
            params={"limit": max_length, "count": len(value)},
        )
    if single_line and ("\n" in value or "\r" in value):
        raise ValidationError(_("Use a single line."))
    return str(value)


def _codes(kind: str, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(code, str) for code in value):
        raise ValidationError(_("Give a list of codes."))
    try:
        codes = validate_codes(kind, list(value))
    except ValueError as error:
        raise ValidationError(
            _("Use codes from the register's taxonomy (%(detail)s)."), params={"detail": error}
        ) from error
    return sorted(dict.fromkeys(codes))


def _codes_cleaner(field: str, kind: str) -> Callable[[Any], dict[str, Any]]:
    return lambda value: {field: _codes(kind, value)}


def _scores(value: Any) -> tuple[dict[str, int], str]:
    """Return the scores and the concern level the rubric derives from them ("" when none is given)."""
    if value is None or value == {}:
        return {}, ""
    if not isinstance(value, dict):
        raise ValidationError(_("Give a score for each criterion."))
    scores: dict[str, int] = {}
    for criterion, score in value.items():
        if isinstance(score, bool) or not isinstance(score, int) or score not in SCORE_RANGE:
            raise ValidationError(_("Each score is a whole number from 0 to 3."))
        scores[str(criterion)] = score
    try:
        level = rubric().level_for(scores)
    except ValueError as error:
        raise ValidationError(_("The scores do not fit the rubric (%(detail)s)."), params={"detail": error}) from error
    return dict(sorted(scores.items())), str(level)


def _first_reported(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        raise ValidationError(_("Give a date."))
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError as error:
            raise ValidationError(_("Give a date as YYYY-MM-DD.")) from error
    if not isinstance(value, date):
        raise ValidationError(_("Give a date."))
    if value > timezone.now().date():
        raise ValidationError(_("The date lies in the future."))
    return value.isoformat()


def _source(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ValidationError(_("Give each source as its type and identifiers."))
    unknown = set(value) - {"type", "citation", "doi", "pmid", "arxiv_id", "url"}
    if unknown:
        raise ValidationError(_("Unknown source fields: %(fields)s."), params={"fields": ", ".join(sorted(unknown))})
    source = {key: _text(value.get(key), required=False) for key in ("citation", "doi", "pmid", "arxiv_id", "url")}
    source["type"] = str(value.get("type") or "")
    if source["type"] not in SourceType.values:
        raise ValidationError(_("Choose the type of the source."))
    if not any(source[key] for key in ("citation", "doi", "pmid", "arxiv_id", "url")):
        raise ValidationError(_("Give a citation, a DOI, a PubMed id, an arXiv id or a URL for each source."))
    if source["doi"] and not DOI.match(source["doi"]):
        raise ValidationError(_("A DOI looks like 10.1234/abc."))
    if source["pmid"] and not PMID.match(source["pmid"]):
        raise ValidationError(_("A PubMed id is a number."))
    if source["arxiv_id"] and not ARXIV.match(source["arxiv_id"]):
        raise ValidationError(_("An arXiv id looks like 2401.01234."))
    if source["url"]:
        URLValidator(schemes=["http", "https"])(source["url"])
    return {key: source[key] for key in ("type", "citation", "doi", "pmid", "arxiv_id", "url")}


def _sources(value: Any) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise ValidationError(_("Give a list of sources."))
    return [_source(item) for item in value]


def _aliases(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(alias, str) for alias in value):
        raise ValidationError(_("Give a list of identifiers."))
    aliases = sorted({alias.strip() for alias in value if alias.strip()})
    for alias in aliases:
        if not ALIAS.match(alias):
            raise ValidationError(_("An alias is one identifier of at most 100 characters, without spaces."))
        if re.match(RSD_ID_REGEX, alias):
            raise ValidationError(_("An alias names the development in another database; link entries as related."))
    return aliases


def _related(value: Any, *, editor: Viewer, rsd_id: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise ValidationError(_("Give a list of entry identifiers."))
    wanted = sorted({item.strip() for item in value if item.strip()})
    if rsd_id in wanted:
        raise ValidationError(_("An entry is not related to itself."))
    found = set(entries_visible_to(editor).filter(rsd_id__in=wanted).values_list("rsd_id", flat=True))
    missing = [item for item in wanted if item not in found]
    if missing:
        # The same answer for a hidden entry and a missing one: existence is information too.
        raise ValidationError(_("No such entry: %(ids)s."), params={"ids": ", ".join(missing)})
    return wanted


def _credits(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise ValidationError(_("Give a list of credits."))
    credits: list[dict[str, Any]] = []
    user_model = get_user_model()
    for item in value:
        if not isinstance(item, Mapping):
            raise ValidationError(_("Give each credit as a name or a person, and a role."))
        user = item.get("user")
        user_id = user.pk if isinstance(user, user_model) else user
        if user_id is not None and (
            not isinstance(user_id, int) or not user_model._default_manager.filter(pk=user_id).exists()
        ):
            raise ValidationError(_("Unknown person."))
        name = _text(item.get("name"), required=False, max_length=200, single_line=True)
        if not name and user_id is not None:
            name = str(user_model._default_manager.get(pk=user_id))
        if not name:
            raise ValidationError(_("Give the name of each person credited."))
        role = str(item.get("role") or "")
        if role not in CreditRole.values:
            raise ValidationError(_("Choose the role of each person credited."))
        credits.append({"name": name, "role": role, "user": user_id})
    return credits


def _language(value: Any) -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    if value not in codes:
        raise ValidationError(_("Choose one of the platform's languages."))
    return str(value)


def _translations(value: Any, *, current: dict[str, Any], cleaned: dict[str, Any]) -> dict[str, Any]:
    """Return the new translation fields; the given languages become current, empty ones are removed.

    The original language holds no translation: giving it empty texts (or changing the original
    language to it) removes the translation it had.
    """
    if not isinstance(value, Mapping):
        raise ValidationError(_("Give the translations per language."))
    original = cleaned.get("original_language", current["original_language"])
    titles = dict(current["title_translations"])
    summaries = dict(current["summary_translations"])
    status = dict(current["translation_status"])
    for given, texts in value.items():
        language = _language(given)
        if not isinstance(texts, Mapping) or set(texts) - {"title", "summary"}:
            raise ValidationError(_("Give a title and a summary for each language."))
        title = _text(texts.get("title"), required=False, max_length=TITLE_MAX_LENGTH, single_line=True)
        summary = _text(texts.get("summary"), required=False, max_length=SUMMARY_MAX_LENGTH)
        if language == original and (title or summary):
            raise ValidationError(_("The original language is not a translation."))
        for texts_of, text in ((titles, title), (summaries, summary)):
            if text:
                texts_of[language] = text
            else:
                texts_of.pop(language, None)
        if title or summary:
            status[language] = TranslationStatus.CURRENT.value
        else:
            status.pop(language, None)
    return {"title_translations": titles, "summary_translations": summaries, "translation_status": status}


def clean_values(
    values: Mapping[str, Any], *, current: dict[str, Any], editor: Viewer, rsd_id: str, published: bool
) -> dict[str, Any]:
    """Return ``values`` validated and in canonical form (plus derived fields); raise ``ValidationError``."""
    unknown = sorted(set(values) - EDITABLE)
    if unknown:
        raise ValidationError({key: [_("This field cannot be set here.")] for key in unknown})
    if published and "original_language" in values:
        raise ValidationError({"original_language": [_("The original language of a published entry is fixed.")]})
    cleaners: dict[str, Callable[[Any], dict[str, Any]]] = {
        "title": lambda v: {"title": _text(v, required=True, max_length=TITLE_MAX_LENGTH, single_line=True)},
        "summary": lambda v: {"summary": _text(v, required=True, max_length=SUMMARY_MAX_LENGTH)},
        "details": lambda v: {"details": _text(v, required=False)},
        "original_language": lambda v: {"original_language": _language(v)},
        "concern_rationale": lambda v: {"concern_rationale": _text(v, required=False)},
        "concern_scores": lambda v: dict(zip(("concern_scores", "concern_level"), _scores(v), strict=True)),
        "first_reported": lambda v: {"first_reported": _first_reported(v)},
        "sources": lambda v: {"sources": _sources(v)},
        "aliases": lambda v: {"aliases": _aliases(v)},
        "related": lambda v: {"related": _related(v, editor=editor, rsd_id=rsd_id)},
        "credits": lambda v: {"credits": _credits(v)},
    }
    for field, kind in TAXONOMY_KINDS.items():
        cleaners[field] = _codes_cleaner(field, kind)
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key in sorted(set(values) - {"translations"}):
        try:
            cleaned.update(cleaners[key](values[key]))
        except ValidationError as error:
            errors[key] = [str(message) for message in error.messages]
    translations = values.get("translations")
    new_original = cleaned.get("original_language")
    if new_original and new_original != current["original_language"]:
        # The new original language holds no translation: its old one goes (unless texts are given: an error).
        translations = {new_original: {"title": "", "summary": ""}, **(translations or {})}
    if translations is not None and not errors:
        try:
            cleaned.update(_translations(translations, current=current, cleaned=cleaned))
        except ValidationError as error:
            errors["translations"] = [str(message) for message in error.messages]
    if errors:
        raise ValidationError(errors)
    original_changed = any(key in cleaned and cleaned[key] != current[key] for key in ("title", "summary"))
    if original_changed:
        given = set(values.get("translations", {}) or {})
        status = dict(cleaned.get("translation_status", current["translation_status"]))
        cleaned["translation_status"] = {
            language: (TranslationStatus.OUTDATED.value if language not in given else state)
            for language, state in status.items()
        }
    return cleaned


def live_values(entry: Entry) -> dict[str, Any]:
    """Return the entry's content in canonical form, as stored (not counting a pending edit)."""
    values = {field: to_json(getattr(entry, field)) for field in (*SCALAR_FIELDS, *TRANSLATION_FIELDS)}
    values["first_reported"] = to_json(entry.first_reported)
    values["sources"] = entry.sources
    values["aliases"] = entry.aliases
    values["credits"] = entry.credits
    values["related"] = sorted(entry.related_entries().values_list("rsd_id", flat=True))
    return values


def empty_values() -> dict[str, Any]:
    return {
        "title": "",
        "summary": "",
        "details": "",
        "original_language": settings.LANGUAGE_CODE,
        "domains": [],
        "technology_areas": [],
        "control_lists": [],
        "obligations": [],
        "concern_scores": {},
        "concern_level": "",
        "concern_rationale": "",
        "first_reported": None,
        "sources": [],
        "aliases": [],
        "credits": [],
        "related": [],
        "title_translations": {},
        "summary_translations": {},
        "translation_status": {},
    }


def assign_values(entry: Entry, values: Mapping[str, Any]) -> None:
    """Set the canonical ``values`` that live on the entry row itself (the caller saves)."""
    for field in SCALAR_FIELDS:
        if field in values:
            setattr(entry, field, values[field])
    if "first_reported" in values:
        reported = values["first_reported"]
        entry.first_reported = date.fromisoformat(reported) if reported else None


def write_rows(entry: Entry, values: Mapping[str, Any]) -> None:
    """Store the canonical ``values`` that live in other tables (the entry is saved)."""
    if "sources" in values:
        entry.source_rows.all().delete()
        EntrySource.objects.bulk_create(
            EntrySource(entry=entry, position=position, **source) for position, source in enumerate(values["sources"])
        )
    if "aliases" in values:
        entry.alias_rows.all().delete()
        EntryAlias.objects.bulk_create(EntryAlias(entry=entry, alias=alias) for alias in values["aliases"])
    if "credits" in values:
        entry.credit_rows.all().delete()
        EntryCredit.objects.bulk_create(
            EntryCredit(
                entry=entry, position=position, name=credit["name"], role=credit["role"], user_id=credit["user"]
            )
            for position, credit in enumerate(values["credits"])
        )
    if "related" in values:
        _write_related(entry, values["related"])
    if any(field in values for field in TRANSLATION_FIELDS):
        _write_translations(entry, values)


def _write_related(entry: Entry, rsd_ids: list[str]) -> None:
    wanted = set(Entry.objects.filter(rsd_id__in=rsd_ids).values_list("pk", flat=True))
    current = set(entry.related_entries().values_list("pk", flat=True))
    for other in current - wanted:
        EntryRelation.objects.filter(entry_a_id=min(entry.pk, other), entry_b_id=max(entry.pk, other)).delete()
    EntryRelation.objects.bulk_create(
        EntryRelation(entry_a_id=min(entry.pk, other), entry_b_id=max(entry.pk, other)) for other in wanted - current
    )


def _write_translations(entry: Entry, values: Mapping[str, Any]) -> None:
    titles = values.get("title_translations", entry.title_translations)
    summaries = values.get("summary_translations", entry.summary_translations)
    status = values.get("translation_status", entry.translation_status)
    languages = set(titles) | set(summaries)
    entry.translations.exclude(language__in=languages).delete()
    for language in sorted(languages):
        EntryTranslation.objects.update_or_create(
            master=entry,
            language=language,
            defaults={
                "title": titles.get(language, ""),
                "summary": summaries.get(language, ""),
                "status": status.get(language, TranslationStatus.CURRENT.value),
            },
        )


def touched_groups(changed: Mapping[str, Any]) -> set[str]:
    """Return the parts whose content changed (a translation's status alone changes no part)."""
    return {GROUP_OF[field] for field in changed if field in GROUP_OF and field != "translation_status"}


def require_visible_parts(view: EntryView, groups: set[str]) -> None:
    for group in groups:
        if not view.sees(TIER_GROUPS[group][0]):
            raise PermissionDenied
