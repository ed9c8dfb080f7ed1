"""Routes of the register's review pages (included by ``nonpro.register.urls``).

- ``register:reviews`` — analysts: the triage queue; reviewers: their open assignments;
- ``register:assign`` — analysts: pick and assign vetted reviewers;
- ``register:review`` — the assigned reviewer: the structured review form;
- ``register:decide`` — analysts: the reviews side by side, and the decision.

"""

from django.urls import URLPattern, path

from nonpro.register import review_views

urlpatterns: list[URLPattern] = [
    path("review/", review_views.review_list, name="reviews"),
    path("<rsd:rsd_id>/assign/", review_views.assign, name="assign"),
    path("<rsd:rsd_id>/review/", review_views.review, name="review"),
    path("<rsd:rsd_id>/decide/", review_views.decide, name="decide"),
]
