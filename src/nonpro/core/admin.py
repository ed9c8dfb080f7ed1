from django.contrib import admin

from nonpro.core.models import Country, CountryTranslation


class CountryTranslationInline(admin.StackedInline[CountryTranslation, Country]):
    model = CountryTranslation
    extra = 0


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin[Country]):
    list_display = ("alpha2", "alpha3", "numeric", "status", "regional_group")
    list_filter = ("status", "regional_group")
    search_fields = ("alpha2", "alpha3", "translations__name")
    inlines = (CountryTranslationInline,)
