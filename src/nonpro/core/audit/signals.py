"""Record account events that Django and allauth announce by signal (connected in ``AuditConfig.ready``).

Sign-in, failed sign-in (the attempted e-mail only, never the password), sign-out, sign-up,
password changes and resets, e-mail address changes, MFA changes (an authenticator added or
removed — regenerating recovery codes is the old set removed and a new one added) and failed
MFA codes. Role, vetting and grant changes are recorded by the services that make them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest

from nonpro.core.audit.services import audit_record

#: The action names this module writes (documented in docs/audit.md).
SIGNED_IN = "account.signed_in"
SIGN_IN_FAILED = "account.sign_in_failed"
SIGNED_OUT = "account.signed_out"
SIGNED_UP = "account.signed_up"
PASSWORD_CHANGED = "account.password_changed"  # noqa: S105 - an action name
PASSWORD_SET = "account.password_set"  # noqa: S105 - an action name
PASSWORD_RESET = "account.password_reset"  # noqa: S105 - an action name
EMAIL_ADDED = "account.email_added"
EMAIL_REMOVED = "account.email_removed"
EMAIL_CONFIRMED = "account.email_confirmed"
EMAIL_CHANGED = "account.email_changed"
MFA_ADDED = "mfa.authenticator_added"
MFA_REMOVED = "mfa.authenticator_removed"
MFA_FAILED = "mfa.authentication_failed"

#: Credential keys that name the account (never a secret); the first one present is recorded.
_LOGIN_KEYS = ("email", "login", "username")


def _request(request: Any) -> HttpRequest | None:
    return request if isinstance(request, HttpRequest) else None


def on_logged_in(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    audit_record(action=SIGNED_IN, actor=user, obj=user, request=_request(request))


def on_logged_out(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    if user is None:
        return  # signing out without a session: nothing happened
    audit_record(action=SIGNED_OUT, actor=user, obj=user, request=_request(request))


def on_login_failed(sender: Any, credentials: dict[str, Any] | None = None, request: Any = None, **kwargs: Any) -> None:
    """Record the attempted account name; the password never reaches the log."""
    credentials = credentials or {}
    attempted = next((str(credentials[key]) for key in _LOGIN_KEYS if credentials.get(key)), "")[:254]
    account = get_user_model().objects.filter(email__iexact=attempted).first() if attempted else None
    audit_record(
        action=SIGN_IN_FAILED,
        actor=None,
        obj=account,
        summary={"email": attempted},
        request=_request(request),
    )


def _user_event(action: str, summary: dict[str, Any] | None = None) -> Any:
    def receiver(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
        audit_record(action=action, actor=user, obj=user, summary=summary, request=_request(request))

    receiver.__name__ = f"on_{action.replace('.', '_')}"
    return receiver


def on_email_changed(
    sender: Any, request: Any = None, user: Any = None, from_email_address: Any = None, to_email_address: Any = None,
    **kwargs: Any,
) -> None:  # fmt: skip
    summary = {
        "before": getattr(from_email_address, "email", None),
        "after": getattr(to_email_address, "email", None),
    }
    audit_record(action=EMAIL_CHANGED, actor=user, obj=user, summary=summary, request=_request(request))


def _email_event(action: str) -> Any:
    def receiver(sender: Any, request: Any = None, email_address: Any = None, user: Any = None, **kwargs: Any) -> None:
        owner = user if user is not None else getattr(email_address, "user", None)
        summary = {"email": getattr(email_address, "email", None)}
        audit_record(action=action, actor=owner, obj=owner, summary=summary, request=_request(request))

    receiver.__name__ = f"on_{action.replace('.', '_')}"
    return receiver


def _current_request() -> HttpRequest | None:
    """Return the request allauth is serving (its middleware keeps it in a context variable), if any."""
    from allauth.core import context

    return _request(context.request)


def _mfa_change(action: str, authenticator: Any) -> None:
    request = _current_request()
    owner = authenticator.user
    actor = request.user if request is not None and request.user.is_authenticated else owner
    # The kind of authenticator only: its secret, codes and keys stay out of the log.
    summary = {"type": str(authenticator.type), "authenticator_id": authenticator.pk}
    audit_record(action=action, actor=actor, obj=owner, summary=summary, request=request)


def on_authenticator_saved(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    """Record a new authenticator in the transaction that creates it (updates such as "last used" are not changes)."""
    if created and not kwargs.get("raw"):
        _mfa_change(MFA_ADDED, instance)


def on_authenticator_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    _mfa_change(MFA_REMOVED, instance)


def on_mfa_failed(sender: Any, request: Any = None, user: Any = None, authenticator: Any = None, **kwargs: Any) -> None:
    summary: dict[str, Any] = {"type": str(getattr(authenticator, "type", "") or "")}
    if "reauthentication" in kwargs:
        summary["reauthentication"] = bool(kwargs["reauthentication"])
    audit_record(action=MFA_FAILED, actor=user, obj=user, summary=summary, request=_request(request))


def connect() -> None:
    """Connect the receivers (idempotent: each has a ``dispatch_uid``)."""
    from allauth.account import signals as account_signals
    from allauth.mfa import signals as mfa_signals
    from allauth.mfa.models import Authenticator

    pairs: list[tuple[Any, Any, str]] = [
        (user_logged_in, on_logged_in, SIGNED_IN),
        (user_logged_out, on_logged_out, SIGNED_OUT),
        (user_login_failed, on_login_failed, SIGN_IN_FAILED),
        (account_signals.user_signed_up, _user_event(SIGNED_UP), SIGNED_UP),
        (account_signals.password_changed, _user_event(PASSWORD_CHANGED), PASSWORD_CHANGED),
        (account_signals.password_set, _user_event(PASSWORD_SET), PASSWORD_SET),
        (account_signals.password_reset, _user_event(PASSWORD_RESET), PASSWORD_RESET),
        (account_signals.email_changed, on_email_changed, EMAIL_CHANGED),
        (account_signals.email_added, _email_event(EMAIL_ADDED), EMAIL_ADDED),
        (account_signals.email_removed, _email_event(EMAIL_REMOVED), EMAIL_REMOVED),
        (account_signals.email_confirmed, _email_event(EMAIL_CONFIRMED), EMAIL_CONFIRMED),
        (mfa_signals.authentication_failed, on_mfa_failed, MFA_FAILED),
    ]
    for signal, receiver, action in pairs:
        # weak=False: the receivers made by the factories above have no other reference.
        signal.connect(receiver, weak=False, dispatch_uid=f"nonpro.audit.{action}")
    # allauth announces MFA changes only after the commit; the model signals fire inside the
    # transaction of the change, so the event lands with it (or not at all).
    post_save.connect(on_authenticator_saved, sender=Authenticator, dispatch_uid=f"nonpro.audit.{MFA_ADDED}")
    post_delete.connect(on_authenticator_deleted, sender=Authenticator, dispatch_uid=f"nonpro.audit.{MFA_REMOVED}")
