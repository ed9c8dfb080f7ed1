"""Writes to the register: drafts, edits, the review workflow, tiers and review assignments.

Every service takes keyword arguments only and runs in one transaction: it locks the entry row,
asks the policy (``can(viewer_for(by), action, entry)``), checks the optimistic lock
(``expected_version``; required for edits, optional elsewhere — pages pass the version they
showed) and the workflow (``Entry.workflow_allows``), validates, writes, and records an
``EntryRevision`` (with a snapshot of every field and its tier) and an audit event. A refused
call raises and changes nothing: ``PermissionDenied``, ``StaleEntryError``,
``InvalidTransitionError``, ``RegisterError`` or ``ValidationError`` (field → messages).

Decisions:

- **Identifiers** ``RSD-YYYY-NNNNN`` are reserved when a draft is created, from a per-year counter
  row locked for the update; entries are never deleted, so a number is never used twice (a draft
  that is rejected or abandoned keeps its number).
- **Fail closed**: every part of a new entry is COMMITTEE; an edited part goes back to COMMITTEE
  (a RESTRICTED part stays RESTRICTED) until someone classifies it with ``entry_set_tier`` (its
  own audited action, with a reason). Nobody edits or classifies a part they cannot see.
- **Edits of a published entry** do not change what is published: the changed fields wait in
  ``Entry.pending_changes`` with the tier each part will have (``pending_tiers``) and go through
  the same steps (submit → start review → publish or reject) as a new entry, tracked in
  ``pending_status`` while the entry stays PUBLISHED. Publishing applies them and bumps ``serial``.
- **The published record** changes only by an accepted edit, a tier change or a withdrawal; each
  bumps ``serial`` and ``modified_at``. Lowering the tier of a published part (showing more) is
  a publication decision: analysts only; raising it (showing less) any classifier may, at once.
- **Publication** needs ``REVIEWERS_REQUIRED`` assigned reviewers.
- Audit summaries name the identifier, the fields and the tiers — never field content.
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
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nonpro.accounts.models import User
from nonpro.core.audit.services import audit_record
from nonpro.core.policy import Role, Tier, Viewer, can, record_restricted_view, viewer_for
from nonpro.core.translation import TranslationStatus
from nonpro.register.history import snapshot, to_json
from nonpro.register.models import (
    GROUP_OF,
    PUBLIC_STATUSES,
    RSD_ID_REGEX,
    SUMMARY_MAX_LENGTH,
    TIER_GROUPS,
    TIER_ORDER,
    TITLE_MAX_LENGTH,
    CreditRole,
    Entry,
    EntryAlias,
    EntryCredit,
    EntryIdCounter,
    EntryRelation,
    EntryRevision,
    EntrySource,
    EntryTranslation,
    PendingStatus,
    ReviewAssignment,
    RevisionEvent,
    SourceType,
    Status,
    stricter_tier,
)
from nonpro.register.selectors import EntryView, entries_visible_to, pending_lens
from nonpro.register.taxonomy import rubric, validate_codes

#: How many reviewers must be assigned before an entry (or an edit of it) is published.
REVIEWERS_REQUIRED = 2

PROPOSE = "register.entry.propose"
EDIT = "register.entry.edit"
SUBMIT = "register.entry.submit"
START_REVIEW = "register.review.start"
PUBLISH = "register.entry.publish"
REJECT = "register.entry.reject"
WITHDRAW = "register.entry.withdraw"
CLASSIFY = "register.entry.classify"
ASSIGN = "register.review.assign"

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
TAXONOMY_KINDS = {
    "domains": "domain",
    "technology_areas": "technology_area",
    "control_lists": "control_list",
    "obligations": "obligation",
}
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


class RegisterError(ValueError):
    """A request the register's rules refuse; ``code`` names the rule."""

    def __init__(self, message: Any, *, code: str) -> None:
        super().__init__(str(message))
        self.code = code


class StaleEntryError(RegisterError):
    """The entry changed since the writer read it: nothing was written."""

    def __init__(self, *, expected: int, current: int) -> None:
        message = _(
            "Someone else changed this entry since you opened it (you had version %(expected)s, it is now "
            "at version %(current)s). Reload it and make your change again."
        ) % {"expected": expected, "current": current}
        super().__init__(message, code="stale")
        self.expected = expected
        self.current = current


class InvalidTransitionError(RegisterError):
    """The entry is not in a state for this step."""

    def __init__(self, entry: Entry, action: str) -> None:
        state = str(entry.get_status_display())
        if entry.pending_status:
            state = f"{state} ({entry.get_pending_status_display()})"
        message = _("This step is not possible while the entry is %(status)s.") % {"status": state}
        super().__init__(message, code="invalid_transition")
        self.action = action


# --- helpers ---------------------------------------------------------------------------------------


def _lock(entry: Entry) -> Entry:
    """Return the entry's row, locked until the end of the transaction (SQLite: writes are serialised)."""
    return Entry.objects.select_for_update().get(pk=entry.pk)


def _require(viewer: Viewer, action: str, entry: Entry | None = None) -> None:
    if not can(viewer, action, entry):
        raise PermissionDenied


def _require_version(entry: Entry, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != entry.version:
        raise StaleEntryError(expected=expected_version, current=entry.version)


def _require_step(entry: Entry, action: str) -> None:
    if not entry.workflow_allows(action):
        raise InvalidTransitionError(entry, action)


def _require_reason(reason: str) -> str:
    cleaned = (reason or "").strip()
    if not cleaned:
        raise ValidationError({"reason": [_("Give the reason.")]}, code="reason_required")
    return cleaned


def _reserve_rsd_id(year: int) -> str:
    """Return the next identifier of ``year``; the counter row stays locked until the transaction ends."""
    EntryIdCounter.objects.bulk_create([EntryIdCounter(year=year, last=0)], ignore_conflicts=True)
    counter = EntryIdCounter.objects.select_for_update().get(year=year)
    counter.last = F("last") + 1
    counter.save(update_fields=["last"])
    counter.refresh_from_db(fields=["last"])
    rsd_id = f"RSD-{year:04d}-{counter.last:05d}"
    if not re.match(RSD_ID_REGEX, rsd_id):
        raise RegisterError("The identifier counter is out of range.", code="identifier_range")
    return rsd_id


def _save(entry: Entry) -> None:
    entry.version += 1
    entry.save()


def _record(
    entry: Entry,
    *,
    event: RevisionEvent,
    by: User,
    action: str,
    reason: str = "",
    summary: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> EntryRevision:
    """Write the revision and the audit event of a change already saved."""
    revision = EntryRevision.objects.create(
        entry=entry,
        serial=entry.serial,
        version=entry.version,
        changed_by=by,
        event=event,
        snapshot=snapshot(entry),
        reason=reason,
    )
    details = {"rsd_id": entry.rsd_id, "version": entry.version, "serial": entry.serial, **(summary or {})}
    audit_record(action=action, actor=by, obj=entry, summary=details, request=request)
    return revision


def _lower(tier: str, than: str) -> bool:
    return TIER_ORDER.index(tier) < TIER_ORDER.index(than)


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
    """Return the new translation fields; the given languages become current."""
    if not isinstance(value, Mapping):
        raise ValidationError(_("Give the translations per language."))
    original = cleaned.get("original_language", current["original_language"])
    titles = dict(current["title_translations"])
    summaries = dict(current["summary_translations"])
    status = dict(current["translation_status"])
    for given, texts in value.items():
        language = _language(given)
        if language == original:
            raise ValidationError(_("The original language is not a translation."))
        if not isinstance(texts, Mapping) or set(texts) - {"title", "summary"}:
            raise ValidationError(_("Give a title and a summary for each language."))
        title = _text(texts.get("title"), required=False, max_length=TITLE_MAX_LENGTH, single_line=True)
        summary = _text(texts.get("summary"), required=False, max_length=SUMMARY_MAX_LENGTH)
        for texts_of, text in ((titles, title), (summaries, summary)):
            if text:
                texts_of[language] = text
            else:
                texts_of.pop(language, None)
        status[language] = TranslationStatus.CURRENT.value
    return {"title_translations": titles, "summary_translations": summaries, "translation_status": status}


def _clean(
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
    if "translations" in values and not errors:
        try:
            cleaned.update(_translations(values["translations"], current=current, cleaned=cleaned))
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


def _live_values(entry: Entry) -> dict[str, Any]:
    """Return the entry's content in canonical form, as stored (not counting a pending edit)."""
    values = {field: to_json(getattr(entry, field)) for field in (*SCALAR_FIELDS, *TRANSLATION_FIELDS)}
    values["first_reported"] = to_json(entry.first_reported)
    values["sources"] = entry.sources
    values["aliases"] = entry.aliases
    values["credits"] = entry.credits
    values["related"] = sorted(entry.related_entries().values_list("rsd_id", flat=True))
    return values


def _empty_values() -> dict[str, Any]:
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


def _assign(entry: Entry, values: Mapping[str, Any]) -> None:
    """Set the canonical ``values`` that live on the entry row itself (the caller saves)."""
    for field in SCALAR_FIELDS:
        if field in values:
            setattr(entry, field, values[field])
    if "first_reported" in values:
        reported = values["first_reported"]
        entry.first_reported = date.fromisoformat(reported) if reported else None


def _write_rows(entry: Entry, values: Mapping[str, Any]) -> None:
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


def _touched_groups(changed: Mapping[str, Any]) -> set[str]:
    """Return the parts whose content changed (a translation's status alone changes no part)."""
    return {GROUP_OF[field] for field in changed if field in GROUP_OF and field != "translation_status"}


def _require_visible_parts(view: EntryView, groups: set[str]) -> None:
    for group in groups:
        if not view.sees(TIER_GROUPS[group][0]):
            raise PermissionDenied


# --- drafts and edits ----------------------------------------------------------------------------------


@transaction.atomic
def entry_create_draft(*, by: User, values: Mapping[str, Any], request: HttpRequest | None = None) -> Entry:
    """Create a draft with a newly reserved identifier; every part starts at COMMITTEE.

    ``values`` takes the keys of ``EDITABLE``; ``title`` and ``summary`` are required. See
    ``entry_update`` for their forms.
    """
    viewer = viewer_for(by)
    _require(viewer, PROPOSE)
    missing = [key for key in ("title", "summary") if key not in values]
    if missing:
        raise ValidationError({key: [_("This field is required.")] for key in missing})
    cleaned = _clean(values, current=_empty_values(), editor=viewer, rsd_id="", published=False)
    now = timezone.now()
    entry = Entry(rsd_id=_reserve_rsd_id(now.year), status=Status.DRAFT, version=1, created_by=by, created_at=now)
    _assign(entry, cleaned)
    entry.save()
    _write_rows(entry, cleaned)
    _record(
        entry,
        event=RevisionEvent.CREATED,
        by=by,
        action="register.entry.created",
        summary={"fields": sorted(cleaned)},
        request=request,
    )
    return entry


@transaction.atomic
def entry_update(
    *,
    entry: Entry,
    expected_version: int,
    changes: Mapping[str, Any],
    by: User,
    request: HttpRequest | None = None,
) -> Entry:
    """Change fields of an entry; return it (unchanged, with nothing written, when nothing differs).

    ``changes`` maps keys of ``EDITABLE`` to new values: text for ``title`` (one line),
    ``summary`` (plain text, at most 300 characters), ``details`` (Markdown) and
    ``concern_rationale``; lists of taxonomy codes for ``domains``, ``technology_areas``,
    ``control_lists`` and ``obligations``; ``{criterion: 0..3}`` for ``concern_scores`` (the level
    is derived by the rubric); a date for ``first_reported``; lists for ``sources`` (dicts with
    ``type`` and some of ``citation``, ``doi``, ``pmid``, ``arxiv_id``, ``url``), ``aliases``
    (identifiers elsewhere), ``related`` (RSD identifiers; replaces the entry's relations) and
    ``credits`` (dicts with ``name`` or ``user``, and ``role``); ``translations`` as
    ``{language: {"title": …, "summary": …}}`` (empty texts remove a language). Lists replace.

    Raises ``StaleEntryError`` when the entry is no longer at ``expected_version``. Changed parts
    go back to COMMITTEE. On a published entry the changes wait for review (``pending_changes``).
    """
    entry = _lock(entry)
    viewer = viewer_for(by)
    _require(viewer, EDIT, entry)
    _require_version(entry, expected_version)
    _require_step(entry, EDIT)
    published = entry.status == Status.PUBLISHED
    live = _live_values(entry)
    current = {**live, **entry.pending_changes} if published else live
    cleaned = _clean(changes, current=current, editor=viewer, rsd_id=entry.rsd_id, published=published)
    changed = {field: value for field, value in cleaned.items() if value != current[field]}
    if not changed:
        return entry
    groups = _touched_groups(changed)
    if published:
        _require_visible_parts(
            EntryView(viewer, pending_lens(entry), author_rule=False),
            {group for group in groups if group in entry.pending_tiers},
        )
        _require_visible_parts(
            EntryView(viewer, entry), {group for group in groups if group not in entry.pending_tiers}
        )
        _stage_pending(entry, changed, groups, live, by)
        _save(entry)
    else:
        _require_visible_parts(EntryView(viewer, entry), groups)
        for group in groups:
            setattr(entry, f"{group}_tier", stricter_tier(Tier.COMMITTEE, entry.tier_of(group)))
        _assign(entry, changed)
        _save(entry)
        _write_rows(entry, changed)
    _record(
        entry,
        event=RevisionEvent.EDITED,
        by=by,
        action="register.entry.edited",
        summary={"fields": sorted(changed), "pending": published},
        request=request,
    )
    return entry


def _stage_pending(entry: Entry, changed: dict[str, Any], groups: set[str], live: dict[str, Any], by: User) -> None:
    """Put ``changed`` into the pending edit of a published entry; the published fields stay as they are."""
    pending = dict(entry.pending_changes)
    tiers = dict(entry.pending_tiers)
    for field, value in changed.items():
        if value == live[field]:
            pending.pop(field, None)
        else:
            pending[field] = value
    for group in groups:
        tiers[group] = stricter_tier(Tier.COMMITTEE, str(tiers.get(group, entry.tier_of(group))))
    pending_groups = _touched_groups(pending)
    entry.pending_changes = pending
    entry.pending_tiers = {group: tier for group, tier in tiers.items() if group in pending_groups}
    if not pending:
        entry.pending_status = PendingStatus.NONE
        entry.pending_tiers = {}
        entry.pending_by = None
    else:
        entry.pending_by = by
        if entry.pending_status == PendingStatus.NONE:
            entry.pending_status = PendingStatus.DRAFT


def _clear_pending(entry: Entry) -> list[str]:
    fields = sorted(entry.pending_changes)
    entry.pending_changes = {}
    entry.pending_tiers = {}
    entry.pending_status = PendingStatus.NONE
    entry.pending_by = None
    return fields


# --- the workflow ----------------------------------------------------------------------------------------


def _begin_step(entry: Entry, *, by: User, action: str, expected_version: int | None) -> Entry:
    """Lock the entry and check, in this order, who may, the expected version and the state."""
    entry = _lock(entry)
    _require(viewer_for(by), action, entry)
    _require_version(entry, expected_version)
    _require_step(entry, action)
    return entry


@transaction.atomic
def entry_submit(
    *, entry: Entry, by: User, expected_version: int | None = None, request: HttpRequest | None = None
) -> Entry:
    """Submit a draft (or the pending edit of a published entry) for review."""
    entry = _begin_step(entry, by=by, action=SUBMIT, expected_version=expected_version)
    if entry.status == Status.DRAFT:
        missing = [field for field in ("title", "summary", "domains") if not getattr(entry, field)]
        if missing:
            raise ValidationError({field: [_("Fill this in before submitting.")] for field in missing})
        entry.status = Status.SUBMITTED
    else:
        entry.pending_status = PendingStatus.SUBMITTED
    _save(entry)
    _record(
        entry,
        event=RevisionEvent.SUBMITTED,
        by=by,
        action="register.entry.submitted",
        summary={"pending": entry.status == Status.PUBLISHED},
        request=request,
    )
    return entry


@transaction.atomic
def entry_start_review(
    *, entry: Entry, by: User, expected_version: int | None = None, request: HttpRequest | None = None
) -> Entry:
    """Take a submitted entry (or edit) into review."""
    entry = _begin_step(entry, by=by, action=START_REVIEW, expected_version=expected_version)
    if entry.status == Status.SUBMITTED:
        entry.status = Status.UNDER_REVIEW
    else:
        entry.pending_status = PendingStatus.UNDER_REVIEW
    _save(entry)
    _record(
        entry,
        event=RevisionEvent.REVIEW_STARTED,
        by=by,
        action="register.entry.review_started",
        summary={"pending": entry.status == Status.PUBLISHED},
        request=request,
    )
    return entry


@transaction.atomic
def entry_publish(
    *, entry: Entry, by: User, expected_version: int | None = None, request: HttpRequest | None = None
) -> Entry:
    """Publish an entry under review, or apply the reviewed edit of a published one; bump ``serial``."""
    entry = _begin_step(entry, by=by, action=PUBLISH, expected_version=expected_version)
    reviewers = ReviewAssignment.objects.filter(entry=entry).count()
    if reviewers < REVIEWERS_REQUIRED:
        raise RegisterError(
            _("Assign at least %(count)s reviewers before publishing.") % {"count": REVIEWERS_REQUIRED},
            code="reviewers_required",
        )
    now = timezone.now()
    pending, tiers = dict(entry.pending_changes), dict(entry.pending_tiers)
    applied = _clear_pending(entry)
    if entry.status == Status.UNDER_REVIEW:
        entry.status = Status.PUBLISHED
        entry.published_at = now
    for group, tier in tiers.items():
        setattr(entry, f"{group}_tier", tier)
    _assign(entry, pending)
    entry.serial += 1
    entry.modified_at = now
    _save(entry)
    _write_rows(entry, pending)
    _record(
        entry,
        event=RevisionEvent.PUBLISHED,
        by=by,
        action="register.entry.published",
        summary={"fields": applied, "pending": bool(applied)},
        request=request,
    )
    return entry


@transaction.atomic
def entry_reject(
    *, entry: Entry, reason: str, by: User, expected_version: int | None = None, request: HttpRequest | None = None
) -> Entry:
    """Reject a submitted entry (it stays, with its identifier and the reason) or discard a reviewed edit."""
    entry = _begin_step(entry, by=by, action=REJECT, expected_version=expected_version)
    reason = _require_reason(reason)
    discarded: list[str] = []
    if entry.status == Status.PUBLISHED:
        discarded = _clear_pending(entry)
    else:
        entry.status = Status.REJECTED
        entry.rejection_reason = reason
    _save(entry)
    _record(
        entry,
        event=RevisionEvent.REJECTED,
        by=by,
        action="register.entry.rejected",
        reason=reason,
        summary={"pending": bool(discarded), "fields": discarded, "reason": reason},
        request=request,
    )
    return entry


@transaction.atomic
def entry_withdraw(
    *, entry: Entry, reason: str, by: User, expected_version: int | None = None, request: HttpRequest | None = None
) -> Entry:
    """Withdraw a published entry: it stays readable, marked withdrawn, with its (public) reason; never deleted."""
    entry = _begin_step(entry, by=by, action=WITHDRAW, expected_version=expected_version)
    reason = _require_reason(reason)
    discarded = _clear_pending(entry)
    now = timezone.now()
    entry.status = Status.WITHDRAWN
    entry.withdrawn_at = now
    entry.modified_at = now
    entry.withdrawal_reason = reason
    entry.serial += 1
    _save(entry)
    _record(
        entry,
        event=RevisionEvent.WITHDRAWN,
        by=by,
        action="register.entry.withdrawn",
        reason=reason,
        summary={"discarded": discarded, "reason": reason},
        request=request,
    )
    return entry


# --- tiers and reviewers ---------------------------------------------------------------------------------


@transaction.atomic
def entry_set_tier(
    *,
    entry: Entry,
    field: str,
    tier: str,
    reason: str,
    by: User,
    pending: bool = False,
    expected_version: int | None = None,
    request: HttpRequest | None = None,
) -> Entry:
    """Classify one part of an entry (``field`` is a key of ``TIER_GROUPS``); return the entry.

    ``pending=True`` sets the tier the part of a pending edit will have when published. Only a
    person who sees the part may classify it. On a published entry the change is immediate and
    bumps ``serial``; lowering a published part's tier needs an analyst (a publication decision).
    Setting the tier it already has changes nothing.
    """
    entry = _lock(entry)
    viewer = viewer_for(by)
    _require(viewer, CLASSIFY, entry)
    _require_version(entry, expected_version)
    _require_step(entry, CLASSIFY)
    if field not in TIER_GROUPS:
        raise ValidationError({"field": [_("Choose a part of the entry.")]})
    if tier not in Tier.values:
        raise ValidationError({"tier": [_("Choose a tier.")]})
    reason = _require_reason(reason)
    if pending:
        if field not in entry.pending_tiers:
            raise ValidationError({"field": [_("This part has no pending change.")]})
        view = EntryView(viewer, pending_lens(entry), author_rule=False)
        current = str(entry.pending_tiers[field])
    else:
        view = EntryView(viewer, entry)
        current = entry.tier_of(field)
    if not view.sees(TIER_GROUPS[field][0]):
        raise PermissionDenied
    if tier == current:
        return entry
    live_public = not pending and entry.status in PUBLIC_STATUSES
    if live_public and _lower(tier, current) and not viewer.has(Role.COMMITTEE_ANALYST):
        raise PermissionDenied
    if pending:
        entry.pending_tiers = {**entry.pending_tiers, field: tier}
    else:
        setattr(entry, f"{field}_tier", tier)
    if live_public:
        entry.serial += 1
        entry.modified_at = timezone.now()
    _save(entry)
    _record(
        entry,
        event=RevisionEvent.TIER_CHANGED,
        by=by,
        action="register.entry.tier_changed",
        reason=reason,
        summary={"part": field, "from": current, "to": tier, "pending": pending, "reason": reason},
        request=request,
    )
    return entry


@transaction.atomic
def review_assign(
    *,
    entry: Entry,
    reviewer: User,
    by: User,
    due_at: datetime | None = None,
    request: HttpRequest | None = None,
) -> ReviewAssignment:
    """Assign a reviewer to an entry: they then see its COMMITTEE information and may classify it.

    The reviewer must hold the reviewer role (with MFA) and must not be the entry's creator. The
    assignment is not a change of the entry (no revision); it is audited.
    """
    given = entry
    entry = _lock(entry)
    _require(viewer_for(by), ASSIGN, entry)
    _require_step(entry, ASSIGN)
    if not viewer_for(reviewer).has(Role.REVIEWER):
        raise RegisterError(_("Only a reviewer can be assigned."), code="not_a_reviewer")
    if reviewer.pk == entry.created_by_id:
        raise RegisterError(_("Nobody reviews their own entry."), code="own_entry")
    if due_at is not None and (timezone.is_naive(due_at) or due_at <= timezone.now()):
        raise ValidationError({"due_at": [_("The due date lies in the future, with its time zone.")]})
    if ReviewAssignment.objects.filter(entry=entry, reviewer=reviewer).exists():
        raise RegisterError(_("This reviewer is already assigned."), code="already_assigned")
    assignment = ReviewAssignment.objects.create(entry=entry, reviewer=reviewer, assigned_by=by, due_at=due_at)
    given.forget_assignments()
    audit_record(
        action="register.review.assigned",
        actor=by,
        obj=entry,
        summary={
            "rsd_id": entry.rsd_id,
            "reviewer": reviewer.pk,
            "due_at": due_at.isoformat() if due_at is not None else None,
        },
        request=request,
    )
    return assignment


def entry_view_record(*, viewer: Viewer, entry: Entry, request: HttpRequest | None = None) -> None:
    """Write the ``restricted.viewed`` events for what of ``entry`` is shown to ``viewer`` (published and pending)."""
    record_restricted_view(viewer, entry, request)
    if entry.pending_changes:
        record_restricted_view(viewer, pending_lens(entry), request)
