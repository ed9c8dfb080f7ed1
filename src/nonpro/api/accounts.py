"""API operations of the accounts app: who am I, and the expert directory (analysts)."""

# No ``from __future__ import annotations`` here: django-ninja reads the operations' annotations at import.

from datetime import date
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from nonpro.accounts.experts import ExpertRow, experts_search
from nonpro.accounts.models import Community, ExpertiseField, TokenScope
from nonpro.api.auth import authorize
from nonpro.api.schemas import AUTH_ERRORS, ErrorOut, ValidationErrorOut
from nonpro.core.models import Country

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    email: str
    roles: list[str]
    state: str | None
    mfa_enabled: bool


@router.get("/me", response={200: MeOut, **AUTH_ERRORS}, summary="The token's owner")
def me(request: HttpRequest) -> MeOut:
    """Return who the token belongs to: the roles that count now, their State (national officials) and MFA.

    Privileged roles (reviewer, committee analyst, administrator) count only once MFA is set up.
    Needs the `read` scope.
    """
    viewer = authorize(request, "accounts.profile.view", scope=TokenScope.READ)
    if viewer.user_id is None:  # pragma: no cover - authorize needs a token for a scoped operation
        raise PermissionDenied
    state = None
    if viewer.country_id is not None:
        state = Country.objects.filter(pk=viewer.country_id).values_list("alpha2", flat=True).first()
    email = getattr(request.user, "email", "")
    return MeOut(
        id=viewer.user_id, email=email, roles=sorted(viewer.roles), state=state, mfa_enabled=viewer.mfa_enabled
    )


#: The six official UN languages as the site spells them (settings.LANGUAGES; a test keeps them equal).
LanguageCode = Literal["ar", "zh-hans", "en", "fr", "ru", "es"]


class ExpertFilters(Schema):
    q: str | None = None
    community: Community | None = None
    field: ExpertiseField | None = None
    language: LanguageCode | None = None
    vetted_only: bool = False


class ExpertOut(Schema):
    user_id: int
    name: str
    email: str
    has_profile: bool
    affiliation: str
    community: str
    expertise: list[str]
    languages: list[str]
    vetting_status: str
    vetted_until: date | None
    active_conflicts: int


@router.get(
    "/experts",
    response={200: list[ExpertOut], 401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut},
    summary="Search experts",
)
@paginate(LimitOffsetPagination)
def experts(request: HttpRequest, filters: Query[ExpertFilters]) -> list[ExpertRow]:
    """Search the expert directory to pick reviewers (committee analysts only; `read` scope).

    `q` matches name, e-mail address and affiliation; `community`, `field` and `language` filter
    on one code each; `vetted_only` keeps experts whose vetting is current.
    """
    viewer = authorize(request, "experts.search", scope=TokenScope.READ)
    return experts_search(
        viewer=viewer,
        q=filters.q,
        community=filters.community.value if filters.community else None,
        field=filters.field.value if filters.field else None,
        language=filters.language,
        vetted_only=filters.vetted_only,
    )
