"""The JSON API at /api/v1/: tokens, scopes, the policy, and responses that match the OpenAPI schema."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, get_args

import pytest
from django.conf import settings
from django.test import Client

from nonpro.accounts.experts import expert_vet
from nonpro.accounts.models import ExpertProfile
from nonpro.accounts.tokens import token_create, token_revoke
from nonpro.api.accounts import LanguageCode
from tests.conftest import ROLE_PERSONAS, MakeUser
from tests.experts.openapi_check import assert_matches_openapi

OPENAPI = "/api/v1/openapi.json"


@pytest.fixture
def openapi(client: Client) -> dict[str, Any]:
    response = client.get(OPENAPI)
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


@pytest.fixture
def call(client: Client, openapi: dict[str, Any]) -> Callable[..., Any]:
    """Call the API (optionally with a token) and check the answer against the OpenAPI document."""

    def get(path: str, token: str | None = None, query: str = "", *, status: int) -> Any:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = client.get(f"/api/v1{path}{query}", headers=headers)
        assert response.status_code == status, response.content
        assert response["Content-Type"].startswith("application/json")
        assert "no-store" in response["Cache-Control"]
        body = response.json()
        assert_matches_openapi(openapi, f"/api/v1{path}", "get", status, body)
        if status == 401:
            assert response["WWW-Authenticate"].startswith("Bearer")
        return body

    return get


def _token(user: Any, scopes: tuple[str, ...] = ("read",), days: int = 30) -> str:
    return token_create(user=user, name="test", scopes=list(scopes), expires_in_days=days).raw


def _persona(make_user: MakeUser, persona: str) -> Any:
    roles, country = ROLE_PERSONAS[persona]
    return make_user(f"{persona}@example.test", roles, country=country)


# --- the schema and its documentation -------------------------------------------------------------------


def test_openapi_document_describes_the_api(openapi: dict[str, Any]) -> None:
    assert openapi["info"]["title"] == "Nonpro API"
    assert openapi["info"]["version"] == "1"
    assert {"/api/v1/me", "/api/v1/countries", "/api/v1/experts"} <= set(openapi["paths"])
    schemes = openapi["components"]["securitySchemes"]
    assert schemes["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert "security" not in openapi["paths"]["/api/v1/countries"]["get"]
    assert openapi["paths"]["/api/v1/me"]["get"]["security"] == [{"TokenAuth": []}]


@pytest.mark.django_db
def test_docs_page_is_local_and_fits_the_csp(client: Client) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    policy = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert re.findall(r'(?:href|src)="((?:https?:)?//[^"]*)"', html) == []
    # Every executable script is a same-site file; the only inline block is JSON data.
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline == [' type="application/json" id="swagger-settings"']
    assert 'src="/static/ninja/swagger-ui-bundle.js"' in html
    for script in ("swagger-ui-bundle.js", "swagger-ui-init.js", "swagger-ui.css"):
        static = client.get(f"/static/ninja/{script}")
        assert static.status_code == 200
        static.close()
    assert "style=" not in html


def test_language_parameter_lists_the_site_languages() -> None:
    assert set(get_args(LanguageCode)) == {code for code, _name in settings.LANGUAGES}


# --- countries (public) ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_countries_need_no_token(call: Callable[..., Any]) -> None:
    body = call("/countries", status=200)
    assert len(body) == 195
    kazakhstan = next(country for country in body if country["alpha2"] == "KZ")
    assert kazakhstan["alpha3"] == "KAZ"
    assert kazakhstan["numeric"] == "398"
    assert kazakhstan["status"] == "member"
    assert kazakhstan["regional_group"] == "asia-pacific"
    assert set(kazakhstan["names"]) == {code for code, _name in settings.LANGUAGES}
    assert kazakhstan["names"]["en"] == "Kazakhstan"
    assert {country["status"] for country in body} == {"member", "observer"}


@pytest.mark.django_db
def test_countries_with_a_token_answer_the_same(call: Callable[..., Any], make_user: MakeUser) -> None:
    user = make_user("reader@example.test", ["learner"])
    assert len(call("/countries", _token(user), status=200)) == 195


# --- me ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_me_without_or_with_a_bad_token_is_401(call: Callable[..., Any], make_user: MakeUser) -> None:
    body = call("/me", status=401)
    assert "Bearer" in body["detail"]
    call("/me", "npro_00000000_not-a-real-token", status=401)
    call("/me", "something else", status=401)
    user = make_user("reader@example.test", ["learner"])
    raw = _token(user)
    token_revoke(token=user.api_tokens.get(), user=user)
    call("/me", raw, status=401)


@pytest.mark.django_db
def test_basic_auth_or_session_does_not_replace_a_token(client: Client, make_user: MakeUser) -> None:
    user = make_user("reader@example.test", ["learner"])
    client.force_login(user)
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"authorization": "Basic cmVhZGVyOnNlY3JldA=="}).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("persona", [name for name in ROLE_PERSONAS if name != "anonymous"])
def test_me_describes_the_token_owner(call: Callable[..., Any], make_user: MakeUser, persona: str) -> None:
    user = _persona(make_user, persona)
    body = call("/me", _token(user), status=200)
    roles, country = ROLE_PERSONAS[persona]
    assert body["id"] == user.pk
    assert body["email"] == f"{persona}@example.test"
    assert body["roles"] == sorted(roles)
    assert body["state"] == country
    assert body["mfa_enabled"] is (persona in {"reviewer", "analyst", "administrator"})


@pytest.mark.django_db
def test_privileged_roles_without_mfa_do_not_count_through_the_api(
    call: Callable[..., Any], make_user: MakeUser
) -> None:
    analyst = make_user("weak-analyst@example.test", ["committee_analyst", "learner"], mfa=False)
    raw = _token(analyst)
    body = call("/me", raw, status=200)
    assert body["roles"] == ["learner"]
    assert body["mfa_enabled"] is False
    call("/experts", raw, status=403)


@pytest.mark.django_db
def test_scopes_are_enforced(call: Callable[..., Any], make_user: MakeUser) -> None:
    analyst = make_user("analyst@example.test", ["committee_analyst"])
    write_only = _token(analyst, scopes=("write",))
    body = call("/me", write_only, status=403)
    assert "read" in body["detail"]
    call("/experts", write_only, status=403)
    call("/me", _token(analyst, scopes=("read", "write")), status=200)


# --- experts ----------------------------------------------------------------------------------------------


@pytest.fixture
def listed(make_expert: Callable[..., Any], administrator: Any) -> list[Any]:
    chemist = make_expert(
        "chemist@example.test",
        affiliation="Chemistry Institute",
        community="scientific",
        expertise=("chemical",),
        languages=("en", "ru"),
    )
    lawyer = make_expert(
        "lawyer@example.test",
        affiliation="Law Faculty",
        community="legal",
        expertise=("law", "export_control"),
        languages=("fr",),
    )
    from datetime import timedelta

    from django.utils import timezone

    expert_vet(
        profile=ExpertProfile.objects.get(user=lawyer),
        vetted_by=administrator,
        until=timezone.localdate() + timedelta(days=60),
        reason="Vetted for the test.",
    )
    return [chemist, lawyer]


@pytest.mark.django_db
def test_experts_for_an_analyst_token(call: Callable[..., Any], make_user: MakeUser, listed: list[Any]) -> None:
    raw = _token(make_user("analyst@example.test", ["committee_analyst"]))

    def emails(query: str = "") -> list[str]:
        body = call("/experts", raw, query, status=200)
        assert body["count"] == len(body["items"])
        return [item["email"] for item in body["items"]]

    assert sorted(emails()) == ["chemist@example.test", "lawyer@example.test"]
    assert emails("?q=faculty") == ["lawyer@example.test"]
    assert emails("?community=scientific") == ["chemist@example.test"]
    assert emails("?field=export_control") == ["lawyer@example.test"]
    assert emails("?language=ru") == ["chemist@example.test"]
    assert emails("?vetted_only=true") == ["lawyer@example.test"]
    assert emails("?field=nuclear") == []
    body = call("/experts", raw, "?field=law", status=200)
    item = body["items"][0]
    assert item["vetting_status"] == "vetted"
    assert item["expertise"] == ["law", "export_control"]
    assert item["active_conflicts"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["?community=military", "?field=weapons", "?language=de", "?limit=0"])
def test_experts_validation_errors_are_422(
    call: Callable[..., Any], make_user: MakeUser, listed: list[Any], query: str
) -> None:
    raw = _token(make_user("analyst@example.test", ["committee_analyst"]))
    body = call("/experts", raw, query, status=422)
    assert body["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["learner", "official_a", "official_b", "expert", "reviewer", "administrator"])
def test_experts_refused_to_everyone_else(
    call: Callable[..., Any], make_user: MakeUser, listed: list[Any], persona: str
) -> None:
    body = call("/experts", _token(_persona(make_user, persona)), status=403)
    assert "chemist" not in str(body)


@pytest.mark.django_db
def test_experts_without_a_token_is_401(call: Callable[..., Any], listed: list[Any]) -> None:
    body = call("/experts", status=401)
    assert "chemist" not in str(body)


@pytest.mark.django_db
def test_unknown_api_path_is_json_404(client: Client) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
