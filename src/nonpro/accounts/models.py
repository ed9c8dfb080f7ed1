"""People and the roles they hold. Roles combine; the policy module reads them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nonpro.core.models import Country
from nonpro.core.policy import Role

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise

__all__ = [
    "APIToken",
    "Community",
    "ConflictOfInterestDeclaration",
    "ExpertProfile",
    "ExpertiseField",
    "Role",
    "RoleAssignment",
    "TokenScope",
    "User",
    "VettingStatus",
]


class UserManager(BaseUserManager["User"]):
    """Create users identified by e-mail address."""

    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create(email, password, **extra)


class User(AbstractUser):
    """A person with an account. The e-mail address is the sign-in name."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("e-mail address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=150, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.display_name or self.email


class RoleAssignment(models.Model):
    """One role held by one user; a national official's role is bound to one State."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("State")
    )
    reason = models.TextField(_("reason"))
    is_point_of_contact = models.BooleanField(
        _("point of contact"),
        default=False,
        help_text=_("The official is a point of contact of their State for resolution 1540."),
    )
    granted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("granted by")
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="role_assignment_unique_role"),
            models.CheckConstraint(
                condition=models.Q(role="national_official", country__isnull=False)
                | (~models.Q(role="national_official") & models.Q(country__isnull=True)),
                name="role_assignment_country_only_for_officials",
            ),
            models.CheckConstraint(
                condition=models.Q(is_point_of_contact=False) | models.Q(role="national_official"),
                name="role_assignment_point_of_contact_only_for_officials",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


# --- expert directory (identity issue) ---------------------------------------------------------


class Community(models.TextChoices):
    """The communities whose members review the register (resolution 1540 outreach)."""

    ACADEMIC = "academic", _("Academic")
    SCIENTIFIC = "scientific", _("Scientific")
    TECHNICAL = "technical", _("Technical")
    LEGAL = "legal", _("Legal")


class ExpertiseField(models.TextChoices):
    """Fields of expertise, at the level of resolution 1540's obligations."""

    NUCLEAR = "nuclear", _("Nuclear")
    RADIOLOGICAL = "radiological", _("Radiological")
    CHEMICAL = "chemical", _("Chemical")
    BIOLOGICAL = "biological", _("Biological")
    DELIVERY_SYSTEMS = "delivery_systems", _("Delivery systems")
    EXPORT_CONTROL = "export_control", _("Export control")
    LAW = "law", _("Law")
    ENABLING_TECHNOLOGIES = "enabling_technologies", _("Enabling technologies")
    OTHER = "other", _("Other")


class VettingStatus(models.TextChoices):
    NOT_VETTED = "not_vetted", _("Not vetted")
    VETTED = "vetted", _("Vetted")
    EXPIRED = "expired", _("Vetting expired")
    REVOKED = "revoked", _("Vetting revoked")


def _validate_choice_list(value: Any, allowed: frozenset[str], unknown_message: _StrOrPromise) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(_("Expected a list of codes."), code="invalid")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ValidationError(unknown_message, code="invalid", params={"codes": ", ".join(unknown)})
    if len(set(value)) != len(value):
        raise ValidationError(_("Each code may appear only once."), code="invalid")


def validate_expertise_fields(value: Any) -> None:
    """Accept a list of distinct ``ExpertiseField`` codes."""
    _validate_choice_list(value, frozenset(ExpertiseField.values), _("Unknown field of expertise: %(codes)s."))


def expert_language_codes() -> frozenset[str]:
    """Return the six official UN languages' codes, as the site spells them (``zh-hans`` for Chinese)."""
    return frozenset(code for code, _name in settings.LANGUAGES)


def validate_expert_languages(value: Any) -> None:
    """Accept a list of distinct codes of the six official UN languages."""
    _validate_choice_list(value, expert_language_codes(), _("Unknown language: %(codes)s."))


class ExpertProfile(models.Model):
    """An expert's entry in the directory that analysts search to pick reviewers.

    ``expertise`` and ``languages`` are JSON lists of codes validated against fixed choices (not
    many-to-many tables): the sets are small and fixed, and the directory filters on one code at a
    time through ``experts.json_list_contains``, which works on SQLite and PostgreSQL alike.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="expert_profile", verbose_name=_("expert"))
    affiliation = models.CharField(_("affiliation"), max_length=200, blank=True)
    community = models.CharField(_("community"), max_length=20, choices=Community.choices, blank=True)
    expertise = models.JSONField(
        _("fields of expertise"), default=list, blank=True, validators=[validate_expertise_fields]
    )
    languages = models.JSONField(_("languages"), default=list, blank=True, validators=[validate_expert_languages])
    vetting_status = models.CharField(
        _("vetting status"), max_length=20, choices=VettingStatus.choices, default=VettingStatus.NOT_VETTED
    )
    vetted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("vetted by")
    )
    vetted_at = models.DateTimeField(_("vetted at"), null=True, blank=True)
    vetted_until = models.DateField(_("vetted until"), null=True, blank=True)
    vetting_reason = models.TextField(_("reason for the last vetting decision"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("expert profile")
        verbose_name_plural = _("expert profiles")
        ordering = ["user__email"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(vetting_status="vetted")
                | models.Q(vetted_until__isnull=False, vetted_at__isnull=False),
                name="expert_profile_vetted_has_dates",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)

    def is_vetted(self) -> bool:
        """Return whether the expert is vetted today (vetted, and the vetting has not expired)."""
        return (
            self.vetting_status == VettingStatus.VETTED
            and self.vetted_until is not None
            and self.vetted_until >= timezone.localdate()
        )

    @property
    def effective_vetting_status(self) -> str:
        """Return the status as of today: a vetting past its end date counts as expired."""
        if self.vetting_status == VettingStatus.VETTED and not self.is_vetted():
            return VettingStatus.EXPIRED.value
        return str(self.vetting_status)

    def get_effective_vetting_status_display(self) -> str:
        return str(VettingStatus(self.effective_vetting_status).label)

    def field_labels(self) -> list[str]:
        return [str(ExpertiseField(code).label) for code in self.expertise if code in ExpertiseField.values]

    def language_labels(self) -> list[str]:
        names = dict(settings.LANGUAGES)
        return [str(names[code]) for code in self.languages if code in names]


class ConflictOfInterestDeclaration(models.Model):
    """An expert's declared conflict of interest; withdrawn declarations are kept, never deleted."""

    expert = models.ForeignKey(
        ExpertProfile, on_delete=models.CASCADE, related_name="conflicts", verbose_name=_("expert")
    )
    relates_to = models.CharField(_("relates to"), max_length=300)
    description = models.TextField(_("description"))
    declared_at = models.DateTimeField(_("declared at"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("conflict-of-interest declaration")
        verbose_name_plural = _("conflict-of-interest declarations")
        ordering = ["-declared_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(withdrawn_at__isnull=True) | models.Q(withdrawn_at__gte=models.F("declared_at")),
                name="coi_withdrawn_after_declared",
            ),
        ]

    def __str__(self) -> str:
        return self.relates_to

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


# --- API tokens (identity issue) ---------------------------------------------------------------


class TokenScope(models.TextChoices):
    """What a personal API token may be used for; the policy still decides each operation."""

    READ = "read", _("Read")
    WRITE = "write", _("Write")


def validate_token_scopes(value: Any) -> None:
    """Accept a non-empty list of distinct ``TokenScope`` codes."""
    _validate_choice_list(value, frozenset(TokenScope.values), _("Unknown scope: %(codes)s."))
    if not value:
        raise ValidationError(_("Choose at least one scope."), code="required")


class APIToken(models.Model):
    """A personal access token for the JSON API. Only its SHA-256 is stored, never the token."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=8, unique=True)
    token_hash = models.CharField(_("SHA-256 of the token"), max_length=64, unique=True)
    scopes = models.JSONField(_("scopes"), default=list, validators=[validate_token_scopes])
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(expires_at__gt=models.F("created_at")), name="api_token_expires"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    def scope_labels(self) -> list[str]:
        return [str(TokenScope(scope).label) for scope in self.scopes if scope in TokenScope.values]

    def is_usable(self, at: datetime | None = None) -> bool:
        """Return whether the token is neither revoked nor expired (the user's state is checked apart)."""
        at = at or timezone.now()
        return self.revoked_at is None and self.expires_at > at
