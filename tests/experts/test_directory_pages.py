"""The expert directory's pages: who may open them, the search, the detail and one's own profile."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from nonpro.accounts.experts import coi_declare
from nonpro.accounts.models import ConflictOfInterestDeclaration, ExpertProfile
from nonpro.core.audit.models import AuditEvent
from tests.conftest import MakeUser

PERSONAS = ["anonymous", "learner", "official_a", "official_b", "expert", "reviewer", "analyst", "administrator"]
DIRECTORY = "/en/experts/"

#: Expected answer of each page for each persona: "login" (redirect to sign-in), 403 or 200.
MATRIX: dict[str, dict[str, object]] = {
    "directory": {"analyst": 200},
    "detail": {"analyst": 200, "administrator": 200},
    "me": {"expert": 200, "reviewer": 200},
    "vetting": {"administrator": 200},
    "vet": {"administrator": 200},
}


def _url(page: str, listed_id: int) -> str:
    return {
        "directory": DIRECTORY,
        "detail": f"/en/experts/{listed_id}/",
        "me": "/en/experts/me/",
        "vetting": "/en/experts/vetting/",
        "vet": f"/en/experts/{listed_id}/vet/",
    }[page]


@pytest.mark.django_db
@pytest.mark.parametrize("page", sorted(MATRIX))
@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_open_each_page(
    persona_client: Callable[[str], Client], make_expert: Callable[..., Any], persona: str, page: str
) -> None:
    listed = make_expert("listed.person@example.test", affiliation="Institute of Listed Studies")
    client = persona_client(persona)
    response = client.get(_url(page, listed.pk))
    expected = "login" if persona == "anonymous" else MATRIX[page].get(persona, 403)
    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith("/en/accounts/login/")
    else:
        assert response.status_code == expected
    body = response.content.decode()
    if expected != 200:
        # Nobody else learns who is listed, nor that a directory answered at all.
        assert "listed.person@example.test" not in body
        assert "Institute of Listed Studies" not in body
    else:
        assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_analyst_without_mfa_is_sent_to_mfa_setup(make_user: MakeUser, make_expert: Callable[..., Any]) -> None:
    make_expert("listed.person@example.test")
    analyst = make_user("no-mfa-analyst@example.test", ["committee_analyst"], mfa=False)
    client = Client()
    client.force_login(analyst)
    response = client.get(DIRECTORY)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    assert b"listed.person" not in response.content


@pytest.mark.django_db
def test_directory_lists_experts_with_vetting_and_conflict_count(
    persona_client: Callable[[str], Client], make_expert: Callable[..., Any]
) -> None:
    alice = make_expert(
        "alice@example.test",
        display_name="Alice Example",
        affiliation="University of Examples",
        community="scientific",
        expertise=("biological", "export_control"),
        languages=("en", "fr"),
    )
    coi_declare(user=alice, relates_to="A funding body", description="Receives a research grant.")
    coi_declare(user=alice, relates_to="A company", description="Sits on an advisory board.")
    make_expert("bob@example.test", profile=False)
    client = persona_client("analyst")
    html = client.get(DIRECTORY).content.decode()
    assert "2 experts found." in html
    assert "Alice Example" in html
    assert "University of Examples" in html
    assert "Biological, Export control" in html
    assert "English, French" in html
    assert "Not vetted" in html
    assert "<td>2</td>" in html  # two active declarations
    assert f'href="/en/experts/{alice.pk}/"' in html
    assert "Profile not completed" in html  # Bob
    assert "style=" not in html


@pytest.mark.django_db
def test_directory_search_filters(persona_client: Callable[[str], Client], make_expert: Callable[..., Any]) -> None:
    make_expert(
        "chem@example.test",
        affiliation="Chemistry Lab",
        community="scientific",
        expertise=("chemical",),
        languages=("ru",),
    )
    make_expert(
        "law@example.test",
        affiliation="Faculty of Law",
        community="legal",
        expertise=("law", "export_control"),
        languages=("ar", "zh-hans"),
    )
    client = persona_client("analyst")

    def found(query: str) -> set[str]:
        html = client.get(DIRECTORY + query).content.decode()
        return {email for email in ("chem@example.test", "law@example.test") if email in html}

    assert found("") == {"chem@example.test", "law@example.test"}
    assert found("?q=faculty") == {"law@example.test"}
    assert found("?q=CHEM%40") == {"chem@example.test"}
    assert found("?community=legal") == {"law@example.test"}
    assert found("?field=export_control") == {"law@example.test"}
    assert found("?field=chemical&community=scientific") == {"chem@example.test"}
    assert found("?field=chemical&community=legal") == set()
    assert found("?language=zh-hans") == {"law@example.test"}
    assert found("?language=ru") == {"chem@example.test"}
    assert found("?vetted=on") == set()
    # An unknown code is a form error, not a server error nor an unfiltered list.
    response = client.get(DIRECTORY + "?field=weapons")
    assert response.status_code == 200
    assert "chem@example.test" not in response.content.decode()


@pytest.mark.django_db
def test_directory_query_count_does_not_grow_with_experts(
    persona_client: Callable[[str], Client], make_expert: Callable[..., Any]
) -> None:
    client = persona_client("analyst")
    make_expert("one@example.test", expertise=("nuclear",))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(DIRECTORY).status_code == 200
        return len(queries)

    count()  # the first request of a session does some one-off work
    few = count()
    for number in range(5):
        expert = make_expert(f"more{number}@example.test", expertise=("nuclear",))
        coi_declare(user=expert, relates_to="Something", description="Something else.")
    assert count() == few


@pytest.mark.django_db
def test_detail_shows_declarations_including_withdrawn(
    persona_client: Callable[[str], Client], make_expert: Callable[..., Any]
) -> None:
    from nonpro.accounts.experts import coi_withdraw

    expert = make_expert("detailed@example.test", affiliation="Detail Institute")
    active = coi_declare(user=expert, relates_to="Active relation", description="Still applies.")
    old = coi_declare(user=expert, relates_to="Past relation", description="No longer applies.")
    coi_withdraw(declaration=old, user=expert)
    html = persona_client("analyst").get(f"/en/experts/{expert.pk}/").content.decode()
    assert "Detail Institute" in html
    assert active.relates_to in html
    assert "Still applies." in html
    assert "Past relation" in html
    assert "Withdrawn on" in html


@pytest.mark.django_db
def test_detail_of_someone_not_listed_is_404(persona_client: Callable[[str], Client], make_user: MakeUser) -> None:
    learner = make_user("just-a-learner@example.test", ["learner"])
    client = persona_client("analyst")
    assert client.get(f"/en/experts/{learner.pk}/").status_code == 404
    assert client.get("/en/experts/999999/").status_code == 404


@pytest.mark.django_db
def test_expert_edits_own_profile(make_expert: Callable[..., Any]) -> None:
    expert = make_expert("self@example.test", profile=False)
    client = Client()
    client.force_login(expert)
    page = client.get("/en/experts/me/")
    assert page.status_code == 200
    assert not ExpertProfile.objects.filter(user=expert).exists()  # viewing creates nothing
    response = client.post(
        "/en/experts/me/",
        {
            "form": "profile",
            "affiliation": "My Institute",
            "community": "technical",
            "expertise": ["nuclear", "enabling_technologies"],
            "languages": ["es"],
        },
    )
    assert response.status_code == 302
    profile = ExpertProfile.objects.get(user=expert)
    assert profile.affiliation == "My Institute"
    assert profile.community == "technical"
    assert profile.expertise == ["nuclear", "enabling_technologies"]
    assert profile.languages == ["es"]
    event = AuditEvent.objects.filter(action="experts.profile.update").get()
    assert event.actor_id == expert.pk
    assert event.summary == {"changed": ["affiliation", "community", "expertise", "languages"]}


@pytest.mark.django_db
def test_profile_rejects_unknown_codes(make_expert: Callable[..., Any]) -> None:
    expert = make_expert("self@example.test", affiliation="Before")
    client = Client()
    client.force_login(expert)
    events = AuditEvent.objects.count()
    response = client.post("/en/experts/me/", {"form": "profile", "affiliation": "After", "expertise": ["weapons"]})
    assert response.status_code == 400
    assert ExpertProfile.objects.get(user=expert).affiliation == "Before"
    assert not AuditEvent.objects.filter(action="experts.profile.update", seq__gt=events).exists()


@pytest.mark.django_db
def test_expert_declares_and_withdraws_conflicts_through_the_page(make_expert: Callable[..., Any]) -> None:
    expert = make_expert("declarer@example.test")
    client = Client()
    client.force_login(expert)
    response = client.post(
        "/en/experts/me/", {"form": "conflict", "relates_to": "A ministry", "description": "Former adviser."}
    )
    assert response.status_code == 302
    declaration = ConflictOfInterestDeclaration.objects.get(expert__user=expert)
    assert declaration.is_active
    html = client.get("/en/experts/me/").content.decode()
    assert "A ministry" in html
    assert f'action="/en/experts/me/conflicts/{declaration.pk}/withdraw/"' in html
    response = client.post(f"/en/experts/me/conflicts/{declaration.pk}/withdraw/")
    assert response.status_code == 302
    declaration.refresh_from_db()
    assert declaration.withdrawn_at is not None
    # Withdrawing needs POST.
    assert client.get(f"/en/experts/me/conflicts/{declaration.pk}/withdraw/").status_code == 405


@pytest.mark.django_db
def test_nobody_withdraws_someone_elses_declaration(make_expert: Callable[..., Any]) -> None:
    owner = make_expert("owner@example.test")
    other = make_expert("other@example.test")
    declaration = coi_declare(user=owner, relates_to="Owner's relation", description="Owner's text.")
    client = Client()
    client.force_login(other)
    assert client.post(f"/en/experts/me/conflicts/{declaration.pk}/withdraw/").status_code == 404
    declaration.refresh_from_db()
    assert declaration.withdrawn_at is None
    assert not AuditEvent.objects.filter(action="experts.coi.withdraw").exists()


@pytest.mark.django_db
def test_pages_work_in_every_language(persona_client: Callable[[str], Client]) -> None:
    from django.conf import settings

    client = persona_client("analyst")
    for code, _name in settings.LANGUAGES:
        response = client.get(f"/{code}/experts/")
        assert response.status_code == 200
        direction = "rtl" if code == "ar" else "ltr"
        assert f'<html lang="{code}" dir="{direction}">' in response.content.decode()
