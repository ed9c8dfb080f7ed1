"""Our own account pages under ``/<lang>/accounts/`` (allauth's pages follow them in the root URLconf)."""

from django.urls import URLPattern, URLResolver, path

from nonpro.accounts import views

app_name = "accounts"
urlpatterns: list[URLPattern | URLResolver] = [
    path("profile/", views.profile, name="profile"),
    path("people/", views.people, name="people"),
    path("people/<int:user_id>/roles/", views.person_roles, name="person_roles"),
]
