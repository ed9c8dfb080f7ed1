"""The register's pages. Each module below owns its routes; entry routes use the ``rsd`` converter.

Names stay in the ``register`` namespace (``register:propose``, ``register:feed`` …).
"""

from django.urls import URLPattern, URLResolver, path

from nonpro.register import urls_dashboard, urls_follow, urls_outputs, urls_review, urls_write, views

app_name = "register"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("<rsd:rsd_id>/", views.entry_detail, name="entry"),
    path("<rsd:rsd_id>/history/", views.entry_history, name="history"),
    *urls_write.urlpatterns,
    *urls_review.urlpatterns,
    *urls_outputs.urlpatterns,
    *urls_follow.urlpatterns,
    *urls_dashboard.urlpatterns,
]
