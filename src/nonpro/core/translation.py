"""Translated model fields: one translation row per object and language (see docs/decisions/0001)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class TranslationStatus(models.TextChoices):
    ORIGINAL = "original", _("Original")
    CURRENT = "current", _("Translated")
    OUTDATED = "outdated", _("Translation out of date")
    MISSING = "missing", _("Not yet translated")


class TranslationBase(models.Model):
    """Abstract base of ``<Model>Translation`` tables: a language and a status per row.

    A concrete subclass adds a ``master`` foreign key (``related_name="translations"``),
    the translated fields, and a unique constraint on ``(master, language)``.
    """

    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    status = models.CharField(
        _("translation status"), max_length=10, choices=TranslationStatus.choices, default=TranslationStatus.CURRENT
    )

    class Meta:
        abstract = True


class _HasLanguage(Protocol):
    language: str


def fallback_chain(language: str | None, original: str | None = None) -> list[str]:
    """Return the languages to try in order: the asked one, the original, then English."""
    chain: list[str] = []
    for code in (language or get_language() or settings.LANGUAGE_CODE, original, settings.LANGUAGE_CODE):
        if code and code not in chain:
            chain.append(code)
    return chain


def pick_translation[T: _HasLanguage](
    translations: Iterable[T], language: str | None = None, original: str | None = None
) -> T | None:
    """Return the translation for ``language``, falling back to the original language and then English.

    Works on an already fetched iterable (use ``prefetch_related("translations")``) so that
    a list of objects costs one query, not one per object.
    """
    by_language = {translation.language: translation for translation in translations}
    for code in fallback_chain(language, original):
        if code in by_language:
            return by_language[code]
    return None
