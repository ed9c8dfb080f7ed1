"""The JSON API: assembles each app's router into ``/api/v1/`` (OpenAPI at ``/api/v1/openapi.json``)."""

from django.urls import URLPattern, URLResolver, path

from nonpro.api import accounts, reference
from nonpro.api.base import api
from nonpro.register import api as register_api

# Each app adds its router here, under the prefix it owns.
api.add_router("/", reference.router)
api.add_router("/", accounts.router)
api.add_router("/register", register_api.router)

urlpatterns: list[URLPattern | URLResolver] = [path("", api.urls)]
