"""The Register of Scientific Developments: entries, their field tiers, revisions and review assignments.

An entry's information is tiered per part (``TIER_GROUPS``): each part has a ``<part>_tier`` column,
COMMITTEE by default (fail closed). The entry itself is PUBLIC once published (and stays so when
withdrawn); before that it is COMMITTEE — plus its creator, an explicit rule of the selectors.

Writes go through ``nonpro.register.services`` (one transaction each, with an audit event and an
``EntryRevision``); reads through ``nonpro.register.selectors`` and ``nonpro.register.history``.
``__str__`` gives the identifier only: the title is tiered and must never reach a log or the admin.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from nonpro.core.policy import Tier
from nonpro.core.translation import TranslationBase

RSD_ID_REGEX = r"^RSD-[0-9]{4}-[0-9]{5,}$"
SUMMARY_MAX_LENGTH = 300
TITLE_MAX_LENGTH = 250


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    UNDER_REVIEW = "under_review", _("Under review")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


#: An entry in one of these is public (a withdrawn entry stays readable, marked withdrawn, like OSV).
PUBLIC_STATUSES = frozenset({Status.PUBLISHED, Status.WITHDRAWN})


class PendingStatus(models.TextChoices):
    """Where an edit of a published entry stands; the published content stays until it is accepted."""

    NONE = "", _("No pending edit")
    DRAFT = "draft", _("Edit in draft")
    SUBMITTED = "submitted", _("Edit submitted")
    UNDER_REVIEW = "under_review", _("Edit under review")


class ConcernLevel(models.TextChoices):
    NOT_ASSESSED = "", _("Not assessed")
    LOW = "low", _("Low")
    MODERATE = "moderate", _("Moderate")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class SourceType(models.TextChoices):
    ARTICLE = "article", _("Article")
    PREPRINT = "preprint", _("Preprint")
    PATENT = "patent", _("Patent")
    REPORT = "report", _("Report")
    NEWS = "news", _("News")
    DATASET = "dataset", _("Dataset")
    WEB = "web", _("Web page")


class CreditRole(models.TextChoices):
    FINDER = "finder", _("Finder")
    REPORTER = "reporter", _("Reporter")
    ANALYST = "analyst", _("Analyst")
    REVIEWER = "reviewer", _("Reviewer")
    COORDINATOR = "coordinator", _("Coordinator")


class RevisionEvent(models.TextChoices):
    CREATED = "created", pgettext_lazy("revision event", "Created")
    EDITED = "edited", _("Edited")
    SUBMITTED = "submitted", _("Submitted")
    REVIEW_STARTED = "review_started", _("Review started")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    TIER_CHANGED = "tier_changed", _("Tier changed")


#: The tiered parts of an entry and the fields each covers: one ``<part>_tier`` column per part.
TIER_GROUPS: dict[str, tuple[str, ...]] = {
    "title": ("title", "title_translations", "translation_status"),
    "summary": ("summary", "summary_translations"),
    "details": ("details",),
    "classification": ("domains", "technology_areas", "control_lists", "obligations", "related"),
    "assessment": ("concern_scores", "concern_level", "concern_rationale"),
    "sources": ("first_reported", "sources", "aliases"),
    "credits": ("credits",),
}
GROUP_OF: dict[str, str] = {field: group for group, fields in TIER_GROUPS.items() for field in fields}
CONTENT_FIELDS: tuple[str, ...] = tuple(GROUP_OF)

#: Facts about the record itself; their tier is the entry's own tier.
RECORD_FIELDS: tuple[str, ...] = (
    "rsd_id",
    "status",
    "serial",
    "original_language",
    "published_at",
    "modified_at",
    "withdrawn_at",
    "withdrawal_reason",
    "rejection_reason",
)
#: Workflow facts shown to the committee only (whether an edit of a published entry is pending).
COMMITTEE_FIELDS: tuple[str, ...] = ("pending_status",)

TIER_ORDER: tuple[str, ...] = (Tier.PUBLIC, Tier.OFFICIAL, Tier.COMMITTEE, Tier.RESTRICTED)

#: The workflow: for each action on an entry, the (status, pending status) pairs it may start from.
#: Who may do it is the policy's answer (``can``); whether the entry is in a state for it is this.
_ANY_PENDING = tuple(PendingStatus.values)
WORKFLOW: dict[str, frozenset[tuple[str, str]]] = {
    "register.entry.edit": frozenset(
        {(Status.DRAFT, ""), (Status.SUBMITTED, ""), (Status.UNDER_REVIEW, "")}
        | {(Status.PUBLISHED, pending) for pending in _ANY_PENDING}
    ),
    "register.entry.submit": frozenset({(Status.DRAFT, ""), (Status.PUBLISHED, PendingStatus.DRAFT)}),
    "register.review.start": frozenset({(Status.SUBMITTED, ""), (Status.PUBLISHED, PendingStatus.SUBMITTED)}),
    "register.entry.publish": frozenset({(Status.UNDER_REVIEW, ""), (Status.PUBLISHED, PendingStatus.UNDER_REVIEW)}),
    "register.entry.reject": frozenset(
        {
            (Status.SUBMITTED, ""),
            (Status.UNDER_REVIEW, ""),
            (Status.PUBLISHED, PendingStatus.SUBMITTED),
            (Status.PUBLISHED, PendingStatus.UNDER_REVIEW),
        }
    ),
    "register.entry.withdraw": frozenset({(Status.PUBLISHED, pending) for pending in _ANY_PENDING}),
    "register.review.assign": frozenset(
        {(Status.DRAFT, ""), (Status.SUBMITTED, ""), (Status.UNDER_REVIEW, "")}
        | {(Status.PUBLISHED, pending) for pending in _ANY_PENDING}
    ),
    "register.entry.classify": frozenset(
        {(status, "") for status in Status.values} | {(Status.PUBLISHED, pending) for pending in _ANY_PENDING}
    ),
}


def stricter_tier(*tiers: str) -> str:
    """Return the most restrictive of ``tiers`` (an unknown tier counts as RESTRICTED: fail closed)."""
    rank = [TIER_ORDER.index(tier) if tier in TIER_ORDER else len(TIER_ORDER) - 1 for tier in tiers]
    return TIER_ORDER[max(rank)]


def _tier_field(label: Any) -> models.CharField[str, str]:
    return models.CharField(label, max_length=20, choices=Tier.choices, default=Tier.COMMITTEE)


class EntryIdCounter(models.Model):
    """The last number handed out for one year: identifiers are reserved from it and never reused."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("identifier counter")
        verbose_name_plural = _("identifier counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Entry(models.Model):
    """One development in the register, identified by ``RSD-YYYY-NNNNN``.

    ``version`` is the optimistic lock: every write bumps it, and writers say which version they
    saw. ``serial`` counts the changes to the published record (0 before the first publication).
    An edit of a published entry waits in ``pending_changes`` (canonical values of the changed
    fields) with ``pending_tiers`` (the tier each changed part will have) and ``pending_status``;
    the published fields change only when the edit is published.
    """

    rsd_id = models.CharField(_("identifier"), max_length=20, unique=True, editable=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    tier = models.GeneratedField(
        expression=models.Case(
            models.When(status__in=sorted(PUBLIC_STATUSES), then=models.Value(Tier.PUBLIC.value)),
            default=models.Value(Tier.COMMITTEE.value),
        ),
        output_field=models.CharField(max_length=20),
        db_persist=True,
        verbose_name=_("tier"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    serial = models.PositiveIntegerField(_("revision serial"), default=0)

    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    summary = models.TextField(_("summary"), help_text=_("Plain text, at most 300 characters, non-operational."))
    details = models.TextField(_("details"), blank=True, help_text=_("Markdown."))
    original_language = models.CharField(
        _("original language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    domains = models.JSONField(_("domains"), default=list, blank=True)
    technology_areas = models.JSONField(_("technology areas"), default=list, blank=True)
    control_lists = models.JSONField(_("control lists"), default=list, blank=True)
    obligations = models.JSONField(_("obligations of resolution 1540"), default=list, blank=True)
    concern_scores = models.JSONField(_("concern scores"), default=dict, blank=True)
    concern_level = models.CharField(
        _("concern level"), max_length=10, choices=ConcernLevel.choices, default=ConcernLevel.NOT_ASSESSED, blank=True
    )
    concern_rationale = models.TextField(_("concern rationale"), blank=True)

    first_reported = models.DateField(_("first reported"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    modified_at = models.DateTimeField(_("modified at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="register_entries",
        verbose_name=_("created by"),
    )

    title_tier = _tier_field(_("tier of the title"))
    summary_tier = _tier_field(_("tier of the summary"))
    details_tier = _tier_field(_("tier of the details"))
    classification_tier = _tier_field(_("tier of the classification"))
    assessment_tier = _tier_field(_("tier of the assessment"))
    sources_tier = _tier_field(_("tier of the sources"))
    credits_tier = _tier_field(_("tier of the credits"))

    pending_status = models.CharField(
        _("pending edit"), max_length=20, choices=PendingStatus.choices, default=PendingStatus.NONE, blank=True
    )
    pending_changes = models.JSONField(_("pending changes"), default=dict, blank=True)
    pending_tiers = models.JSONField(_("tiers of the pending changes"), default=dict, blank=True)
    pending_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("pending edit by"),
    )

    class Meta:
        verbose_name = _("register entry")
        verbose_name_plural = _("register entries")
        ordering = ["-pk"]
        constraints = [
            # The full pattern (RSD_ID_REGEX) is checked in code: a REGEXP in a SQLite CHECK would need
            # Django's function in every connection, including the sqlite3 shell and backups.
            models.CheckConstraint(
                condition=Q(Q(rsd_id__startswith="RSD-"), GreaterThanOrEqual(Length("rsd_id"), 14)),
                name="register_entry_rsd_id_format",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("summary"), SUMMARY_MAX_LENGTH), name="register_entry_summary_length"
            ),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="register_entry_status_known"),
            models.CheckConstraint(condition=Q(version__gte=1), name="register_entry_version_positive"),
            models.CheckConstraint(
                condition=Q(status__in=sorted(PUBLIC_STATUSES)) | Q(serial=0),
                name="register_entry_serial_only_when_published",
            ),
            models.CheckConstraint(
                condition=Q(pending_status="") | Q(status=Status.PUBLISHED),
                name="register_entry_pending_only_when_published",
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{group}_tier__in": Tier.values}), name=f"register_entry_{group}_tier_known"
                )
                for group in TIER_GROUPS
            ],
        ]
        indexes = [
            models.Index(fields=["tier", "status"], name="register_entry_tier_status"),
            models.Index(fields=["modified_at"], name="register_entry_modified"),
            models.Index(fields=["created_by", "status"], name="register_entry_creator"),
        ]

    def __str__(self) -> str:
        return self.rsd_id

    def workflow_allows(self, action: str) -> bool:
        """Return whether the entry's state allows ``action`` now (who may is ``can``'s question)."""
        return (str(self.status), str(self.pending_status)) in WORKFLOW.get(action, frozenset())

    def tier_of(self, group: str) -> str:
        """Return the tier of one part (a key of ``TIER_GROUPS``)."""
        return str(getattr(self, f"{group}_tier"))

    # --- the policy object protocol (nonpro.core.policy) -----------------------------------------

    def policy_tier(self, field: str | None = None) -> str:
        """Return the entry's tier (``field`` None) or the tier of one of its fields; "" for an unknown field."""
        if field is None:
            return Tier.PUBLIC.value if self.status in PUBLIC_STATUSES else Tier.COMMITTEE.value
        group = GROUP_OF.get(field)
        if group is not None:
            return str(getattr(self, f"{group}_tier"))
        if field in COMMITTEE_FIELDS:
            return Tier.COMMITTEE.value
        if field in RECORD_FIELDS:
            return self.policy_tier(None)
        return ""

    def policy_fields(self) -> Iterable[str]:
        return (*RECORD_FIELDS, *COMMITTEE_FIELDS, *CONTENT_FIELDS)

    def policy_country_id(self) -> int | None:
        return None

    def policy_assigned_user_ids(self) -> set[int]:
        """Return the reviewers assigned to the entry (read once per instance)."""
        cached = self.__dict__.get("_assigned_user_ids")
        if cached is None:
            cached = set()
            if self.pk is not None:
                cached = set(ReviewAssignment.objects.filter(entry_id=self.pk).values_list("reviewer_id", flat=True))
            self.__dict__["_assigned_user_ids"] = cached
        return set(cached)

    def forget_assignments(self) -> None:
        """Drop the remembered reviewer list (after an assignment changed)."""
        self.__dict__.pop("_assigned_user_ids", None)

    # --- content held in other tables, in canonical (JSON) form -------------------------------

    @property
    def title_translations(self) -> dict[str, str]:
        return {row.language: row.title for row in self.translations.all() if row.title}

    @property
    def summary_translations(self) -> dict[str, str]:
        return {row.language: row.summary for row in self.translations.all() if row.summary}

    @property
    def translation_status(self) -> dict[str, str]:
        return {row.language: row.status for row in self.translations.all() if row.title or row.summary}

    @property
    def sources(self) -> list[dict[str, str]]:
        return [source.as_dict() for source in self.source_rows.all()]

    @property
    def aliases(self) -> list[str]:
        return sorted(alias.alias for alias in self.alias_rows.all())

    @property
    def credits(self) -> list[dict[str, Any]]:
        return [credit.as_dict() for credit in self.credit_rows.all()]

    @property
    def related(self) -> list[str]:
        """Return the related entries that are public. Selectors add those the viewer may see besides."""
        return sorted(
            rsd_id
            for rsd_id, status in self.related_entries().values_list("rsd_id", "status")
            if status in PUBLIC_STATUSES
        )

    def related_entries(self) -> models.QuerySet[Entry]:
        """Return every entry related to this one (relations are symmetric, never transitive)."""
        if self.pk is None:
            return Entry.objects.none()
        # One id list from two indexed lookups of the relation rows (an OR of two conditions would
        # make SQLite and PostgreSQL scan the register).
        as_a = EntryRelation.objects.filter(entry_b_id=self.pk).values_list("entry_a_id", flat=True)
        as_b = EntryRelation.objects.filter(entry_a_id=self.pk).values_list("entry_b_id", flat=True)
        return Entry.objects.filter(pk__in=as_a.union(as_b))


class EntryTranslation(TranslationBase):
    """The title and summary of an entry in a language other than its original one (docs/decisions/0001)."""

    master = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="translations")
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH, blank=True)
    summary = models.TextField(_("summary"), blank=True)

    class Meta:
        verbose_name = _("entry translation")
        verbose_name_plural = _("entry translations")
        ordering = ["master", "language"]
        constraints = [
            models.UniqueConstraint(fields=["master", "language"], name="register_translation_unique_language"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("summary"), SUMMARY_MAX_LENGTH),
                name="register_translation_summary_length",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.master_id}/{self.language}"


class EntrySource(models.Model):
    """A typed reference of an entry (article, preprint, patent …) with its identifiers."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="source_rows")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    type = models.CharField(_("type"), max_length=20, choices=SourceType.choices)
    citation = models.TextField(_("citation"), blank=True)
    doi = models.CharField(_("DOI"), max_length=200, blank=True)
    pmid = models.CharField(_("PubMed id"), max_length=20, blank=True)
    arxiv_id = models.CharField(_("arXiv id"), max_length=40, blank=True)
    url = models.URLField(_("URL"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["entry", "position"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "position"], name="register_source_unique_position"),
            models.CheckConstraint(condition=Q(type__in=SourceType.values), name="register_source_type_known"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}#{self.position}"

    def as_dict(self) -> dict[str, str]:
        return {
            "type": self.type,
            "citation": self.citation,
            "doi": self.doi,
            "pmid": self.pmid,
            "arxiv_id": self.arxiv_id,
            "url": self.url,
        }


class EntryAlias(models.Model):
    """An identifier of the same development in another database (OSV ``aliases``; never merged transitively)."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="alias_rows")
    alias = models.CharField(_("alias"), max_length=100)

    class Meta:
        verbose_name = _("alias")
        verbose_name_plural = _("aliases")
        ordering = ["entry", "alias"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "alias"], name="register_alias_unique"),
        ]

    def __str__(self) -> str:
        return self.alias


class EntryRelation(models.Model):
    """Two related entries (OSV ``related``): symmetric, not transitive; one row per unordered pair."""

    entry_a = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="relations_as_a")
    entry_b = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="relations_as_b")

    class Meta:
        verbose_name = _("related entries")
        verbose_name_plural = _("related entries")
        constraints = [
            models.UniqueConstraint(fields=["entry_a", "entry_b"], name="register_relation_unique_pair"),
            models.CheckConstraint(condition=Q(entry_a__lt=models.F("entry_b")), name="register_relation_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_a_id}~{self.entry_b_id}"


class EntryCredit(models.Model):
    """Who contributed to an entry and how: a user of the platform, or a named person."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="credit_rows")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=20, choices=CreditRole.choices)

    class Meta:
        verbose_name = _("credit")
        verbose_name_plural = _("credits")
        ordering = ["entry", "position"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "position"], name="register_credit_unique_position"),
            models.CheckConstraint(condition=Q(role__in=CreditRole.values), name="register_credit_role_known"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}#{self.position}"

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "user": self.user_id}


class ReviewRecommendation(models.TextChoices):
    PUBLISH = "publish", _("Publish")
    REVISE = "revise", _("Revise before publication")
    REJECT = "reject", pgettext_lazy("review recommendation", "Reject")


class ReviewAssignment(models.Model):
    """A reviewer assigned to an entry, and their review once done.

    An assignment belongs to one review round: it is *open* until the analyst's decision (publish
    or reject) closes it (``closed_at``). A reviewer has at most one open assignment per entry; an
    edit of a published entry gets a new round of assignments. While assigned (open or closed) the
    reviewer sees the entry's COMMITTEE information and may classify it.

    The review: ``scores`` (criterion code of the concern rubric → score), the level the reviewer
    proposes, comments, a recommendation and the confirmation that the entry holds no enabling
    detail. ``completed_at`` is set when the review is submitted; a completed review is final.
    ``conflict_note`` is the analyst's reason for assigning a reviewer who has declared a conflict
    of interest (required then). ``reminded_at`` is when the last reminder was e-mailed.
    """

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="review_assignments")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="register_assignments"
    )
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("last reminder at"), null=True, blank=True)
    conflict_note = models.TextField(_("note on declared conflicts of interest"), blank=True)
    scores = models.JSONField(_("rubric scores"), default=dict, blank=True)
    proposed_level = models.CharField(
        _("proposed concern level"), max_length=10, choices=ConcernLevel.choices, default="", blank=True
    )
    comments = models.TextField(_("comments"), blank=True)
    recommendation = models.CharField(
        _("recommendation"), max_length=10, choices=ReviewRecommendation.choices, default="", blank=True
    )
    no_enabling_detail = models.BooleanField(_("confirmed: no enabling detail"), default=False)

    class Meta:
        verbose_name = _("review assignment")
        verbose_name_plural = _("review assignments")
        ordering = ["entry", "assigned_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "reviewer"],
                condition=Q(closed_at__isnull=True),
                name="register_assignment_unique_open_reviewer",
            ),
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True) | Q(no_enabling_detail=True),
                name="register_assignment_completed_confirms_no_enabling_detail",
            ),
            models.CheckConstraint(
                condition=Q(recommendation__in=["", *ReviewRecommendation.values]),
                name="register_assignment_recommendation_known",
            ),
        ]
        indexes = [
            models.Index(fields=["reviewer", "closed_at"], name="register_assignment_open"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}:{self.reviewer_id}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None


class TrendNoteStatus(models.TextChoices):
    NEW = "new", _("New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")


class TrendNote(models.Model):
    """An expert's input on a new trend in one domain: COMMITTEE information, seen by analysts and its author.

    Policy-level text only (the safety rule): what the trend is and why it matters for resolution 1540.
    """

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="register_trend_notes",
        verbose_name=_("author"),
    )
    domain = models.CharField(_("domain"), max_length=40)
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    body = models.TextField(_("note"))
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=20, choices=TrendNoteStatus.choices, default=TrendNoteStatus.NEW)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("trend note")
        verbose_name_plural = _("trend notes")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=TrendNoteStatus.values), name="register_trend_note_status"),
        ]

    def __str__(self) -> str:
        return f"trend note {self.pk}"

    # --- the policy object protocol: COMMITTEE, nothing scoped to a State ---------------------------

    def policy_tier(self, field: str | None = None) -> str:
        return Tier.COMMITTEE.value

    def policy_fields(self) -> Iterable[str]:
        return ("domain", "title", "body", "language", "created_at", "status")

    def policy_country_id(self) -> int | None:
        return None

    def policy_assigned_user_ids(self) -> set[int]:
        return set()


class SubscriptionKind(models.TextChoices):
    DOMAIN = "domain", _("Domain")
    CONCERN = "concern", _("Concern level")


class SubscriptionFrequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")


class Subscription(models.Model):
    """A user follows a domain or a concern level and receives e-mail digests of what they may see.

    ``last_sent_at`` is the end of the period the last digest covered: the next one starts there.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="register_subscriptions")
    kind = models.CharField(_("follows"), max_length=10, choices=SubscriptionKind.choices)
    code = models.CharField(_("code"), max_length=40)
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=SubscriptionFrequency.choices, default=SubscriptionFrequency.WEEKLY
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_sent_at = models.DateTimeField(_("last digest up to"), null=True, blank=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["user", "kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "code"], name="register_subscription_unique"),
            models.CheckConstraint(condition=Q(kind__in=SubscriptionKind.values), name="register_subscription_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.kind}:{self.code}"


class EntryRevision(models.Model):
    """One write to an entry, kept forever: who, when, which event, and a snapshot of every field with its tier.

    ``snapshot`` is ``{"format": 1, "fields": {name: {"tier", "value"}}, "pending": {name: {"tier", "value"}}}``
    (values in canonical JSON form; see ``nonpro.register.history``). The foreign key protects the
    entry: an entry with revisions — every entry — cannot be deleted.
    """

    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="revisions")
    serial = models.PositiveIntegerField(_("revision serial"))
    version = models.PositiveIntegerField(_("version"))
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    event = models.CharField(_("event"), max_length=20, choices=RevisionEvent.choices)
    snapshot = models.JSONField(_("snapshot"))
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("entry revision")
        verbose_name_plural = _("entry revisions")
        ordering = ["entry", "version"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "version"], name="register_revision_unique_version"),
            models.CheckConstraint(condition=Q(event__in=RevisionEvent.values), name="register_revision_event_known"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} v{self.version}"


class EntrySearchDocument(models.Model):
    """The searchable text of one part of an entry in one language (docs/decisions/0006-register-search.md).

    Rebuilt by ``nonpro.register.search.reindex_entry`` inside every write to the entry, from the
    current (published) values only — never from a pending edit. ``text`` holds normalised tokens
    (case and diacritics folded, Chinese split into bigrams) separated by spaces, so that SQLite
    FTS5 and PostgreSQL full-text search see the same words. Searches match a row only when its
    ``part`` is visible to the viewer on that entry. The row carries copies of the entry's own tier
    and of its part's tier (rewritten with the text in every write), so that a search decides
    visibility on the matching rows alone, without reading the entry (decision 0008).
    """

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="search_documents")
    part = models.CharField(_("part"), max_length=20)
    language = models.CharField(_("language"), max_length=10)
    text = models.TextField(_("indexed text"))
    #: Unknown tiers (rows written before the copies existed) reach nobody: RESTRICTED.
    entry_tier = models.CharField(_("entry tier"), max_length=12, choices=Tier.choices, default=Tier.RESTRICTED)
    part_tier = models.CharField(_("part tier"), max_length=12, choices=Tier.choices, default=Tier.RESTRICTED)

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")
        constraints = [
            models.UniqueConstraint(fields=["entry", "part", "language"], name="register_search_document_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}/{self.part}/{self.language}"
