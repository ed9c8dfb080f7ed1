"""Routes of the register's write pages (included by ``nonpro.register.urls``).

- ``register:propose`` — proposers (experts, reviewers, analysts): a new draft;
- ``register:edit`` — the draft's creator, or an analyst (any state that allows an edit);
- ``register:submit`` — the same people, POST only: a draft or a pending edit goes to review;
- ``register:classify`` — analysts and the assigned reviewers: the tier of each visible part.

"""

from django.urls import URLPattern, path

from nonpro.register import write_views

urlpatterns: list[URLPattern] = [
    path("propose/", write_views.propose, name="propose"),
    path("<rsd:rsd_id>/edit/", write_views.edit, name="edit"),
    path("<rsd:rsd_id>/submit/", write_views.submit, name="submit"),
    path("<rsd:rsd_id>/classify/", write_views.classify, name="classify"),
]
