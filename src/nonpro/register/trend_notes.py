"""Trend notes: experts' input on new trends in a domain, which analysts read and acknowledge.

A note is COMMITTEE information (``TrendNote.policy_tier``): analysts (``register.trend_note.view``)
see every note; its author sees their own while they may still submit notes
(``register.trend_note.submit``: experts, reviewers, analysts); nobody else sees any, nor learns
how many there are. Acknowledging is the analysts' step (the ``register.trend_note.view`` rule:
the policy has no separate action for it).

Writes are services (keyword-only, one transaction, an audit event whose summary names the note,
its domain and language — never its title or text). Reads are selectors; pages render from
``trend_note_data_for`` (the fields the viewer may see), not from the model.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nonpro.accounts.models import User
from nonpro.core.audit.services import audit_record
from nonpro.core.policy import Viewer, can, strip_fields, viewer_for
from nonpro.register import taxonomy
from nonpro.register.models import TITLE_MAX_LENGTH, TrendNote, TrendNoteStatus
from nonpro.register.services import RegisterError

SUBMIT = "register.trend_note.submit"
VIEW = "register.trend_note.view"
BODY_MAX_LENGTH = 5000


# --- reads ---------------------------------------------------------------------------------------------


def sees_all_notes(viewer: Viewer) -> bool:
    """Return whether ``viewer`` reads every trend note (analysts)."""
    return can(viewer, VIEW)


def trend_notes_for(viewer: Viewer, *, domain: str = "", status: str = "") -> QuerySet[TrendNote]:
    """Return the notes ``viewer`` may see — every note for analysts, their own for authors — NEW first, newest first.

    ``domain`` and ``status`` filter (an empty string does not).
    """
    notes = TrendNote.objects.select_related("author", "acknowledged_by")
    if not sees_all_notes(viewer):
        if viewer.user_id is None or not can(viewer, SUBMIT):
            return notes.none()
        notes = notes.filter(author_id=viewer.user_id)
    if domain:
        notes = notes.filter(domain=domain)
    if status:
        notes = notes.filter(status=status)
    new_first = Case(When(status=TrendNoteStatus.NEW, then=Value(0)), default=Value(1), output_field=IntegerField())
    return notes.order_by(new_first, "-created_at", "-pk")


def trend_note_get_visible(viewer: Viewer, pk: int) -> TrendNote | None:
    """Return the note ``pk`` when ``viewer`` may see it, else ``None`` (the same answer as for a missing one)."""
    return trend_notes_for(viewer).filter(pk=pk).first()


def trend_note_data_for(viewer: Viewer, note: TrendNote) -> dict[str, Any] | None:
    """Return what ``viewer`` may see of ``note`` (``None`` when nothing): its fields, who wrote and acknowledged it."""
    if sees_all_notes(viewer):
        data = strip_fields(viewer, note)
        if not data:
            return None
        data["author"] = str(note.author)
        data["acknowledged_by"] = str(note.acknowledged_by) if note.acknowledged_by else ""
    elif viewer.user_id is not None and note.author_id == viewer.user_id and can(viewer, SUBMIT):
        # The author rule (as for a creator's own entry): their own words, and whether they were read.
        data = {name: getattr(note, name) for name in note.policy_fields()}
        data["author"] = str(note.author)
        data["acknowledged_by"] = ""
    else:
        return None
    data["pk"] = note.pk
    data["acknowledged_at"] = note.acknowledged_at
    return data


# --- writes --------------------------------------------------------------------------------------------


def _clean(*, domain: str, title: str, body: str, language: str) -> dict[str, str]:
    """Return the note's values, stripped, or raise ``ValidationError`` naming every wrong field."""
    errors: dict[str, list[Any]] = {}
    cleaned = {
        "domain": (domain or "").strip(),
        "title": (title or "").strip(),
        "body": (body or "").strip(),
        "language": (language or "").strip(),
    }
    if cleaned["domain"] not in taxonomy.codes("domain"):
        errors["domain"] = [_("Choose one of the domains.")]
    if not cleaned["title"]:
        errors["title"] = [_("Give the note a title.")]
    elif len(cleaned["title"]) > TITLE_MAX_LENGTH or "\n" in cleaned["title"] or "\r" in cleaned["title"]:
        errors["title"] = [_("The title is one line of at most %(limit)s characters.") % {"limit": TITLE_MAX_LENGTH}]
    if not cleaned["body"]:
        errors["body"] = [_("Describe the trend.")]
    elif len(cleaned["body"]) > BODY_MAX_LENGTH:
        errors["body"] = [_("The note is at most %(limit)s characters.") % {"limit": BODY_MAX_LENGTH}]
    if cleaned["language"] not in {code for code, _name in settings.LANGUAGES}:
        errors["language"] = [_("Choose one of the languages.")]
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def trend_note_submit(
    *, by: User, domain: str, title: str, body: str, language: str, request: HttpRequest | None = None
) -> TrendNote:
    """Record an expert's note on a new trend in ``domain`` (policy level: what it is and why it matters)."""
    if not can(viewer_for(by), SUBMIT):
        raise PermissionDenied
    cleaned = _clean(domain=domain, title=title, body=body, language=language)
    note = TrendNote.objects.create(author=by, status=TrendNoteStatus.NEW, **cleaned)
    audit_record(
        action="register.trend_note.submitted",
        actor=by,
        obj=note,
        summary={"note": note.pk, "domain": note.domain, "language": note.language},
        request=request,
    )
    return note


@transaction.atomic
def trend_note_acknowledge(*, note: TrendNote, by: User, request: HttpRequest | None = None) -> TrendNote:
    """Mark a NEW note as read by an analyst; acknowledging it twice is refused (``already_acknowledged``)."""
    if not can(viewer_for(by), VIEW):
        raise PermissionDenied
    locked = TrendNote.objects.select_for_update().get(pk=note.pk)
    if locked.status == TrendNoteStatus.ACKNOWLEDGED:
        raise RegisterError(_("This note has already been acknowledged."), code="already_acknowledged")
    locked.status = TrendNoteStatus.ACKNOWLEDGED
    locked.acknowledged_by = by
    locked.acknowledged_at = timezone.now()
    locked.save(update_fields=["status", "acknowledged_by", "acknowledged_at"])
    audit_record(
        action="register.trend_note.acknowledged",
        actor=by,
        obj=locked,
        summary={"note": locked.pk, "domain": locked.domain},
        request=request,
    )
    return locked
