"""Fixtures for the expert directory, API tokens and the JSON API: set up through the real services."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache

from tests.conftest import MakeUser


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """The token services throttle audit events through the cache; each test starts afresh."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_expert(make_user: MakeUser) -> Callable[..., Any]:
    """Create a person with the expert role and, unless ``profile=False``, a directory profile."""
    from nonpro.accounts.experts import expert_profile_update

    def make(
        email: str,
        *,
        affiliation: str = "",
        community: str = "",
        expertise: tuple[str, ...] = (),
        languages: tuple[str, ...] = (),
        roles: tuple[str, ...] = ("expert",),
        profile: bool = True,
        display_name: str = "",
    ) -> Any:
        user = make_user(email, roles)
        if display_name:
            user.display_name = display_name
            user.save(update_fields=["display_name"])
        if profile:
            expert_profile_update(
                user=user,
                affiliation=affiliation,
                community=community,
                expertise=list(expertise),
                languages=list(languages),
            )
        return user

    return make


@pytest.fixture
def administrator(make_user: MakeUser) -> Any:
    return make_user("vetting-admin@example.test", ["administrator"])


@pytest.fixture
def analyst(make_user: MakeUser) -> Any:
    return make_user("directory-analyst@example.test", ["committee_analyst"])
