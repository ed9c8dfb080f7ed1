from django.contrib import admin
from django.http import HttpRequest

from nonpro.core.models import Country, CountryTranslation, NeedToKnowGrant


class CountryTranslationInline(admin.StackedInline[CountryTranslation, Country]):
    model = CountryTranslation
    extra = 0


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin[Country]):
    list_display = ("alpha2", "alpha3", "numeric", "status", "regional_group")
    list_filter = ("status", "regional_group")
    search_fields = ("alpha2", "alpha3", "translations__name")
    inlines = (CountryTranslationInline,)


@admin.register(NeedToKnowGrant)
class NeedToKnowGrantAdmin(admin.ModelAdmin[NeedToKnowGrant]):
    """Read-only history: grants are written by ``nonpro.core.grants`` (reason, expiry, audit event)."""

    list_display = ("user", "content_type", "object_id", "expires_at", "revoked_at", "granted_by")
    list_filter = ("content_type",)
    search_fields = ("user__email", "reason")
    date_hierarchy = "granted_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: NeedToKnowGrant | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: NeedToKnowGrant | None = None) -> bool:
        return False
