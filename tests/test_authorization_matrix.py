"""Every URL the platform has, requested by every kind of person: who gets in and who does not.

The table is the contract: a URL added to the project without a row here fails
``test_every_url_is_in_the_matrix``. Expected outcomes, per persona:

- ``OK``: 200 · ``LOGIN``: redirect to sign-in · ``DENY``: 403 · ``AWAY``: another redirect
  (e.g. a signed-in person sent away from the sign-up page) · ``GONE``: 404 (nothing of theirs
  to show) · ``POST``: 405 (the URL takes POST only; GET reveals nothing) · ``NOAUTH``: 401.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import ROLE_PERSONAS, MakeUser
from tests.register.conftest import SCORES, vet

OK, LOGIN, DENY, AWAY, GONE, POST, NOAUTH = "OK", "LOGIN", "DENY", "AWAY", "GONE", "POST", "NOAUTH"
PERSONAS = list(ROLE_PERSONAS)  # anonymous, learner, official_a, official_b, expert, reviewer, analyst, administrator


def row(  # noqa: PLR0917
    anonymous: str, learner: str, official_a: str, official_b: str, expert: str, reviewer: str, analyst: str,
        administrator: str) -> dict[str, str]:  # fmt: skip
    return dict(zip(PERSONAS, [anonymous, learner, official_a, official_b, expert, reviewer, analyst, administrator],
                    strict=True))  # fmt: skip


EVERYONE = row(OK, OK, OK, OK, OK, OK, OK, OK)
SIGNED_IN = row(LOGIN, OK, OK, OK, OK, OK, OK, OK)
SIGNED_IN_AWAY = row(LOGIN, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY)
ANONYMOUS_ONLY = row(OK, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY)
ADMINISTRATOR = row(LOGIN, DENY, DENY, DENY, DENY, DENY, DENY, OK)
ANALYST = row(LOGIN, DENY, DENY, DENY, DENY, DENY, OK, DENY)
POST_ONLY = row(POST, POST, POST, POST, POST, POST, POST, POST)
# MFA pages: people without an authenticator have nothing to show (404) or are sent to set one up.
MFA_HOLDERS_AWAY = row(LOGIN, GONE, GONE, GONE, GONE, AWAY, AWAY, AWAY)
NOBODY_FINDS = row(GONE, GONE, GONE, GONE, GONE, GONE, GONE, GONE)
# A screening project: its member reviewer (the reviewer persona) and analysts; nobody else finds it.
MEMBERS = row(LOGIN, GONE, GONE, GONE, GONE, OK, OK, GONE)

Kwargs = Callable[[dict[str, Any]], dict[str, Any]]
NO_KWARGS: Kwargs = lambda people: {}  # noqa: E731

MATRIX: dict[str, tuple[dict[str, str], Kwargs]] = {
    # public pages and reference data
    "core:home": (EVERYONE, NO_KWARGS),
    "core:countries": (EVERYONE, NO_KWARGS),
    "register:index": (EVERYONE, NO_KWARGS),
    "horizon:index": (EVERYONE, NO_KWARGS),
    "matrices:index": (EVERYONE, NO_KWARGS),
    "training:index": (EVERYONE, NO_KWARGS),
    # register entries: a published one for everyone; another's draft for nobody but its proposer and analysts
    "register:entry": (EVERYONE, lambda people: {"rsd_id": people["published_entry"]}),
    "register:history": (EVERYONE, lambda people: {"rsd_id": people["published_entry"]}),
    # writing: proposers propose; on a published entry only analysts edit and classify
    "register:propose": (row(LOGIN, DENY, DENY, DENY, OK, OK, OK, DENY), NO_KWARGS),
    "register:edit": (ANALYST, lambda people: {"rsd_id": people["published_entry"]}),
    "register:submit": (POST_ONLY, lambda people: {"rsd_id": people["published_entry"]}),
    "register:classify": (ANALYST, lambda people: {"rsd_id": people["published_entry"]}),
    # review: analysts triage, assign and decide; the assigned reviewer (the persona) reviews. The entry
    # under review was proposed by the expert persona (403: theirs, but not theirs to review); others
    # do not see it (404).
    "register:reviews": (row(LOGIN, DENY, DENY, DENY, DENY, OK, OK, DENY), NO_KWARGS),
    "register:assign": (ANALYST, lambda people: {"rsd_id": people["entry_under_review"]}),
    "register:review": (
        row(LOGIN, GONE, GONE, GONE, DENY, OK, DENY, GONE),
        lambda people: {"rsd_id": people["entry_under_review"]},
    ),
    "register:decide": (ANALYST, lambda people: {"rsd_id": people["entry_under_review"]}),
    # outputs: the feeds are public whoever asks; the report shows each reader what they may see
    "register:feed": (EVERYONE, NO_KWARGS),
    "register:domain_feed": (EVERYONE, lambda people: {"domain": "chemical"}),
    "register:subscriptions": (SIGNED_IN, NO_KWARGS),
    "register:report": (EVERYONE, NO_KWARGS),
    "register:report_pdf": (EVERYONE, NO_KWARGS),
    # the analysts' dashboard; trend notes come from proposers, analysts see them all
    "register:dashboard": (ANALYST, NO_KWARGS),
    "register:trend_notes": (row(LOGIN, DENY, DENY, DENY, OK, OK, OK, DENY), NO_KWARGS),
    "register:trend_note_new": (row(LOGIN, DENY, DENY, DENY, OK, OK, OK, DENY), NO_KWARGS),
    "register:trend_note_acknowledge": (POST_ONLY, lambda people: {"pk": people["trend_note"]}),
    # horizon scanning: analysts see every project, a reviewer the projects they are a member of (the
    # reviewer persona is); for everyone else a project does not exist
    "horizon:project_create": (ANALYST, NO_KWARGS),
    "horizon:project": (MEMBERS, lambda people: {"project_id": people["project"]}),
    "horizon:project_edit": (
        row(LOGIN, GONE, GONE, GONE, GONE, DENY, OK, GONE),
        lambda people: {"project_id": people["project"]},
    ),
    "horizon:upload": (POST_ONLY, lambda people: {"project_id": people["project"]}),
    "horizon:server_import": (POST_ONLY, lambda people: {"project_id": people["project"]}),
    "horizon:feed_import": (POST_ONLY, lambda people: {"project_id": people["project"]}),
    "horizon:screen": (MEMBERS, lambda people: {"project_id": people["project"]}),
    "horizon:skips_clear": (POST_ONLY, lambda people: {"project_id": people["project"]}),
    "horizon:candidates": (MEMBERS, lambda people: {"project_id": people["project"]}),
    "horizon:import": (MEMBERS, lambda people: {"job_id": people["import_job"]}),
    "horizon:import_progress": (MEMBERS, lambda people: {"job_id": people["import_job"]}),
    "horizon:import_cancel": (POST_ONLY, lambda people: {"job_id": people["import_job"]}),
    "horizon:import_resume": (POST_ONLY, lambda people: {"job_id": people["import_job"]}),
    "horizon:candidate": (MEMBERS, lambda people: {"candidate_id": people["candidate"]}),
    "horizon:decide": (POST_ONLY, lambda people: {"candidate_id": people["candidate"]}),
    "horizon:skip": (POST_ONLY, lambda people: {"candidate_id": people["candidate"]}),
    "horizon:note": (POST_ONLY, lambda people: {"candidate_id": people["candidate"]}),
    "horizon:promote": (MEMBERS, lambda people: {"candidate_id": people["candidate"]}),
    "horizon:link": (POST_ONLY, lambda people: {"candidate_id": people["candidate"]}),
    "healthz": (EVERYONE, NO_KWARGS),
    # sign-in, sign-up, password reset and e-mail confirmation (allauth)
    "account_login": (ANONYMOUS_ONLY, NO_KWARGS),
    "account_signup": (ANONYMOUS_ONLY, NO_KWARGS),
    "account_logout": (row(AWAY, OK, OK, OK, OK, OK, OK, OK), NO_KWARGS),
    "account_inactive": (EVERYONE, NO_KWARGS),
    "account_email_verification_sent": (EVERYONE, NO_KWARGS),
    "account_confirm_email": (EVERYONE, lambda people: {"key": "not-a-real-key"}),
    "account_reset_password": (EVERYONE, NO_KWARGS),
    "account_reset_password_done": (EVERYONE, NO_KWARGS),
    "account_reset_password_from_key": (EVERYONE, lambda people: {"uidb36": "1", "key": "not-a-real-key"}),
    "account_reset_password_from_key_done": (EVERYONE, NO_KWARGS),
    "account_confirm_login_code": (row(LOGIN, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY), NO_KWARGS),
    # the signed-in person's own account
    "accounts:profile": (SIGNED_IN, NO_KWARGS),
    "account_email": (SIGNED_IN, NO_KWARGS),
    "account_change_password": (SIGNED_IN, NO_KWARGS),
    "account_set_password": (SIGNED_IN_AWAY, NO_KWARGS),
    "account_reauthenticate": (SIGNED_IN, NO_KWARGS),
    "account_request_reauthentication_code": (SIGNED_IN, NO_KWARGS),
    "account_confirm_reauthentication_code": (SIGNED_IN_AWAY, NO_KWARGS),
    "usersessions_list": (SIGNED_IN, NO_KWARGS),
    "tokens:list": (SIGNED_IN, NO_KWARGS),
    "tokens:revoke": (POST_ONLY, lambda people: {"token_id": 1}),
    "mfa_index": (SIGNED_IN, NO_KWARGS),
    "mfa_authenticate": (SIGNED_IN_AWAY, NO_KWARGS),
    "mfa_reauthenticate": (row(LOGIN, AWAY, AWAY, AWAY, AWAY, OK, OK, OK), NO_KWARGS),
    "mfa_activate_totp": (SIGNED_IN_AWAY, NO_KWARGS),
    "mfa_deactivate_totp": (MFA_HOLDERS_AWAY, NO_KWARGS),
    "mfa_view_recovery_codes": (MFA_HOLDERS_AWAY, NO_KWARGS),
    "mfa_download_recovery_codes": (MFA_HOLDERS_AWAY, NO_KWARGS),
    "mfa_generate_recovery_codes": (SIGNED_IN_AWAY, NO_KWARGS),
    "mfa_list_webauthn": (SIGNED_IN, NO_KWARGS),
    "mfa_add_webauthn": (SIGNED_IN_AWAY, NO_KWARGS),
    "mfa_reauthenticate_webauthn": (SIGNED_IN_AWAY, NO_KWARGS),
    # changing a security key asks for re-authentication first
    "mfa_edit_webauthn": (SIGNED_IN_AWAY, lambda people: {"pk": 999_999}),
    "mfa_remove_webauthn": (SIGNED_IN_AWAY, lambda people: {"pk": 999_999}),
    # administration of people and roles
    "accounts:people": (ADMINISTRATOR, NO_KWARGS),
    "accounts:person_roles": (ADMINISTRATOR, lambda people: {"user_id": people["learner"].pk}),
    # expert directory
    "experts:directory": (ANALYST, NO_KWARGS),
    "experts:detail": (
        row(LOGIN, DENY, DENY, DENY, DENY, DENY, OK, OK),
        lambda people: {"user_id": people["expert"].pk},
    ),
    "experts:vetting": (ADMINISTRATOR, NO_KWARGS),
    "experts:vet": (ADMINISTRATOR, lambda people: {"user_id": people["expert"].pk}),
    "experts:me": (row(LOGIN, DENY, DENY, DENY, OK, OK, DENY, DENY), NO_KWARGS),
    "experts:coi_withdraw": (POST_ONLY, lambda people: {"coi_id": 1}),
    # audit log
    "audit:list": (ADMINISTRATOR, NO_KWARGS),
    "audit:export": (ADMINISTRATOR, NO_KWARGS),
    "audit:detail": (ADMINISTRATOR, lambda people: {"seq": 1}),
    # JSON API: sessions do not authenticate it (tokens do: see test_api_operations_by_token)
    "api-1:api-root": (row(GONE, GONE, GONE, GONE, GONE, GONE, GONE, GONE), NO_KWARGS),
    "api-1:openapi-json": (EVERYONE, NO_KWARGS),
    "api-1:openapi-view": (EVERYONE, NO_KWARGS),
    "api-1:countries": (EVERYONE, NO_KWARGS),
    "api-1:me": (row(NOAUTH, NOAUTH, NOAUTH, NOAUTH, NOAUTH, NOAUTH, NOAUTH, NOAUTH), NO_KWARGS),
    "api-1:experts": (row(NOAUTH, NOAUTH, NOAUTH, NOAUTH, NOAUTH, NOAUTH, NOAUTH, NOAUTH), NO_KWARGS),
    # the register API: a session counts as anonymous; nobody sees an entry that does not exist
    "api-1:register-entries": (EVERYONE, NO_KWARGS),
    "api-1:register-entry": (NOBODY_FINDS, lambda people: {"rsd_id": "RSD-2026-99999"}),
    "api-1:register-entry-history": (NOBODY_FINDS, lambda people: {"rsd_id": "RSD-2026-99999"}),
}
# The Django admin is for administrators with MFA; everyone else is sent to sign in.
ADMIN_SITE = row(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, OK)


def _walk(patterns: list[Any], namespace: str | None = None) -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace) if part) or None
            yield from _walk(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), pattern


def url_names() -> dict[str, URLPattern]:
    return dict(_walk(get_resolver().url_patterns))


def outcome(response: Any) -> str:
    status = response.status_code
    if status in (301, 302):
        location = response["Location"]
        return LOGIN if "/accounts/login/" in location or "/admin/login/" in location else AWAY
    return {200: OK, 401: NOAUTH, 403: DENY, 404: GONE, 405: POST}.get(status, str(status))


@pytest.fixture
def people(make_user: MakeUser) -> dict[str, Any]:
    people: dict[str, Any] = {
        persona: make_user(f"{persona}@example.test", roles, country=country) if persona != "anonymous" else None
        for persona, (roles, country) in ROLE_PERSONAS.items()
    }
    reviewers = [make_user(f"matrix-reviewer-{number}@example.test", ["expert", "reviewer"]) for number in (1, 2)]
    for reviewer in [*reviewers, people["reviewer"]]:
        vet(reviewer, by=people["administrator"])
    people["published_entry"] = _published_entry(people["expert"], people["analyst"], reviewers)
    people["entry_under_review"] = _entry_under_review(people["expert"], people["analyst"], people["reviewer"])
    people["trend_note"] = _trend_note(people["expert"])
    return people


def _screening(analyst: Any, reviewer: Any) -> dict[str, int]:
    """A screening project with the reviewer persona as member, one import and its records."""
    from nonpro.horizon import services
    from tests.horizon.conftest import PUBMED, upload

    project = services.project_create(by=analyst, name="Synthetic example: a project", members=[reviewer])
    job = upload(project, analyst, PUBMED)
    # screened relevant, so that its promotion page answers its members (a pending record is sent back)
    candidate = services.candidate_decide(
        candidate=project.candidates.order_by("pk")[0], by=reviewer, decision="relevant"
    )
    return {"project": project.pk, "import_job": job.pk, "candidate": candidate.pk}


def _draft(expert: Any, title: str) -> Any:
    from nonpro.register import services

    values = {"title": title, "summary": "Synthetic example: a policy-level summary.", "domains": ["chemical"]}
    entry = services.entry_create_draft(by=expert, values=values)
    return services.entry_submit(entry=entry, expected_version=entry.version, by=expert)


def _published_entry(expert: Any, analyst: Any, reviewers: list[Any]) -> str:
    """Propose, review and publish one synthetic entry through the services; return its identifier."""
    from nonpro.register import reviews, services

    entry = _draft(expert, "Synthetic example: a published entry")
    entry = services.entry_start_review(entry=entry, expected_version=entry.version, by=analyst)
    for reviewer in reviewers:
        assignment = reviews.review_assign(entry=entry, reviewer=reviewer, by=analyst)
        reviews.review_submit(
            assignment=assignment,
            by=reviewer,
            scores=SCORES,
            proposed_level="",
            comments="",
            recommendation="publish",
            no_enabling_detail=True,
        )
    entry.refresh_from_db()
    entry = services.entry_publish(entry=entry, expected_version=entry.version, by=analyst)
    return str(entry.rsd_id)


def _entry_under_review(expert: Any, analyst: Any, reviewer: Any) -> str:
    """An entry under review with the reviewer persona assigned (their review not yet written)."""
    from nonpro.register import reviews, services

    entry = _draft(expert, "Synthetic example: an entry under review")
    entry = services.entry_start_review(entry=entry, expected_version=entry.version, by=analyst)
    reviews.review_assign(entry=entry, reviewer=reviewer, by=analyst)
    return str(entry.rsd_id)


def _trend_note(expert: Any) -> int:
    from nonpro.register.trend_notes import trend_note_submit

    note = trend_note_submit(
        by=expert, domain="chemical", title="Synthetic example", body="Synthetic example: a trend.", language="en"
    )
    return int(note.pk)


def client_for(person: Any) -> Client:
    client = Client()
    if person is not None:
        client.force_login(person, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_every_url_is_in_the_matrix() -> None:
    names = {name for name in url_names() if not name.startswith("admin:")}
    assert names - MATRIX.keys() == set(), "add these URLs to the authorization matrix"
    assert MATRIX.keys() - names == set(), "these rows name URLs that no longer exist"


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_url_answers_each_persona_as_the_matrix_says(name: str, people: dict[str, Any]) -> None:
    if name.startswith("horizon:"):  # an import per test costs: only the horizon rows need a project
        people.update(_screening(people["analyst"], people["reviewer"]))
    expected, kwargs = MATRIX[name]
    url = reverse(name, kwargs=kwargs(people))
    actual = {persona: outcome(client_for(people[persona]).get(url)) for persona in PERSONAS}
    assert actual == expected, url


# Records written only by services (need-to-know grants, register entries: reason, revision, audit event)
# or by the task queue
# cannot be added in the admin.
ADMIN_READ_ONLY = {
    "admin:core_needtoknowgrant_add",
    "admin:django_tasks_database_dbtaskresult_add",
    "admin:register_entry_add",
    "admin:register_entryrevision_add",
    "admin:register_reviewassignment_add",
    "admin:register_entryidcounter_add",
}


def test_admin_site_is_for_administrators_only(people: dict[str, Any]) -> None:
    names = [
        name
        for name, pattern in url_names().items()
        if name.startswith("admin:") and not pattern.pattern.regex.groupindex
    ]
    assert "admin:index" in names
    wrong = {}
    for name in names:
        if name in ("admin:login", "admin:logout", "admin:password_change", "admin:password_change_done"):
            continue
        url = reverse(name)
        actual = {persona: outcome(client_for(people[persona]).get(url)) for persona in PERSONAS}
        # The autocomplete endpoint needs its query parameters; without them even an administrator is refused.
        refused = name == "admin:autocomplete" or name in ADMIN_READ_ONLY
        expected = {**ADMIN_SITE, "administrator": DENY} if refused else ADMIN_SITE
        if actual != expected:
            wrong[url] = actual
    assert wrong == {}


# Every API operation, by token. A token's owner is authorised by the same policy as the pages.
API_MATRIX: dict[str, dict[str, str]] = {
    "/api/v1/countries": EVERYONE,
    "/api/v1/me": row(NOAUTH, OK, OK, OK, OK, OK, OK, OK),
    "/api/v1/experts": row(NOAUTH, DENY, DENY, DENY, DENY, DENY, OK, DENY),
    "/api/v1/openapi.json": EVERYONE,
    "/api/v1/register/entries": EVERYONE,
    # an unknown (or hidden) entry: the same 404 for everyone (tests/register/test_api.py covers visible ones)
    "/api/v1/register/entries/{rsd_id}": NOBODY_FINDS,
    "/api/v1/register/entries/{rsd_id}/history": NOBODY_FINDS,
}
PATH_PARAMETERS = {"rsd_id": "RSD-2026-99999"}


def test_every_api_operation_is_in_the_matrix() -> None:
    from nonpro.api.urls import api

    schema = api.get_openapi_schema()
    operations = {f"/api/v1{path}" if not path.startswith("/api/v1") else path for path in schema["paths"]}
    assert operations - API_MATRIX.keys() == set(), "add these API operations to API_MATRIX"


@pytest.mark.parametrize("path", sorted(API_MATRIX))
def test_api_operations_by_token(path: str, people: dict[str, Any]) -> None:
    from nonpro.accounts.tokens import token_create

    actual = {}
    for persona in PERSONAS:
        headers = {}
        if people[persona] is not None:
            created = token_create(user=people[persona], name="matrix", scopes=["read"], expires_in_days=1)
            headers = {"Authorization": f"Bearer {created.raw}"}
        actual[persona] = outcome(Client().get(path.format(**PATH_PARAMETERS), headers=headers))
    assert actual == API_MATRIX[path]
