"""Horizon scanning in the database: screening projects, import jobs, candidates and decisions.

A **screening project** gathers the literature read for one purpose (a domain, a topic, a question)
and the reviewers who screen it. Every candidate of a project — the record read, its concern
scores, its explanation, the model's ranking and the reviewers' decisions — is COMMITTEE-tier
information (DESIGN.md): committee analysts see every project, a reviewer the projects they are a
member of (``policy_assigned_user_ids``), nobody else any. The tier is the project's, held in
``ScreeningProject.tier`` so that ``policy.visible`` filters in the database.

An **import job** reads one uploaded file or server file into a project in the background: it
commits its candidates, counters and problems batch by batch together with ``resume_from``, so a
job that was cancelled or interrupted resumes exactly where it stopped.

A **candidate** is one record of a project. A record that duplicates an earlier candidate of the
project (same DOI, PMID … or a near-identical title) is kept as a candidate with ``duplicate_of``
set — the link between duplicates is never lost — and is not screened; what it adds (an abstract,
identifiers, authors) fills the gaps of the candidate it duplicates.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nonpro.core.policy import Tier

#: The tiers a project may have: its candidates are never less than COMMITTEE.
PROJECT_TIERS = [(Tier.COMMITTEE.value, Tier.COMMITTEE.label), (Tier.RESTRICTED.value, Tier.RESTRICTED.label)]


class Querier(models.TextChoices):
    MAX = "max", _("Most likely relevant first")
    UNCERTAINTY = "uncertainty", _("Most uncertain first")
    MIXED = "mixed", _("Most likely relevant first, with some random records")


class ScreeningProject(models.Model):
    """A set of candidates screened together, by its members, with one model."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    domains = models.JSONField(
        _("domains"),
        default=list,
        blank=True,
        help_text=_("The domains of concern this project looks for; none: all of them."),
    )
    topics = models.JSONField(
        _("topics"),
        default=list,
        blank=True,
        help_text=_("The topics of the concern taxonomy this project looks for, beside its domains."),
    )
    querier = models.CharField(_("order of screening"), max_length=20, choices=Querier.choices, default=Querier.MAX)
    tier = models.CharField(_("tier"), max_length=20, choices=PROJECT_TIERS, default=Tier.COMMITTEE.value)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="screening_projects", blank=True, verbose_name=_("reviewers")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    #: Decisions so far (relevant or irrelevant); each decision takes the next number (``Candidate.decision_seq``).
    decisions = models.PositiveIntegerField(_("decisions"), default=0)
    #: How many decisions the current ranking learnt from (``decisions`` when it is up to date).
    ranked_decisions = models.PositiveIntegerField(_("decisions in the ranking"), default=0)
    #: Counts kept by the writes themselves (import batches, decisions, promotions), so that the
    #: screening page shows where a project of a million records stands without counting them.
    record_count = models.PositiveIntegerField(_("records"), default=0)
    duplicate_count = models.PositiveIntegerField(_("duplicates"), default=0)
    relevant_count = models.PositiveIntegerField(_("relevant"), default=0)
    irrelevant_count = models.PositiveIntegerField(_("irrelevant"), default=0)
    promoted_count = models.PositiveIntegerField(_("in the register"), default=0)
    ranked_at = models.DateTimeField(_("ranked at"), null=True, blank=True)
    model_trained = models.BooleanField(_("model trained"), default=False)
    calibrated = models.BooleanField(_("scores calibrated"), default=False)
    recall_estimate = models.FloatField(_("estimated recall"), null=True, blank=True)
    recall_low = models.FloatField(_("estimated recall, lower bound"), null=True, blank=True)
    recall_high = models.FloatField(_("estimated recall, upper bound"), null=True, blank=True)

    class Meta:
        verbose_name = _("screening project")
        verbose_name_plural = _("screening projects")
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(tier__in=[Tier.COMMITTEE.value, Tier.RESTRICTED.value]), name="horizon_project_tier"
            ),
            models.CheckConstraint(condition=Q(querier__in=Querier.values), name="horizon_project_querier"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("horizon:project", kwargs={"project_id": self.pk})

    # --- the policy's object protocol (nonpro.core.policy) ------------------------------------------------

    def policy_tier(self, field: str | None = None) -> str:
        return self.tier

    def policy_fields(self) -> list[str]:
        return ["name", "description", "domains", "topics", "querier"]

    def policy_country_id(self) -> int | None:
        return None

    def policy_assigned_user_ids(self) -> set[int]:
        cached = getattr(self, "_member_ids", None)
        if cached is None:
            cached = set(self.members.values_list("pk", flat=True))
            self._member_ids = cached
        return set(cached)


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Importing")
    CANCEL_REQUESTED = "cancel_requested", _("Stopping")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Failed")
    FINISHED = "finished", _("Finished")


#: Statuses in which a job may still change by itself.
ACTIVE_IMPORT_STATUSES = frozenset({ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.CANCEL_REQUESTED})


class ImportKind(models.TextChoices):
    UPLOAD = "upload", _("Uploaded file")
    SERVER = "server", _("File on the server")
    FEED = "feed", _("Feed URL")


class ImportJob(models.Model):
    """One file read into a project in the background, with its counts and its problems."""

    project = models.ForeignKey(ScreeningProject, on_delete=models.CASCADE, related_name="imports")
    kind = models.CharField(_("source"), max_length=10, choices=ImportKind.choices)
    name = models.CharField(_("file"), max_length=300, help_text=_("The name shown: the uploaded file's name."))
    path = models.CharField(_("stored at"), max_length=1000, editable=False)
    #: For a feed: the address it is fetched from (once, into ``path``, by the import task).
    url = models.URLField(_("feed URL"), max_length=2000, blank=True)
    format = models.CharField(_("format"), max_length=20, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    status = models.CharField(_("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    records_read = models.PositiveIntegerField(_("records read"), default=0)
    records_added = models.PositiveIntegerField(_("new candidates"), default=0)
    records_duplicate = models.PositiveIntegerField(_("duplicates"), default=0)
    records_error = models.PositiveIntegerField(_("errors"), default=0)
    #: Items (records and problems) of the file already committed: where a resumed job starts.
    resume_from = models.PositiveIntegerField(_("items done"), default=0)
    bytes_done = models.PositiveBigIntegerField(_("bytes read"), default=0)
    failure = models.TextField(_("why it failed"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("started by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ImportStatus.values), name="horizon_import_status"),
            models.CheckConstraint(condition=Q(kind__in=ImportKind.values), name="horizon_import_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("horizon:import", kwargs={"job_id": self.pk})

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_IMPORT_STATUSES

    @property
    def resumable(self) -> bool:
        return self.status in {ImportStatus.CANCELLED, ImportStatus.FAILED}

    @property
    def percent(self) -> int:
        """Return how far the job is, from the bytes read (100 once finished)."""
        if self.status == ImportStatus.FINISHED:
            return 100
        if not self.size:
            return 0
        return min(99, int(100 * self.bytes_done / self.size))


class ImportProblem(models.Model):
    """A record of an import that could not be read: where and why (the import goes on)."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="problems")
    position = models.CharField(_("position"), max_length=100)
    reason = models.TextField(_("reason"))

    class Meta:
        verbose_name = _("import problem")
        verbose_name_plural = _("import problems")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.position}: {self.reason}"


class Decision(models.TextChoices):
    PENDING = "pending", _("Not screened")
    RELEVANT = "relevant", _("Relevant")
    IRRELEVANT = "irrelevant", _("Irrelevant")


class Candidate(models.Model):
    """One record of a project: what was read, how concerning it looks, and what reviewers decided."""

    project = models.ForeignKey(ScreeningProject, on_delete=models.CASCADE, related_name="candidates")
    import_job = models.ForeignKey(ImportJob, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    source_position = models.CharField(_("position in the file"), max_length=100, blank=True)
    source_format = models.CharField(_("format"), max_length=20, blank=True)

    title = models.TextField(_("title"))
    abstract = models.TextField(_("abstract"), blank=True)
    authors = models.JSONField(_("authors"), default=list, blank=True)
    countries = models.JSONField(_("countries of the authors"), default=list, blank=True)
    venue = models.CharField(_("venue"), max_length=500, blank=True)
    date = models.CharField(_("date"), max_length=10, blank=True)
    language = models.CharField(_("language"), max_length=20, blank=True)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    kind = models.CharField(_("kind"), max_length=40, blank=True)
    url = models.URLField(_("URL"), max_length=1000, blank=True)
    doi = models.CharField(_("DOI"), max_length=300, blank=True)
    pmid = models.CharField(_("PubMed id"), max_length=20, blank=True)
    pmcid = models.CharField(_("PMC id"), max_length=20, blank=True)
    arxiv = models.CharField(_("arXiv id"), max_length=40, blank=True)
    openalex = models.CharField(_("OpenAlex id"), max_length=40, blank=True)
    source_id = models.CharField(_("identifier in the source"), max_length=200, blank=True)
    richness = models.PositiveIntegerField(_("richness"), default=0)

    concern = models.FloatField(_("concern"), default=0.0)
    domain_scores = models.JSONField(_("concern per domain"), default=dict, blank=True)
    explanation = models.JSONField(_("explanation"), default=list, blank=True)
    #: What the queue is ordered by: the model's decision value, or the zero-shot prior before it is trained.
    rank_score = models.FloatField(_("ranking score"), default=0.0)
    #: Zero-shot score in the project's domains: the ranking before any decision.
    prior_score = models.FloatField(_("prior score"), default=0.0)
    probability = models.FloatField(_("probability of relevance"), null=True, blank=True)

    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="duplicates"
    )
    duplicate_reason = models.CharField(_("found by"), max_length=20, blank=True)

    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices, default=Decision.PENDING)
    decision_seq = models.PositiveIntegerField(_("decision number"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    entry = models.ForeignKey(
        "register.Entry",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("register entry"),
    )
    entry_link = models.CharField(
        _("link to the register"),
        max_length=10,
        choices=[("promoted", _("Promoted to a draft")), ("linked", _("Linked to an entry"))],
        blank=True,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        ordering = ["pk"]
        indexes = [
            # the queue: pending primaries of a project, best first
            models.Index(fields=["project", "decision", "-rank_score", "id"], name="horizon_cand_queue"),
            models.Index(fields=["project", "decision_seq"], name="horizon_cand_seq"),
            models.Index(fields=["project", "doi"], name="horizon_cand_doi"),
            models.Index(fields=["project", "pmid"], name="horizon_cand_pmid"),
            # the few records held by a reviewer (nearly every row has no lock: a full index would be all NULLs,
            # and SQLite's planner, told that, scans the project instead)
            models.Index(
                fields=["locked_by", "project"], condition=Q(locked_by__isnull=False), name="horizon_cand_held"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(decision__in=Decision.values), name="horizon_candidate_decision"),
            models.UniqueConstraint(
                fields=["project", "decision_seq"],
                condition=Q(decision_seq__isnull=False),
                name="horizon_cand_seq_once",
            ),
            models.CheckConstraint(
                condition=Q(decision="pending", decision_seq__isnull=True)
                | (~Q(decision="pending") & Q(decision_seq__isnull=False)),
                name="horizon_candidate_decision_numbered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}/{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("horizon:candidate", kwargs={"candidate_id": self.pk})

    # --- the policy's object protocol: a candidate is its project's -------------------------------------

    def policy_tier(self, field: str | None = None) -> str:
        return self.project.tier

    def policy_fields(self) -> list[str]:
        return ["title", "abstract", "authors", "concern", "domain_scores", "explanation", "decision", "note"]

    def policy_country_id(self) -> int | None:
        return None

    def policy_assigned_user_ids(self) -> set[int]:
        return self.project.policy_assigned_user_ids()

    # --- reading -------------------------------------------------------------------------------------------

    def identifiers(self) -> list[tuple[str, str, str]]:
        """Return ``(label, value, url)`` for each identifier the record has (url "" when none)."""
        found: list[tuple[str, str, str]] = []
        if self.doi:
            found.append(("DOI", self.doi, f"https://doi.org/{self.doi}"))
        if self.pmid:
            found.append(("PMID", self.pmid, f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/"))
        if self.pmcid:
            found.append(("PMCID", self.pmcid, ""))
        if self.arxiv:
            found.append(("arXiv", self.arxiv, f"https://arxiv.org/abs/{self.arxiv}"))
        if self.openalex:
            found.append(("OpenAlex", self.openalex, f"https://openalex.org/{self.openalex}"))
        return found

    def citation(self) -> str:
        """Return a short citation: first authors, year, title, venue."""
        names: list[Any] = list(self.authors[:3])
        authors = ", ".join(str(name) for name in names) + (" et al." if len(self.authors) > 3 else "")
        parts = [part for part in (authors, f"({self.date[:4]})" if self.date else "", self.title, self.venue) if part]
        return " ".join(parts)[:1000]
