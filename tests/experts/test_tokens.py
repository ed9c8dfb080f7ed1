"""Personal API tokens: created and revoked by their owner, shown once, stored hashed, expiring."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone

from nonpro.accounts.models import APIToken
from nonpro.accounts.tokens import token_authenticate, token_create, token_revoke
from nonpro.core.audit.models import AuditEvent
from tests.conftest import MakeUser

TOKEN_PATTERN = re.compile(r"npro_[0-9a-f]{8}_[A-Za-z0-9_-]{40,}")
PERSONAS = ["anonymous", "learner", "official_a", "official_b", "expert", "reviewer", "analyst", "administrator"]


def _later(monkeypatch: pytest.MonkeyPatch, delta: timedelta) -> None:
    real = timezone.now

    def shifted() -> datetime:
        return real() + delta

    monkeypatch.setattr("django.utils.timezone.now", shifted)


def _all_stored_text() -> str:
    """Return every value of every row of the token and audit tables, as text."""
    with connection.cursor() as cursor:
        text = []
        for table in (APIToken._meta.db_table, AuditEvent._meta.db_table):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - table names from the models
            text += [str(value) for row in cursor.fetchall() for value in row]
    return "\n".join(text)


@pytest.mark.django_db
def test_create_returns_the_token_once_and_stores_only_its_hash(make_user: MakeUser) -> None:
    user = make_user("owner@example.test", ["learner"])
    created = token_create(user=user, name="My script", scopes=["read"], expires_in_days=30)
    assert TOKEN_PATTERN.fullmatch(created.raw)
    token = APIToken.objects.get()
    assert token.prefix == created.raw.split("_")[1]
    assert token.token_hash == hashlib.sha256(created.raw.encode()).hexdigest()
    assert created.raw not in _all_stored_text()
    assert created.raw.split("_", 2)[2] not in _all_stored_text()
    assert token.scopes == ["read"]
    assert timedelta(days=29, hours=23) < token.expires_at - token.created_at <= timedelta(days=30)
    event = AuditEvent.objects.filter(action="accounts.token.create").get()
    assert event.actor_id == user.pk
    assert event.summary["prefix"] == token.prefix
    assert created.raw not in str(event.summary)


@pytest.mark.django_db
def test_authenticate_accepts_a_good_token_and_records_its_use(make_user: MakeUser) -> None:
    user = make_user("owner@example.test", ["learner"])
    created = token_create(user=user, name="Reader", scopes=["read"], expires_in_days=10)
    found = token_authenticate(created.raw)
    assert found is not None
    assert found[0] == user
    assert found[1].pk == created.token.pk
    token = APIToken.objects.get()
    assert token.last_used_at is not None
    assert AuditEvent.objects.filter(action="accounts.token.use").count() == 1
    # A second use within the minute writes nothing more.
    first_use = token.last_used_at
    assert token_authenticate(created.raw) is not None
    assert APIToken.objects.get().last_used_at == first_use
    assert AuditEvent.objects.filter(action="accounts.token.use").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "mangle",
    [
        lambda raw: raw + "x",
        lambda raw: raw[:-1],
        lambda raw: raw.replace("npro_", "nprx_"),
        lambda raw: raw.split("_", 2)[0] + "_" + raw.split("_", 2)[1],
        lambda raw: "",
        lambda raw: "npro_00000000_" + raw.split("_", 2)[2],
        lambda raw: raw.upper(),
    ],
)
def test_authenticate_rejects_malformed_and_wrong_tokens(make_user: MakeUser, mangle: Callable[[str], str]) -> None:
    user = make_user("owner@example.test", ["learner"])
    created = token_create(user=user, name="Reader", scopes=["read"], expires_in_days=10)
    assert token_authenticate(mangle(created.raw)) is None
    assert APIToken.objects.get().last_used_at is None


@pytest.mark.django_db
def test_expired_token_is_rejected(make_user: MakeUser, monkeypatch: pytest.MonkeyPatch) -> None:
    user = make_user("owner@example.test", ["learner"])
    created = token_create(user=user, name="Short", scopes=["read"], expires_in_days=1)
    _later(monkeypatch, timedelta(days=1, seconds=1))
    assert token_authenticate(created.raw) is None
    rejection = AuditEvent.objects.filter(action="accounts.token.reject").get()
    assert rejection.summary == {"prefix": created.token.prefix, "reason": "expired"}
    # Replaying it does not flood the log.
    assert token_authenticate(created.raw) is None
    assert AuditEvent.objects.filter(action="accounts.token.reject").count() == 1


@pytest.mark.django_db
def test_revoked_token_is_rejected(make_user: MakeUser) -> None:
    user = make_user("owner@example.test", ["learner"])
    created = token_create(user=user, name="Revoked", scopes=["read"], expires_in_days=5)
    assert token_revoke(token=created.token, user=user) is True
    assert token_revoke(token=created.token, user=user) is False
    assert APIToken.objects.get().revoked_at is not None
    assert AuditEvent.objects.filter(action="accounts.token.revoke").count() == 1
    assert token_authenticate(created.raw) is None
    assert AuditEvent.objects.filter(action="accounts.token.reject").get().summary["reason"] == "revoked"


@pytest.mark.django_db
def test_token_of_a_disabled_account_is_rejected(make_user: MakeUser) -> None:
    user = make_user("owner@example.test", ["learner"])
    created = token_create(user=user, name="Orphan", scopes=["read"], expires_in_days=5)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert token_authenticate(created.raw) is None
    assert AuditEvent.objects.filter(action="accounts.token.reject").get().summary["reason"] == "inactive_user"


@pytest.mark.django_db
def test_nobody_revokes_someone_elses_token(make_user: MakeUser) -> None:
    owner = make_user("owner@example.test", ["learner"])
    other = make_user("other@example.test", ["administrator"])
    created = token_create(user=owner, name="Mine", scopes=["read"], expires_in_days=5)
    with pytest.raises(PermissionDenied):
        token_revoke(token=created.token, user=other)
    assert APIToken.objects.get().revoked_at is None
    assert token_authenticate(created.raw) is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "scopes", "days"),
    [
        ("", ["read"], 30),
        ("Name", [], 30),
        ("Name", ["admin"], 30),
        ("Name", ["read"], 0),
        ("Name", ["read"], 366),
    ],
)
def test_create_validates_its_input(make_user: MakeUser, name: str, scopes: list[str], days: int) -> None:
    user = make_user("owner@example.test", ["learner"])
    with pytest.raises(ValidationError):
        token_create(user=user, name=name, scopes=scopes, expires_in_days=days)
    assert not APIToken.objects.exists()
    assert not AuditEvent.objects.filter(action="accounts.token.create").exists()


@pytest.mark.django_db
def test_a_year_is_the_longest_life(make_user: MakeUser) -> None:
    user = make_user("owner@example.test", ["learner"])
    token = token_create(user=user, name="Long", scopes=["read", "write"], expires_in_days=365).token
    assert token.expires_at - token.created_at == timedelta(days=365)


# --- pages --------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_every_signed_in_person_manages_their_own_tokens(persona_client: Callable[[str], Client], persona: str) -> None:
    response = persona_client(persona).get("/en/accounts/tokens/")
    if persona == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/en/accounts/login/")
    else:
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_token_page_shows_the_token_once(make_user: MakeUser) -> None:
    user = make_user("owner@example.test", ["learner"])
    client = Client()
    client.force_login(user)
    response = client.post("/en/accounts/tokens/", {"name": "Notebook", "scopes": ["read"], "expires_in_days": "30"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    match = TOKEN_PATTERN.search(html)
    assert match is not None
    raw = match.group(0)
    assert "shown only once" in html
    assert token_authenticate(raw) is not None
    listing = client.get("/en/accounts/tokens/").content.decode()
    assert raw not in listing
    assert TOKEN_PATTERN.search(listing) is None
    token = APIToken.objects.get()
    assert "Notebook" in listing
    assert f'<code dir="ltr">{token.prefix}</code>' in listing
    assert "style=" not in listing


@pytest.mark.django_db
def test_token_page_refuses_bad_input(make_user: MakeUser) -> None:
    user = make_user("owner@example.test", ["learner"])
    client = Client()
    client.force_login(user)
    for data in (
        {"name": "", "scopes": ["read"], "expires_in_days": "30"},
        {"name": "X", "scopes": [], "expires_in_days": "30"},
        {"name": "X", "scopes": ["read"], "expires_in_days": "400"},
    ):
        assert client.post("/en/accounts/tokens/", data).status_code == 400
    assert not APIToken.objects.exists()


@pytest.mark.django_db
def test_revoke_through_the_page(make_user: MakeUser) -> None:
    owner = make_user("owner@example.test", ["learner"])
    other = make_user("other@example.test", ["learner"])
    created = token_create(user=owner, name="Old", scopes=["read"], expires_in_days=5)
    intruder = Client()
    intruder.force_login(other)
    assert intruder.post(f"/en/accounts/tokens/{created.token.pk}/revoke/").status_code == 404
    assert APIToken.objects.get().revoked_at is None
    client = Client()
    client.force_login(owner)
    assert client.get(f"/en/accounts/tokens/{created.token.pk}/revoke/").status_code == 405
    response = client.post(f"/en/accounts/tokens/{created.token.pk}/revoke/")
    assert response.status_code == 302
    assert APIToken.objects.get().revoked_at is not None
    assert "Revoked" in client.get("/en/accounts/tokens/").content.decode()
