"""Django model permissions decided by the policy module, not by ``is_staff`` or permission rows."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend

from nonpro.core.policy import can, viewer_for


class PolicyPermissionBackend(BaseBackend):
    """Give the Django admin's model permissions to whoever the policy lets use the admin site.

    Administrators (with MFA) get them; everyone else gets none from this backend. Model admins
    that must stay read-only (audit events, need-to-know grants) refuse changes themselves.
    """

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return bool(user_obj.is_active) and can(viewer_for(user_obj), "admin.site")

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return bool(user_obj.is_active) and can(viewer_for(user_obj), "admin.site")
