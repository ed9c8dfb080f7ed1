"""The view guards (decorator and mixin), MFA before privileged roles count, and no-store for signed-in people."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views import View

from nonpro.core.middleware import NO_STORE, NoStoreForSignedInMiddleware
from nonpro.core.policy import PolicyRequiredMixin, Role, Tier, can_see, policy_required, viewer_for
from tests.conftest import MakeUser
from tests.policy.tiered import Item


@policy_required("audit.view")
def audit_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("the audit page")


class AuditPage(PolicyRequiredMixin, View):
    policy_action = "audit.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("the audit page")


class UnnamedPage(PolicyRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("never shown")


def request_as(user: object) -> HttpRequest:
    request = RequestFactory().get("/en/audit/?page=2")
    request.user = user  # type: ignore[assignment]
    return request


VIEWS: list[Callable[[HttpRequest], HttpResponse]] = [audit_page, AuditPage.as_view()]


@pytest.mark.parametrize("view", VIEWS)
def test_anonymous_goes_to_sign_in(view: Callable[[HttpRequest], HttpResponse]) -> None:
    response = view(request_as(AnonymousUser()))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "next=/en/audit/%3Fpage%3D2" in response["Location"]


@pytest.mark.parametrize("view", VIEWS)
def test_a_forbidden_person_gets_403(view: Callable[[HttpRequest], HttpResponse], make_user: MakeUser) -> None:
    for email, roles in [("learner@example.test", ["learner"]), ("analyst@example.test", ["committee_analyst"])]:
        with pytest.raises(PermissionDenied):
            view(request_as(make_user(email, roles)))


@pytest.mark.parametrize("view", VIEWS)
def test_a_privileged_person_without_mfa_goes_to_mfa_setup(
    view: Callable[[HttpRequest], HttpResponse], make_user: MakeUser
) -> None:
    response = view(request_as(make_user("admin@example.test", ["administrator"], mfa=False)))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


@pytest.mark.parametrize("view", VIEWS)
def test_the_allowed_person_gets_the_page(view: Callable[[HttpRequest], HttpResponse], make_user: MakeUser) -> None:
    response = view(request_as(make_user("admin@example.test", ["administrator"])))
    assert response.status_code == 200
    assert response.content == b"the audit page"


def test_a_mixin_without_an_action_denies_everyone(make_user: MakeUser) -> None:
    with pytest.raises(PermissionDenied):
        UnnamedPage.as_view()(request_as(make_user("admin@example.test", ["administrator"])))


# --- MFA ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.COMMITTEE_ANALYST, Role.ADMINISTRATOR])
def test_privileged_roles_do_not_count_without_mfa(make_user: MakeUser, role: str) -> None:
    without = viewer_for(make_user("without@example.test", [role], mfa=False))
    with_mfa = viewer_for(make_user("with@example.test", [role]))
    assert role not in without.roles
    assert without.needs_mfa
    assert role in with_mfa.roles
    assert not with_mfa.needs_mfa


def test_an_analyst_sees_committee_information_only_with_mfa(make_user: MakeUser) -> None:
    item = Item(tier=Tier.COMMITTEE)
    assert not can_see(viewer_for(make_user("without@example.test", ["committee_analyst"], mfa=False)), item)
    assert can_see(viewer_for(make_user("with@example.test", ["committee_analyst"])), item)


@pytest.mark.parametrize("role", [Role.LEARNER, Role.EXPERT])
def test_other_roles_count_without_mfa(make_user: MakeUser, role: str) -> None:
    viewer = viewer_for(make_user("person@example.test", [role]))
    assert role in viewer.roles
    assert not viewer.needs_mfa


def test_an_official_counts_without_mfa(make_user: MakeUser) -> None:
    viewer = viewer_for(make_user("official@example.test", [Role.NATIONAL_OFFICIAL], country="KZ"))
    assert Role.NATIONAL_OFFICIAL in viewer.roles
    assert can_see(viewer, Item(tier=Tier.OFFICIAL))


# --- Cache-Control: no-store -----------------------------------------------------------------


@pytest.mark.parametrize("persona", ["learner", "official_a", "analyst", "administrator"])
def test_signed_in_pages_are_not_stored(persona_client: Callable[[str], Client], persona: str) -> None:
    response = persona_client(persona).get(reverse("core:home"))
    assert response.status_code == 200
    assert response["Cache-Control"] == NO_STORE


def test_the_anonymous_home_page_may_be_stored(client: Client, db: None) -> None:
    response = client.get(reverse("core:home"))
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_the_sign_in_response_is_not_stored(client: Client, make_user: MakeUser) -> None:
    make_user("learner@example.test", ["learner"])
    response = client.post(
        reverse("account_login"), {"login": "learner@example.test", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
    assert response.cookies["sessionid"].value
    assert response["Cache-Control"] == NO_STORE


def test_a_request_with_credentials_in_a_header_is_not_stored(client: Client, db: None) -> None:
    response = client.get(reverse("healthz"), headers={"Authorization": "Bearer not-a-real-token"})
    assert response["Cache-Control"] == NO_STORE


def _anonymous_request() -> HttpRequest:
    request = RequestFactory().get("/en/")
    SessionMiddleware(lambda _request: HttpResponse()).process_request(request)
    request.user = AnonymousUser()
    return request


def test_an_anonymous_response_that_starts_a_session_is_not_stored(db: None) -> None:
    def view(request: HttpRequest) -> HttpResponse:
        request.session["started"] = True
        return HttpResponse("page")

    response = NoStoreForSignedInMiddleware(view)(_anonymous_request())
    assert response["Cache-Control"] == NO_STORE


def test_an_anonymous_response_without_a_session_is_left_alone(db: None) -> None:
    def view(request: HttpRequest) -> HttpResponse:
        response = HttpResponse("page")
        response["Cache-Control"] = "max-age=60"
        return response

    response = NoStoreForSignedInMiddleware(view)(_anonymous_request())
    assert response["Cache-Control"] == "max-age=60"
