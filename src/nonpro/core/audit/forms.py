"""The filter form of the audit log pages (a GET form that works without JavaScript)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from nonpro.core.audit.selectors import AuditFilter


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Actor e-mail"), required=False, max_length=254)
    action = forms.CharField(
        label=_("Action"),
        required=False,
        max_length=100,
        help_text=_("An action, or the start of one such as “account”."),
        widget=forms.TextInput(attrs={"list": "audit-actions"}),
    )
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=100)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
    date_from = forms.DateField(label=_("From (UTC)"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To (UTC)"), required=False, widget=DateInput())

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date must not be after the end date."), code="date_order")
        return cleaned

    def filters(self) -> AuditFilter:
        """Return the filter from valid data (call after ``is_valid()``)."""
        data = self.cleaned_data
        return AuditFilter(
            actor=data.get("actor", "").strip(),
            action=data.get("action", "").strip(),
            object_type=data.get("object_type", "").strip(),
            object_id=data.get("object_id", "").strip(),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
