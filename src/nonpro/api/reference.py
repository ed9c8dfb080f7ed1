"""API operations on the shared reference data (public)."""

# No ``from __future__ import annotations`` here: django-ninja reads the operations' annotations at import.

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Schema

from nonpro.api.auth import authorize
from nonpro.core.models import Country

router = Router(tags=["reference data"])


class CountryOut(Schema):
    alpha2: str
    alpha3: str
    numeric: str
    status: str
    regional_group: str
    names: dict[str, str]


@router.get("/countries", response=list[CountryOut], auth=None, summary="States")
def countries(request: HttpRequest) -> list[CountryOut]:
    """Return the 193 UN Member States and the two observer States: ISO 3166 codes, status, UN regional
    group and CLDR names in the six official languages (keyed by language code). Public: no token needed.
    """
    authorize(request, "core.countries.view")
    languages = [code for code, _name in settings.LANGUAGES]
    rows = []
    for country in Country.objects.prefetch_related("translations").order_by("alpha2"):
        names = {translation.language: translation.name for translation in country.translations.all()}
        rows.append(
            CountryOut(
                alpha2=country.alpha2,
                alpha3=country.alpha3,
                numeric=country.numeric,
                status=country.status,
                regional_group=country.regional_group,
                names={code: names[code] for code in languages if code in names},
            )
        )
    return rows
