"""The ``rsd`` path converter: an entry identifier, ``RSD-YYYY-NNNNN``.

Registered when the app is ready (``RegisterConfig.ready``), before any URL module is imported, so
that other paths under /register/ never reach the entry views.
"""

from django.urls import register_converter


class RsdIdConverter:
    regex = r"RSD-[0-9]{4}-[0-9]{5,}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(RsdIdConverter, "rsd")
