"""The Django admin for accounts, and the gate of the whole admin site.

The admin site asks the policy, not ``is_staff``: only an administrator who has set up MFA
(``can(viewer, "admin.site")``) gets in. It has no sign-in form of its own either — its login URL
sends people to the accounts' sign-in, where MFA is asked for — so the admin cannot be used to
skip the second factor. Roles and account status are not edited here directly: role assignments
are shown read-only with a link to the roles page (which asks for a reason and writes the audit
log), and accounts are disabled or enabled through actions that ask for a reason and call the
same services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.views import redirect_to_login
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from nonpro.accounts import services
from nonpro.accounts.forms import AccountStatusForm
from nonpro.accounts.models import RoleAssignment, User
from nonpro.core.audit.services import audit_record
from nonpro.core.policy import can, check_request, viewer_for

# --- the admin site's gate ------------------------------------------------------------------------


def admin_site_has_permission(request: HttpRequest) -> bool:
    """Let only administrators with MFA use the admin site (``is_staff`` plays no part)."""
    return can(viewer_for(request.user), "admin.site")


def admin_site_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """Replace the admin's own sign-in form by the accounts' sign-in (with its MFA step)."""
    target = request.GET.get(REDIRECT_FIELD_NAME, "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    if not request.user.is_authenticated:
        return redirect_to_login(target or reverse("admin:index"))
    denial = check_request(request, "admin.site")  # MFA setup for a privileged person without it, else 403
    if denial is not None:
        return denial
    return HttpResponseRedirect(target or reverse("admin:index"))


admin.site.has_permission = admin_site_has_permission  # type: ignore[method-assign]
admin.site.login = admin_site_login  # type: ignore[method-assign]


# --- users and roles ----------------------------------------------------------------------------


class RoleAssignmentInline(admin.TabularInline[RoleAssignment, User]):
    """Roles, read-only: they change on the roles page, which asks for a reason and audits it."""

    model = RoleAssignment
    fk_name = "user"
    extra = 0
    fields = ("role", "country", "reason", "granted_by", "granted_at")
    readonly_fields = fields
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return admin_site_has_permission(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    ordering = ("email",)
    list_display = ("email", "display_name", "is_active", "last_login")
    list_filter = ("is_active",)
    search_fields = ("email", "display_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("display_name", "first_name", "last_name")}),
        (_("Roles and status"), {"fields": ("roles_page", "is_active", "is_superuser")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    # Status and privileges change through audited services (the actions below, the roles page).
    readonly_fields = ("roles_page", "is_active", "is_staff", "is_superuser", "last_login", "date_joined")
    inlines = (RoleAssignmentInline,)
    actions = ("disable_accounts", "enable_accounts")

    @admin.display(description=_("Roles"))
    def roles_page(self, obj: User) -> str:
        if obj.pk is None:
            return "—"
        url = reverse("accounts:person_roles", kwargs={"user_id": obj.pk})
        return format_html('<a href="{}">{}</a>', url, gettext("Grant or revoke roles (a reason is required)"))

    # Who may use this page is the policy's answer, not Django's model permissions or ``is_superuser``.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return admin_site_has_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return admin_site_has_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return admin_site_has_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return admin_site_has_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Accounts are disabled, not deleted, so that the audit log keeps naming who did what."""
        return False

    # Every change made here is also written to the audit log: the changed fields' untranslated labels, never values.
    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        audit_record(action="user.created", obj=obj, summary={"via": "admin"}, request=request)
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        changed = sorted({field for entry in message or [] for field in entry.get("changed", {}).get("fields", [])})
        audit_record(action="user.changed", obj=obj, summary={"via": "admin", "fields": changed}, request=request)
        return super().log_change(request, obj, message)

    @admin.action(description=_("Disable the selected accounts and end their sessions"))
    def disable_accounts(self, request: HttpRequest, queryset: QuerySet[User]) -> HttpResponse | None:
        return self._status_action(request, queryset, action="disable_accounts")

    @admin.action(description=_("Enable the selected accounts"))
    def enable_accounts(self, request: HttpRequest, queryset: QuerySet[User]) -> HttpResponse | None:
        return self._status_action(request, queryset, action="enable_accounts")

    def _status_action(self, request: HttpRequest, queryset: QuerySet[User], *, action: str) -> HttpResponse | None:
        """Ask for a reason, then disable or enable each selected account through the services."""
        disable = action == "disable_accounts"
        form = AccountStatusForm(request.POST if "confirm" in request.POST else None, prefix="status")
        if form.is_valid():
            actor: User = request.user  # type: ignore[assignment]
            reason = form.cleaned_data["reason"]
            done = 0
            for person in queryset:
                try:
                    if disable:
                        services.user_disable(user=person, reason=reason, disabled_by=actor, request=request)
                    else:
                        services.user_enable(user=person, reason=reason, enabled_by=actor, request=request)
                except services.AccountsError:
                    self.message_user(
                        request, gettext("%(email)s was left unchanged.") % {"email": person.email}, messages.ERROR
                    )
                else:
                    done += 1
            self.message_user(request, gettext("Accounts changed: %(count)d.") % {"count": done}, messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Disable accounts") if disable else gettext("Enable accounts"),
            "opts": self.model._meta,
            "people": queryset,
            "form": form,
            "action": action,
            "disable": disable,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "accounts/admin/user_status.html", context)
