"""Personal API tokens, under ``/<lang>/accounts/tokens/``."""

from django.urls import URLPattern, URLResolver, path

from nonpro.accounts import views_tokens as views

app_name = "tokens"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.token_list, name="list"),
    path("<int:token_id>/revoke/", views.token_revoke, name="revoke"),
]
