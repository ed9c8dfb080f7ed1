"""The register in the Django admin: read-only bookkeeping, never content, never deletion.

The admin is the administrators' (``admin.site``), and an administrator's role shows no content
above PUBLIC: so the admin lists identifiers, states, versions, tiers and dates only — no title,
summary, details, assessment, source or snapshot. Entries are written through
``nonpro.register.services`` (tiers, revisions, audit events) and are never deleted.
"""

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from nonpro.register.models import Entry, EntryIdCounter, EntryRevision, ReviewAssignment


class ReadOnlyAdmin[M: Model](admin.ModelAdmin[M]):
    """Show rows; add, change and delete nothing."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin[Entry]):
    list_display = ("rsd_id", "status", "pending_status", "serial", "version", "modified_at")
    list_filter = ("status", "pending_status")
    search_fields = ("rsd_id",)
    fields = (
        "rsd_id",
        "status",
        "pending_status",
        "version",
        "serial",
        "created_by",
        "created_at",
        "published_at",
        "modified_at",
        "withdrawn_at",
        "title_tier",
        "summary_tier",
        "details_tier",
        "classification_tier",
        "assessment_tier",
        "sources_tier",
        "credits_tier",
    )


@admin.register(EntryRevision)
class EntryRevisionAdmin(ReadOnlyAdmin[EntryRevision]):
    list_display = ("entry", "version", "serial", "event", "changed_at")
    list_filter = ("event",)
    search_fields = ("entry__rsd_id",)
    fields = ("entry", "version", "serial", "event", "changed_by", "changed_at")


@admin.register(ReviewAssignment)
class ReviewAssignmentAdmin(ReadOnlyAdmin[ReviewAssignment]):
    list_display = ("entry", "reviewer", "assigned_at", "due_at", "completed_at")
    search_fields = ("entry__rsd_id",)
    fields = ("entry", "reviewer", "assigned_by", "assigned_at", "due_at", "completed_at")


@admin.register(EntryIdCounter)
class EntryIdCounterAdmin(ReadOnlyAdmin[EntryIdCounter]):
    list_display = ("year", "last")
