"""The subscriptions page and services: signed-in people follow domains and concern levels."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils.translation import override

from nonpro.accounts.models import User
from nonpro.core.audit.models import AuditEvent
from nonpro.register.models import Subscription
from nonpro.register.subscriptions import subscription_follow, subscription_unfollow, subscriptions_of
from tests.conftest import MakeUser

pytestmark = pytest.mark.django_db

SIGNED_IN = ["learner", "official_a", "expert", "reviewer", "analyst", "administrator"]


def _checked(page: str, name: str, value: str) -> bool:
    """Return whether the page's input ``name`` = ``value`` is ticked."""
    tag = re.search(rf'<input[^>]*name="{name}" value="{value}"[^>]*>', page)
    assert tag is not None, f"no input {name}={value}"
    return " checked" in tag.group(0)


def _url(language: str = "en") -> str:
    with override(language):
        return reverse("register:subscriptions")


def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = client.get(_url())
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    response = client.post(_url(), {"domains": ["chemical"], "frequency": "daily"})
    assert response.status_code == 302
    assert Subscription.objects.count() == 0


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_every_signed_in_person_manages_their_subscriptions(
    persona_client: Callable[[str], Client], persona: str
) -> None:
    client = persona_client(persona)
    page = client.get(_url())
    assert page.status_code == 200
    assert "Chemical" in page.content.decode()
    assert page["Cache-Control"] == "no-store, private"

    response = client.post(_url(), {"domains": ["chemical", "biological"], "concerns": ["high"], "frequency": "daily"})

    assert response.status_code == 302
    assert response["Location"] == _url()
    following = subscriptions_of(response.wsgi_request.user)  # type: ignore[arg-type]
    assert following.domains == ("biological", "chemical")
    assert following.concerns == ("high",)
    assert following.frequency == "daily"
    assert "Your subscriptions were saved." in client.get(_url()).content.decode()


def test_saving_again_unfollows_and_changes_the_frequency(make_user: MakeUser) -> None:
    user = make_user("follower@example.test", ["learner"])
    client = Client()
    client.force_login(user)
    client.post(_url(), {"domains": ["chemical", "nuclear"], "concerns": ["critical"], "frequency": "daily"})

    client.post(_url(), {"domains": ["nuclear"], "frequency": "weekly"})

    rows = set(Subscription.objects.filter(user=user).values_list("kind", "code", "frequency"))
    assert rows == {("domain", "nuclear", "weekly")}
    changes = list(AuditEvent.objects.filter(action="register.subscription.changed").values_list("summary", flat=True))
    assert {"change": "unfollow", "kind": "domain", "code": "chemical"} in changes
    assert {"change": "frequency", "kind": "domain", "code": "nuclear", "frequency": "weekly"} in changes
    assert len(changes) == 6  # three follows, two unfollows, one change of frequency: nothing for what stayed


def test_the_page_shows_what_is_followed(make_user: MakeUser) -> None:
    user = make_user("follower@example.test", ["learner"])
    subscription_follow(user=user, kind="domain", code="radiological", frequency="daily")
    client = Client()
    client.force_login(user)

    page = client.get(_url()).content.decode()

    assert _checked(page, "domains", "radiological")
    assert not _checked(page, "domains", "chemical")
    assert _checked(page, "frequency", "daily")
    assert not _checked(page, "frequency", "weekly")


def test_bad_input_is_shown_with_errors_and_kept(make_user: MakeUser) -> None:
    user = make_user("follower@example.test", ["learner"])
    client = Client()
    client.force_login(user)

    response = client.post(_url(), {"domains": ["chemical", "not-a-domain"], "frequency": "hourly"})

    assert response.status_code == 400
    page = response.content.decode()
    assert 'role="alert"' in page
    assert "Select a valid choice." in page
    assert _checked(page, "domains", "chemical"), "the input is kept"
    assert Subscription.objects.filter(user=user).count() == 0


def test_labels_come_in_the_page_language(make_user: MakeUser) -> None:
    user = make_user("follower@example.test", ["learner"])
    client = Client()
    client.force_login(user)

    page = client.get(_url("ar")).content.decode()

    assert 'dir="rtl"' in page
    assert "المجال الكيميائي" in page


def test_services_validate_and_ask_the_policy(make_user: MakeUser) -> None:
    user = make_user("follower@example.test", ["learner"])
    with pytest.raises(ValidationError):
        subscription_follow(user=user, kind="domain", code="not-a-domain", frequency="daily")
    with pytest.raises(ValidationError):
        subscription_follow(user=user, kind="concern", code="chemical", frequency="daily")
    with pytest.raises(ValidationError):
        subscription_follow(user=user, kind="domain", code="chemical", frequency="hourly")
    with pytest.raises(ValidationError):
        subscription_follow(user=user, kind="topic", code="chemical", frequency="daily")
    assert Subscription.objects.count() == 0

    subscription = subscription_follow(user=user, kind="concern", code="critical", frequency="weekly")
    assert subscription_follow(user=user, kind="concern", code="critical", frequency="weekly") == subscription
    assert subscription_unfollow(user=user, kind="concern", code="critical") is True
    assert subscription_unfollow(user=user, kind="concern", code="critical") is False

    user.is_active = False
    user.save()
    user = User.objects.get(pk=user.pk)  # a new request: the account is disabled
    with pytest.raises(PermissionDenied):
        subscription_follow(user=user, kind="domain", code="chemical", frequency="daily")
    assert Subscription.objects.count() == 0


def test_audit_events_hold_no_register_content(make_user: MakeUser) -> None:
    user = make_user("follower@example.test", ["learner"])
    subscription_follow(user=user, kind="domain", code="chemical", frequency="daily")

    event = AuditEvent.objects.get(action="register.subscription.changed")

    assert event.actor_id == user.pk
    assert event.summary == {"change": "follow", "kind": "domain", "code": "chemical", "frequency": "daily"}
