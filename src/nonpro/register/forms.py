"""Forms of the register's write pages: an entry's content and sources, the proposer's checklist, tiers.

Forms only parse what a person typed into the shapes ``nonpro.register.values`` expects (lists of
codes, lines, source dicts); whether a value is well formed, and who may set it, stays the
service's answer. Source rows are checked one by one with ``values.clean_values`` so that an
error lands on the row it is about, by the very rules the service applies.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms import BaseFormSet, formset_factory
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from nonpro.core.policy import ANONYMOUS, Tier
from nonpro.core.translation import TranslationStatus
from nonpro.register import taxonomy
from nonpro.register.models import SUMMARY_MAX_LENGTH, TITLE_MAX_LENGTH, CreditRole, SourceType
from nonpro.register.values import clean_values, empty_values

#: The entry fields the write form edits, each with the taxonomy kind of its codes where it has one.
TAXONOMY_FIELDS = taxonomy.FIELD_KINDS
ENTRY_FIELDS: tuple[str, ...] = (
    "title",
    "summary",
    "details",
    "original_language",
    *TAXONOMY_FIELDS,
    "first_reported",
    "sources",
    "aliases",
    "related",
)
SOURCE_KEYS: tuple[str, ...] = ("type", "citation", "doi", "pmid", "arxiv_id", "url")
#: Empty source rows offered beyond the filled ones (and at least this many rows in all).
SOURCE_EXTRA_ROWS = 3
SOURCE_MIN_ROWS = 5
SOURCE_MAX_ROWS = 50


def _normalize_text(value: str) -> str:
    """Return ``value`` with browser line ends (CRLF) as LF, so a line break counts as one character."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def _lines(value: str) -> list[str]:
    return [line.strip() for line in _normalize_text(value).split("\n") if line.strip()]


def _code_choices(kind: str, language: str, keep: Iterable[str]) -> list[tuple[str, Any]]:
    """Return the codes of ``kind`` grouped under their top-level heading, in file order.

    Deprecated codes are offered only when in ``keep`` (an entry already uses them), so that
    editing an older entry does not silently drop its classification.
    """
    tree = taxonomy.load(kind)
    kept = set(keep)

    def offered(code: str) -> bool:
        return not tree.term(code).deprecated or code in kept

    def below(code: str) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for child in tree.children(code, include_deprecated=True):
            if offered(child):
                found.append((child, tree.label(child, language)))
            found.extend(below(child))
        return found

    choices: list[tuple[str, Any]] = []
    for root in tree.roots(include_deprecated=True):
        label = tree.label(root, language)
        children = below(root)
        if children:
            whole = [(root, _("%(heading)s (the whole heading)") % {"heading": label})] if offered(root) else []
            choices.append((label, [*whole, *children]))
        elif offered(root):
            choices.append((root, label))
    return choices


class EntryForm(forms.Form):
    """The content of an entry as a proposer or editor writes it (not its tiers, assessment or credits)."""

    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX_LENGTH)
    summary = forms.CharField(
        label=_("Summary"),
        # The limit is checked after line ends are normalized (a browser sends CRLF), in clean_summary.
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": SUMMARY_MAX_LENGTH}),
        help_text=_("Plain text, at most 300 characters: what the development is and why it matters."),
    )
    details = forms.CharField(
        label=_("Details"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Markdown: paragraphs, lists, emphasis and links. No HTML and no images."),
    )
    original_language = forms.ChoiceField(
        label=_("Original language"),
        choices=settings.LANGUAGES,
        help_text=_("The language you write the title and summary in."),
    )
    domains = forms.MultipleChoiceField(label=_("Domains"), required=False, widget=forms.CheckboxSelectMultiple)
    technology_areas = forms.MultipleChoiceField(
        label=_("Technology areas"), required=False, widget=forms.CheckboxSelectMultiple
    )
    control_lists = forms.MultipleChoiceField(
        label=_("Control lists"), required=False, widget=forms.CheckboxSelectMultiple
    )
    obligations = forms.MultipleChoiceField(
        label=_("Obligations of resolution 1540"), required=False, widget=forms.CheckboxSelectMultiple
    )
    first_reported = forms.DateField(
        label=_("First reported"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The day the development was first made public, if known."),
    )
    aliases = forms.CharField(
        label=_("Aliases"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Identifiers of the same development in other databases, one per line."),
    )
    related = forms.CharField(
        label=_("Related entries"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Identifiers of related register entries (RSD-YYYY-NNNNN), one per line."),
    )

    def __init__(
        self,
        *args: Any,
        language: str,
        fields: Collection[str] | None = None,
        fixed_language: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for name, kind in TAXONOMY_FIELDS.items():
            keep = list(self.initial.get(name) or [])
            if self.is_bound:
                keep += self.data.getlist(self.add_prefix(name)) if hasattr(self.data, "getlist") else []
            field = cast("forms.MultipleChoiceField", self.fields[name])
            field.choices = _code_choices(kind, language, keep)
        if fixed_language:
            self.fields["original_language"].disabled = True
            self.fields["original_language"].help_text = _("The original language of a published entry is fixed.")
        if fields is not None:
            for name in [name for name in self.fields if name not in fields]:
                del self.fields[name]

    def clean_summary(self) -> str:
        summary = _normalize_text(self.cleaned_data["summary"])
        if len(summary) > SUMMARY_MAX_LENGTH:
            raise ValidationError(
                _("Use at most %(limit)s characters (this has %(count)s)."),
                params={"limit": SUMMARY_MAX_LENGTH, "count": len(summary)},
            )
        return summary

    def clean_details(self) -> str:
        return _normalize_text(self.cleaned_data["details"])

    def clean_aliases(self) -> list[str]:
        return _lines(self.cleaned_data["aliases"])

    def clean_related(self) -> list[str]:
        return _lines(self.cleaned_data["related"])

    def values(self) -> dict[str, Any]:
        """Return the cleaned content under the names ``entry_create_draft`` and ``entry_update`` take."""
        values = {name: self.cleaned_data[name] for name in self.fields if name in ENTRY_FIELDS}
        if "original_language" in values and self.fields["original_language"].disabled:
            del values["original_language"]
        return values


class SourceForm(forms.Form):
    """One source row; a row left empty is no source."""

    type = forms.ChoiceField(label=_("Type"), required=False)
    citation = forms.CharField(label=_("Citation"), required=False, max_length=1000)
    doi = forms.CharField(label=_("DOI"), required=False, max_length=200)
    pmid = forms.CharField(label=_("PubMed id"), required=False, max_length=20)
    arxiv_id = forms.CharField(label=_("arXiv id"), required=False, max_length=40)
    url = forms.CharField(label=_("URL"), required=False, max_length=1000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.ChoiceField", self.fields["type"])
        field.choices = [("", _("Choose a type")), *SourceType.choices]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        row = self.source(cleaned)
        if row is not None:
            try:
                clean_values({"sources": [row]}, current=empty_values(), editor=ANONYMOUS, rsd_id="", published=False)
            except ValidationError as error:
                for message in error.message_dict.get("sources", error.messages):
                    self.add_error(None, message)
        return cleaned

    @staticmethod
    def source(cleaned: Mapping[str, Any]) -> dict[str, str] | None:
        """Return the row as a source dict, or ``None`` when nothing is filled in."""
        row = {key: str(cleaned.get(key) or "").strip() for key in SOURCE_KEYS}
        if not any(row.values()):
            return None
        return row


class BaseSourceFormSet(BaseFormSet[SourceForm]):
    def sources(self) -> list[dict[str, str]]:
        """Return the filled rows in order (call after ``is_valid``)."""
        rows = (SourceForm.source(form.cleaned_data) for form in self.forms)
        return [row for row in rows if row is not None]


def source_formset(
    data: Mapping[str, Any] | None = None, *, initial: list[dict[str, str]] | None = None
) -> BaseSourceFormSet:
    """Return the sources formset: the given rows plus some empty ones (rows are added without JavaScript)."""
    rows = list(initial or [])
    extra = max(SOURCE_EXTRA_ROWS, SOURCE_MIN_ROWS - len(rows))
    factory = formset_factory(
        SourceForm,
        formset=BaseSourceFormSet,
        extra=extra,
        max_num=SOURCE_MAX_ROWS,
        validate_max=True,
        absolute_max=SOURCE_MAX_ROWS,
    )
    return cast("BaseSourceFormSet", factory(data, initial=rows, prefix="sources"))


class ChecklistForm(forms.Form):
    """What a proposer confirms before the text goes in: every box, every time."""

    what_and_why = forms.BooleanField(
        label=_("The summary says what the development is and why it matters for resolution 1540."),
        error_messages={"required": _("Confirm this before you save the entry.")},
    )
    non_operational = forms.BooleanField(
        label=_(
            "It names no procedure, quantity, material specification or step that would help anyone "
            "reproduce or weaponise it."
        ),
        error_messages={"required": _("Confirm this before you save the entry.")},
    )
    public_sources = forms.BooleanField(
        label=_("The sources are public."),
        error_messages={"required": _("Confirm this before you save the entry.")},
    )
    nothing_restricted = forms.BooleanField(
        label=_("I have not copied restricted or classified material."),
        error_messages={"required": _("Confirm this before you save the entry.")},
    )


class VersionForm(forms.Form):
    """The version of the entry the person saw (the optimistic lock)."""

    expected_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class ClassifyForm(forms.Form):
    """One tier per part the viewer may see (and per pending part), and one reason for the changes."""

    expected_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recorded with each tier you change, in the entry's history and the audit log."),
    )

    def __init__(self, *args: Any, rows: Iterable[tuple[str, Any, str]], **kwargs: Any) -> None:
        """``rows`` are ``(key, label, current tier)``; each becomes a ``tier-<key>`` choice."""
        super().__init__(*args, **kwargs)
        for key, label, current in rows:
            # Not required: a row left out of the request keeps its tier.
            self.fields[f"tier-{key}"] = forms.ChoiceField(
                label=label, choices=Tier.choices, initial=current, required=False
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.changed_tiers() and not str(cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Give a reason for the change of tier."))
        return cleaned

    def changed_tiers(self) -> dict[str, str]:
        """Return ``{key: new tier}`` for the rows whose tier was changed (call after ``is_valid``)."""
        return {
            name.removeprefix("tier-"): str(self.cleaned_data[name])
            for name in self.changed_data
            if name.startswith("tier-") and self.cleaned_data.get(name)
        }


def first_reported_value(value: Any) -> date | None:
    """Return a stored ``first_reported`` (a date, or its ISO text in a pending edit) as a date."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


# --- concern assessment ----------------------------------------------------------------------------------

SCORE_PREFIX = "score-"


class AssessmentForm(forms.Form):
    """The concern assessment: one score per rubric criterion (or none at all) and the rationale.

    The level is not a field: the rubric derives it from the scores when the service saves them.
    """

    concern_rationale = forms.CharField(
        label=_("Rationale"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Plain text: why these scores, at policy level (what the development changes, which controls apply)."
        ),
    )

    def __init__(self, *args: Any, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rubric = taxonomy.rubric()
        self.criteria = list(rubric.criteria)
        for code, criterion in rubric.criteria.items():
            choices: list[tuple[str, str]] = [("", str(_("Not scored")))]
            choices += [
                (str(score), f"{score} — {criterion.score_description(score, language)}")
                for score in sorted(criterion.scores)
            ]
            self.fields[f"{SCORE_PREFIX}{code}"] = forms.ChoiceField(
                label=criterion.label(language),
                help_text=criterion.description(language),
                choices=choices,
                required=False,
            )
        # The rationale comes last, after the scores it explains.
        self.order_fields([*(f"{SCORE_PREFIX}{code}" for code in self.criteria), "concern_rationale"])

    def clean_concern_rationale(self) -> str:
        return _normalize_text(self.cleaned_data["concern_rationale"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        given = [code for code in self.criteria if cleaned.get(f"{SCORE_PREFIX}{code}") not in (None, "")]
        if given and len(given) != len(self.criteria):
            for code in self.criteria:
                if code not in given:
                    self.add_error(
                        f"{SCORE_PREFIX}{code}", _("Score every criterion, or none to clear the assessment.")
                    )
        return cleaned

    def score_fields(self) -> list[forms.BoundField]:
        return [self[f"{SCORE_PREFIX}{code}"] for code in self.criteria]

    def values(self) -> dict[str, Any]:
        """Return ``concern_scores`` (``{}`` when nothing is scored) and ``concern_rationale`` (after ``is_valid``)."""
        scores = {
            code: int(self.cleaned_data[f"{SCORE_PREFIX}{code}"])
            for code in self.criteria
            if self.cleaned_data.get(f"{SCORE_PREFIX}{code}") not in (None, "")
        }
        return {"concern_scores": scores, "concern_rationale": self.cleaned_data["concern_rationale"]}


def assessment_initial(scores: Mapping[str, Any] | None, rationale: str | None) -> dict[str, Any]:
    initial: dict[str, Any] = {f"{SCORE_PREFIX}{code}": str(score) for code, score in (scores or {}).items()}
    initial["concern_rationale"] = rationale or ""
    return initial


# --- translations of the title and summary ---------------------------------------------------------------


def html_lang(language: str) -> str:
    """Return the BCP 47 tag of a platform language for ``lang=""`` (``zh-hans`` → ``zh-Hans``)."""
    head, _sep, tail = language.partition("-")
    if not tail:
        return head
    return f"{head}-{tail.title() if len(tail) == 4 else tail.upper()}"


class TranslationForm(forms.Form):
    """The title and summary of an entry in one other language; both empty means no translation."""

    title = forms.CharField(label=_("Title"), required=False, max_length=TITLE_MAX_LENGTH)
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": SUMMARY_MAX_LENGTH}),
    )
    confirm = forms.BooleanField(
        label=_("This translation still matches the original: mark it as up to date."),
        required=False,
    )

    def __init__(self, *args: Any, language: str, status: str = TranslationStatus.MISSING, **kwargs: Any) -> None:
        """``status`` is the stored ``TranslationStatus``; an out-of-date translation may be confirmed as it is."""
        kwargs.setdefault("prefix", f"translation-{language}")
        super().__init__(*args, **kwargs)
        self.language = language
        self.status = TranslationStatus(status)
        self.status_label = self.status.label
        self.outdated = self.status == TranslationStatus.OUTDATED
        info = get_language_info(language)
        self.language_name = info["name_translated"]
        attrs = {"lang": html_lang(language), "dir": "rtl" if info["bidi"] else "ltr"}
        for name in ("title", "summary"):
            self.fields[name].widget.attrs.update(attrs)
        if not self.outdated:
            del self.fields["confirm"]

    def clean_title(self) -> str:
        title = _normalize_text(self.cleaned_data["title"])
        if "\n" in title:
            raise ValidationError(_("Use a single line."))
        return title

    def clean_summary(self) -> str:
        summary = _normalize_text(self.cleaned_data["summary"])
        if len(summary) > SUMMARY_MAX_LENGTH:
            raise ValidationError(
                _("Use at most %(limit)s characters (this has %(count)s)."),
                params={"limit": SUMMARY_MAX_LENGTH, "count": len(summary)},
            )
        return summary

    def texts(self) -> dict[str, str]:
        """Return ``{"title", "summary"}`` as typed (call after ``is_valid``)."""
        return {"title": self.cleaned_data["title"], "summary": self.cleaned_data["summary"]}

    def is_filled(self) -> bool:
        return any(self.texts().values())

    def confirmed(self) -> bool:
        return bool(self.cleaned_data.get("confirm"))


# --- credits ---------------------------------------------------------------------------------------------

CREDIT_EXTRA_ROWS = 2
CREDIT_MAX_ROWS = 30


class CreditForm(forms.Form):
    """One credit row: a name and a role; a row left empty is no credit."""

    name = forms.CharField(label=_("Name"), required=False, max_length=200)
    role = forms.ChoiceField(label=_("Role"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.ChoiceField", self.fields["role"])
        field.choices = [("", _("Choose a role")), *CreditRole.choices]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        name = str(cleaned.get("name") or "").strip()
        role = str(cleaned.get("role") or "")
        if name and not role and "role" not in self.errors:
            self.add_error("role", _("Choose the role of each person credited."))
        if role and not name and "name" not in self.errors:
            self.add_error("name", _("Give the name of each person credited."))
        return cleaned

    @staticmethod
    def credit(cleaned: Mapping[str, Any]) -> dict[str, str] | None:
        """Return the row as ``{"name", "role"}``, or ``None`` when nothing is filled in."""
        name = str(cleaned.get("name") or "").strip()
        role = str(cleaned.get("role") or "")
        if not name and not role:
            return None
        return {"name": name, "role": role}


class BaseCreditFormSet(BaseFormSet[CreditForm]):
    def credits(self) -> list[dict[str, str]]:
        """Return the filled rows in order (call after ``is_valid``)."""
        rows = (CreditForm.credit(form.cleaned_data) for form in self.forms)
        return [row for row in rows if row is not None]


def credit_formset(
    data: Mapping[str, Any] | None = None, *, initial: list[dict[str, Any]] | None = None
) -> BaseCreditFormSet:
    """Return the credits formset: the given rows plus two empty ones (more appear after saving)."""
    rows = [{"name": row.get("name", ""), "role": row.get("role", "")} for row in initial or []]
    factory = formset_factory(
        CreditForm,
        formset=BaseCreditFormSet,
        extra=CREDIT_EXTRA_ROWS,
        max_num=CREDIT_MAX_ROWS,
        validate_max=True,
        absolute_max=CREDIT_MAX_ROWS,
    )
    return cast("BaseCreditFormSet", factory(data, initial=rows, prefix="credits"))
