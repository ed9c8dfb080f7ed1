"""Routes of the register's outputs (included by ``nonpro.register.urls``): the Atom feeds.

Both feeds are public by design (everyone, whatever the session): see ``nonpro.register.feeds``.
"""

from django.urls import URLPattern, path

from nonpro.register.feeds import domain_feed, register_feed

urlpatterns: list[URLPattern] = [
    path("feed.atom", register_feed, name="feed"),
    path("domains/<str:domain>/feed.atom", domain_feed, name="domain_feed"),
]
