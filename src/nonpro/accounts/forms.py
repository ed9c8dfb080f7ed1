"""Forms of the account pages, and the password rule Django does not ship (a maximum length)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from nonpro.core.policy import Role
from nonpro.core.selectors import countries_list

# --- password rules ----------------------------------------------------------------------------


class MaximumLengthValidator:
    """Refuse passwords longer than ``max_length`` characters (long passphrases are welcome up to it).

    The bound only keeps hashing cheap enough to resist abuse; it is well above the 64 characters
    that must be allowed (OWASP ASVS), and there is no rule on composition or rotation.
    """

    def __init__(self, max_length: int = 128) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                ngettext(
                    "This password is too long. It must contain at most %(max_length)d character.",
                    "This password is too long. It must contain at most %(max_length)d characters.",
                    self.max_length,
                ),
                code="password_too_long",
                params={"max_length": self.max_length},
            )

    def get_help_text(self) -> str:
        return ngettext(
            "Your password can be up to %(max_length)d character long.",
            "Your password can be up to %(max_length)d characters long.",
            self.max_length,
        ) % {"max_length": self.max_length}


# --- profile -----------------------------------------------------------------------------------


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=150,
        required=False,
        help_text=_("How your name appears to others on the platform. Leave it empty to show your e-mail address."),
    )


# --- administration: roles and account status ----------------------------------------------------


class ReasonField(forms.CharField):
    """A required free-text reason, recorded in the audit log."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Reason"))
        kwargs.setdefault("max_length", 1000)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 2}))
        kwargs.setdefault("help_text", _("Recorded in the audit log. Required."))
        super().__init__(required=True, strip=True, **kwargs)


def _country_choices() -> list[tuple[str, str]]:
    return [("", "—"), *((row.alpha2, row.name) for row in countries_list())]


class RoleGrantForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    country = forms.ChoiceField(
        label=_("State"), required=False, help_text=_("Only for a national official, who is bound to one State.")
    )
    reason = ReasonField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        country = self.fields["country"]
        assert isinstance(country, forms.ChoiceField)  # noqa: S101 - narrows the type for mypy
        country.choices = _country_choices()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        role = cleaned.get("role")
        country = cleaned.get("country")
        if role == Role.NATIONAL_OFFICIAL and not country:
            self.add_error("country", _("Choose the State this national official is bound to."))
        elif role and role != Role.NATIONAL_OFFICIAL and country:
            self.add_error("country", _("Only a national official is bound to a State."))
        return cleaned


class RoleRevokeForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, widget=forms.HiddenInput)
    reason = ReasonField()


class AccountStatusForm(forms.Form):
    """Disable or enable an account; a reason is required either way."""

    reason = ReasonField()


class PointOfContactForm(forms.Form):
    """Mark or unmark a national official as their State's point of contact, with a reason."""

    is_point_of_contact = forms.BooleanField(label=_("Point of contact of their State"), required=False)
    reason = ReasonField()
