"""The register's write pages: propose a development, edit and submit an entry, classify its parts.

Thin views: they parse a form, call one service per change (``entry_create_draft``,
``entry_update``, ``entry_submit``, ``entry_set_tier``) and map its refusals back onto the form
(a ``ValidationError`` per field, a ``StaleEntryError`` as a message, the input kept). Who may use
a page is ``entry_actions_for``'s answer: a hidden or unknown entry is a 404, a visible one the
viewer may not act on a 403; anonymous visitors go to sign-in first, whatever the identifier.
Forms are filled from ``entry_data_for`` only, and offer only the parts the viewer may see: a
part one cannot see is neither shown nor sent (the service would refuse to change it anyway).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from nonpro.accounts.models import User
from nonpro.core.policy import Viewer, policy_required, viewer_for, would_allow_with_mfa
from nonpro.core.translation import TranslationStatus
from nonpro.register import reviews, services, taxonomy
from nonpro.register.forms import (
    ENTRY_FIELDS,
    SOURCE_KEYS,
    TAXONOMY_FIELDS,
    AssessmentForm,
    BaseCreditFormSet,
    BaseSourceFormSet,
    ChecklistForm,
    ClassifyForm,
    EntryForm,
    TranslationForm,
    VersionForm,
    assessment_initial,
    credit_formset,
    first_reported_value,
    html_lang,
    source_formset,
)
from nonpro.register.models import GROUP_OF, TIER_GROUPS, Entry, Status
from nonpro.register.selectors import EntryView, entry_actions_for, entry_data_for, entry_get_visible, pending_lens

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PROPOSE = "register.entry.propose"
EDIT = "register.entry.edit"
SUBMIT = "register.entry.submit"
CLASSIFY = "register.entry.classify"

#: The form's fields in sections, with their legends.
SECTIONS: tuple[tuple[StrOrPromise, tuple[str, ...]], ...] = (
    (_("Description"), ("title", "summary", "details", "original_language")),
    (_("Classification"), (*TAXONOMY_FIELDS, "related")),
    (_("Sources"), ("first_reported", "aliases")),
)
PART_LABELS: dict[str, StrOrPromise] = {
    "title": _("Title"),
    "summary": _("Summary"),
    "details": _("Details"),
    "classification": _("Classification"),
    "assessment": _("Concern assessment"),
    "sources": _("Sources"),
    "credits": _("Credits"),
}


def _language() -> str:
    return get_language() or "en"


def _user(request: HttpRequest) -> User:
    """Return the signed-in person (the views let no one else reach a service)."""
    return cast("User", request.user)


def _entry_for_action(request: HttpRequest, rsd_id: str, action: str) -> Entry | HttpResponse:
    """Return the entry when the viewer may take ``action`` on it now, else the response to send.

    Anonymous: sign-in (for every identifier, so that it tells nothing). Hidden or unknown: 404.
    Visible but not allowed: MFA setup when that would allow it, else 403.
    """
    viewer = viewer_for(request.user)
    if not viewer.is_authenticated:
        return redirect_to_login(request.get_full_path())
    entry = entry_get_visible(viewer, rsd_id)
    if entry is None:
        raise Http404
    if action in entry_actions_for(viewer, entry):
        return entry
    if would_allow_with_mfa(viewer, action, entry):
        return redirect("mfa_activate_totp")
    raise PermissionDenied


def _visible_data(viewer: Viewer, entry: Entry) -> dict[str, Any]:
    data = entry_data_for(viewer, entry)
    if data is None:
        raise Http404
    return data


#: Where a service's error about a field outside the content form is shown.
ASSESSMENT_FIELDS = ("concern_scores", "concern_rationale")
TRANSLATION_FIELDS = ("title_translations", "summary_translations", "translation_status")
ROW_ERRORS = ("sources", "credits", "translations")


def _apply_errors(forms: EntryForms, error: ValidationError, errors: dict[str, list[str]]) -> None:
    """Put a service's ``ValidationError`` on the form fields it names (rows and translations above them)."""
    if not hasattr(error, "error_dict"):
        forms.entry.add_error(None, error)
        return
    for name, messages_ in error.message_dict.items():
        if name in ROW_ERRORS:
            errors.setdefault(name, []).extend(messages_)
        elif name in forms.entry.fields:
            forms.entry.add_error(name, messages_)
        elif name in ASSESSMENT_FIELDS and forms.assessment is not None:
            forms.assessment.add_error("concern_rationale" if name == "concern_rationale" else None, messages_)
        else:
            forms.entry.add_error(None, messages_)


def _sections(form: EntryForm) -> list[dict[str, Any]]:
    sections = []
    for legend, names in SECTIONS:
        fields = [form[name] for name in names if name in form.fields]
        if fields:
            sections.append({"legend": legend, "fields": fields})
    return sections


@dataclass
class EntryForms:
    """The forms of one entry page: the content, its rows, translations, assessment, checklist, version seen."""

    entry: EntryForm
    sources: BaseSourceFormSet | None
    checklist: ChecklistForm
    version: VersionForm | None = None
    credits: BaseCreditFormSet | None = None
    translations: list[TranslationForm] = field(default_factory=list)
    assessment: AssessmentForm | None = None

    def is_valid(self) -> bool:
        results = [self.entry.is_valid(), self.checklist.is_valid()]
        results += [form.is_valid() for form in (self.sources, self.version, self.credits, self.assessment) if form]
        results += [form.is_valid() for form in self.translations]
        return all(results)

    def values(self) -> dict[str, Any]:
        values = self.entry.values()
        if self.sources is not None:
            values["sources"] = self.sources.sources()
        if self.credits is not None:
            values["credits"] = self.credits.credits()
        if self.assessment is not None:
            values.update(self.assessment.values())
        return values

    def has_errors(self) -> bool:
        row_errors = any(rows.total_error_count() for rows in (self.sources, self.credits) if rows is not None)
        return bool(
            self.entry.errors
            or self.checklist.errors
            or row_errors
            or (self.assessment is not None and self.assessment.errors)
            or any(form.errors for form in self.translations)
        )


@dataclass
class Page:
    """What the entry form page shows besides the forms."""

    heading: StrOrPromise
    rsd_id: str = ""
    published: bool = False
    #: The original title and summary, shown beside the translations.
    original: dict[str, str] = field(default_factory=dict)
    #: The assessment: the current level, and the completed reviews of the open round.
    level: str = ""
    completed: list[Any] = field(default_factory=list)


def _assessment_context(forms: EntryForms, page: Page) -> dict[str, Any]:
    if forms.assessment is None:
        return {}
    language = _language()
    rubric = taxonomy.rubric()
    rows = []
    for bound, code in zip(forms.assessment.score_fields(), forms.assessment.criteria, strict=True):
        scores = [(_reviewer_name(item), item.scores.get(code, "")) for item in page.completed]
        rows.append((bound, scores))
    return {
        "assessment": forms.assessment,
        "assessment_rows": rows,
        "rubric_explanation": rubric.explanation(language),
        "level": rubric.level_label(page.level, language) if page.level in rubric.levels else "",
        "reviewed_levels": [
            (_reviewer_name(item), rubric.level_label(item.proposed_level, language) if item.proposed_level else "")
            for item in page.completed
        ],
    }


def _reviewer_name(assignment: Any) -> str:
    reviewer = assignment.reviewer
    return str(getattr(reviewer, "display_name", "") or reviewer.email)


def _render_entry_form(
    request: HttpRequest,
    forms: EntryForms,
    page: Page,
    *,
    status: int = 200,
    errors: dict[str, list[str]] | None = None,
) -> HttpResponse:
    errors = errors or {}
    original_language = page.original.get("language", "")
    context = {
        "heading": page.heading,
        "rsd_id": page.rsd_id,
        "published": page.published,
        "form": forms.entry,
        "sections": _sections(forms.entry),
        "sources": forms.sources,
        "source_errors": errors.get("sources", []),
        "credits": forms.credits,
        "credit_errors": errors.get("credits", []),
        "translations": forms.translations,
        "translation_errors": errors.get("translations", []),
        "original": page.original,
        "original_language_name": dict(settings.LANGUAGES).get(original_language, ""),
        "original_lang": html_lang(original_language) if original_language else "",
        "has_errors": forms.has_errors() or bool(errors),
        "checklist": forms.checklist,
        "version_form": forms.version,
        **_assessment_context(forms, page),
    }
    return render(request, "register/write/entry_form.html", context, status=status)


# --- translations ----------------------------------------------------------------------------------------


def _languages_besides(original: str) -> list[str]:
    return [code for code, _name in settings.LANGUAGES if code != original]


def _translation_forms(
    data: Any, *, languages: list[str], current: Mapping[str, Any] | None = None
) -> list[TranslationForm]:
    """Return one form per language, filled from the current translations and flagged when out of date."""
    current = current or {}
    titles: Mapping[str, str] = current.get("title_translations") or {}
    summaries: Mapping[str, str] = current.get("summary_translations") or {}
    status: Mapping[str, str] = current.get("translation_status") or {}
    forms = []
    for language in languages:
        texts = {"title": titles.get(language, ""), "summary": summaries.get(language, "")}
        state = status.get(language, "") if any(texts.values()) else TranslationStatus.MISSING.value
        state = state or TranslationStatus.CURRENT.value
        form = TranslationForm(data, initial=texts, language=language, status=state)
        forms.append(form)
    return forms


def _posted_languages(data: Any, default: list[str]) -> list[str]:
    """Return the languages whose translation fields the page showed (the original may have changed since).

    A request without any translation field (not sent from the page) changes no translation.
    """
    if data is None:
        return default
    return [code for code, _name in settings.LANGUAGES if f"translation-{code}-title" in data]


def _sent(data: Any, key: str) -> bool:
    """Tell whether a part of the page is in the request (a part left out of it is left unchanged)."""
    return data is None or key in data


def _translation_changes(forms: EntryForms, current: Mapping[str, Any], original: str) -> dict[str, dict[str, str]]:
    """Return ``{language: {"title", "summary"}}`` for the translations changed (or confirmed) on the page.

    A language that has just become the original cannot hold a translation: filling it is an
    error on its fields, leaving it empty sends nothing.
    """
    titles: Mapping[str, str] = current.get("title_translations") or {}
    summaries: Mapping[str, str] = current.get("summary_translations") or {}
    changes: dict[str, dict[str, str]] = {}
    for form in forms.translations:
        texts = form.texts()
        if form.language == original:
            if form.is_filled():
                form.add_error(
                    "title",
                    _("This is the original language now: write the title and summary above, or clear these fields."),
                )
            continue
        before = {"title": titles.get(form.language, ""), "summary": summaries.get(form.language, "")}
        edited = any(_canonical(name, texts[name]) != _canonical(name, before[name]) for name in ("title", "summary"))
        if edited or (form.confirmed() and form.is_filled()):
            changes[form.language] = texts
    return changes


# --- propose ---------------------------------------------------------------------------------------------


def _propose_page(original: str = "") -> Page:
    return Page(heading=_("Propose a development"), original={"language": original} if original else {})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@policy_required(PROPOSE)
def propose(request: HttpRequest) -> HttpResponse:
    """Propose a development: a new draft, with the non-operational checklist confirmed."""
    language = _language()
    page = _propose_page()
    if request.method != "POST":
        forms = EntryForms(
            entry=EntryForm(language=language, initial={"original_language": language}),
            sources=source_formset(),
            checklist=ChecklistForm(),
            credits=credit_formset(),
            translations=_translation_forms(None, languages=_languages_besides(language)),
        )
        return _render_entry_form(request, forms, page)
    languages = _posted_languages(request.POST, _languages_besides(str(request.POST.get("original_language", ""))))
    forms = EntryForms(
        entry=EntryForm(request.POST, language=language),
        sources=source_formset(request.POST),
        checklist=ChecklistForm(request.POST),
        credits=credit_formset(request.POST) if _sent(request.POST, "credits-TOTAL_FORMS") else None,
        translations=_translation_forms(request.POST, languages=languages),
    )
    if not forms.is_valid():
        return _render_entry_form(request, forms, page, status=400)
    values = forms.values()
    translations = _translation_changes(forms, {}, str(values.get("original_language", "")))
    if forms.has_errors():
        return _render_entry_form(request, forms, page, status=400)
    if translations:
        values["translations"] = translations
    errors: dict[str, list[str]] = {}
    try:
        entry = services.entry_create_draft(values=values, by=_user(request), request=request)
    except ValidationError as error:
        _apply_errors(forms, error, errors)
        return _render_entry_form(request, forms, page, status=400, errors=errors)
    messages.success(
        request,
        gettext("Your draft %(rsd_id)s was saved. Submit it for review when it is ready.") % {"rsd_id": entry.rsd_id},
    )
    return redirect("register:entry", rsd_id=entry.rsd_id)


# --- edit ------------------------------------------------------------------------------------------------


def _editable_check(viewer: Viewer, entry: Entry, data: Mapping[str, Any]) -> Callable[[str], bool]:
    """Return a test: does the viewer see the field — in the pending edit too, where its part is pending?"""
    pending = EntryView(viewer, pending_lens(entry), author_rule=False) if entry.pending_tiers else None

    def editable(name: str) -> bool:
        if name not in data:
            return False
        group = GROUP_OF.get(name)
        return not (pending is not None and group in entry.pending_tiers and not pending.sees(name))

    return editable


def _editable_fields(viewer: Viewer, entry: Entry, data: Mapping[str, Any]) -> list[str]:
    """Return the content form's fields whose part the viewer sees (in the pending edit too)."""
    editable = _editable_check(viewer, entry, data)
    return [name for name in ENTRY_FIELDS if editable(name)]


def _extra_fields(viewer: Viewer, entry: Entry, data: Mapping[str, Any]) -> list[str]:
    """Return the fields besides the content form the viewer may edit: assessment, credits, translations.

    Each is all or nothing: the assessment needs its whole part, the translations both the title
    and the summary part (a translation sent from half the picture would erase the other half).
    """
    editable = _editable_check(viewer, entry, data)
    extra: list[str] = []
    if all(editable(name) for name in ("concern_scores", "concern_level", "concern_rationale")):
        extra += ["concern_scores", "concern_level", "concern_rationale"]
    if editable("credits"):
        extra.append("credits")
    if all(editable(name) for name in ("title", "summary", *TRANSLATION_FIELDS)):
        extra += list(TRANSLATION_FIELDS)
    return extra


def _current_values(data: Mapping[str, Any], fields: list[str]) -> dict[str, Any]:
    """Return what the viewer sees of the fields, the pending edit's values where there are any."""
    values = {name: data[name] for name in fields}
    for name, cell in (data.get("pending") or {}).items():
        if name in values:
            values[name] = cell["value"]
    return values


def _initial(values: Mapping[str, Any]) -> dict[str, Any]:
    initial = {name: value for name, value in values.items() if name in ENTRY_FIELDS}
    for name in ("aliases", "related"):
        if name in initial:
            initial[name] = "\n".join(initial[name] or [])
    if "first_reported" in initial:
        initial["first_reported"] = first_reported_value(initial["first_reported"])
    initial.pop("sources", None)
    return initial


def _canonical(name: str, value: Any) -> Any:
    """Return ``value`` of field ``name`` in a form fit for comparing the form with what is stored."""
    if name in {*TAXONOMY_FIELDS, "aliases", "related"}:
        return sorted({str(item).strip() for item in value or [] if str(item).strip()})
    if name == "first_reported":
        given = first_reported_value(value)
        return given.isoformat() if given is not None else None
    if name == "sources":
        return [{key: str(source.get(key) or "").strip() for key in SOURCE_KEYS} for source in value or []]
    if name == "credits":
        return [(str(credit.get("name") or "").strip(), str(credit.get("role") or "")) for credit in value or []]
    if name == "concern_scores":
        return {str(code): int(score) for code, score in (value or {}).items()}
    return str(value or "").replace("\r\n", "\n").strip()


def _with_people(credits: list[dict[str, str]], current: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the link to a person's account on the credit rows that still name them (the form shows names only)."""
    linked = [credit for credit in current if credit.get("user") is not None]
    rows: list[dict[str, Any]] = []
    for credit in credits:
        match = next((item for item in linked if item.get("name") == credit["name"]), None)
        if match is not None:
            linked.remove(match)
        rows.append({**credit, "user": match.get("user") if match else None})
    return rows


def _changes(values: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    changes = {
        name: value
        for name, value in values.items()
        if name in current and _canonical(name, value) != _canonical(name, current[name])
    }
    if "credits" in changes:
        changes["credits"] = _with_people(changes["credits"], list(current.get("credits") or []))
    return changes


def _edit_forms(
    request: HttpRequest, *, fields: list[str], current: Mapping[str, Any], page: Page, version: int
) -> EntryForms:
    data = request.POST if request.method == "POST" else None
    sources = current.get("sources") or []
    language = _language()
    original = page.original.get("language", "")
    return EntryForms(
        entry=EntryForm(
            data, initial=_initial(current), language=language, fields=fields, fixed_language=page.published
        ),
        sources=source_formset(data, initial=sources) if "sources" in fields else None,
        checklist=ChecklistForm(data),
        version=VersionForm(data, initial={"expected_version": version}),
        credits=(
            credit_formset(data, initial=current.get("credits") or [])
            if "credits" in current and _sent(data, "credits-TOTAL_FORMS")
            else None
        ),
        translations=(
            _translation_forms(data, languages=_posted_languages(data, _languages_besides(original)), current=current)
            if "title_translations" in current
            else []
        ),
        assessment=(
            AssessmentForm(
                data,
                language=language,
                initial=assessment_initial(current.get("concern_scores"), current.get("concern_rationale")),
            )
            if "concern_scores" in current and _sent(data, "concern_rationale")
            else None
        ),
    )


def _saved_message(entry: Entry, changed: bool) -> str:
    if not changed:
        return gettext("Nothing was changed.")
    if entry.status == Status.PUBLISHED:
        return gettext(
            "Your edit was saved as a pending edit. The published text stays until the edit is reviewed and published."
        )
    return gettext("Your changes were saved.")


def _open_round_reviews(viewer: Viewer, entry: Entry) -> list[Any]:
    """Return the completed reviews of the open round the viewer may see (analysts: all of them)."""
    return [
        item for item in reviews.reviews_for(viewer, entry) if item.closed_at is None and item.completed_at is not None
    ]


def _edit_page(viewer: Viewer, entry: Entry, current: Mapping[str, Any], data: Mapping[str, Any]) -> Page:
    page = Page(
        heading=_("Edit %(rsd_id)s") % {"rsd_id": entry.rsd_id},
        rsd_id=entry.rsd_id,
        published=entry.status == Status.PUBLISHED,
    )
    if "title_translations" in current:
        page.original = {
            "language": str(data.get("original_language") or ""),
            "title": str(current.get("title") or ""),
            "summary": str(current.get("summary") or ""),
        }
    else:
        page.original = {"language": str(data.get("original_language") or "")}
    if "concern_scores" in current:
        page.level = str(current.get("concern_level") or "")
        page.completed = _open_round_reviews(viewer, entry)
    return page


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def edit(request: HttpRequest, rsd_id: str) -> HttpResponse:
    """Edit an entry (a published one through a pending edit), from what the viewer sees of it."""
    found = _entry_for_action(request, rsd_id, EDIT)
    if isinstance(found, HttpResponse):
        return found
    entry = found
    viewer = viewer_for(request.user)
    data = _visible_data(viewer, entry)
    fields = _editable_fields(viewer, entry, data)
    current = _current_values(data, [*fields, *_extra_fields(viewer, entry, data)])
    page = _edit_page(viewer, entry, current, data)
    forms = _edit_forms(request, fields=fields, current=current, page=page, version=entry.version)
    if request.method != "POST":
        return _render_entry_form(request, forms, page)
    if not forms.is_valid():
        return _render_entry_form(request, forms, page, status=400)
    return _save_edit(request, entry, forms, current, page)


def _save_edit(
    request: HttpRequest, entry: Entry, forms: EntryForms, current: Mapping[str, Any], page: Page
) -> HttpResponse:
    """Send the fields that differ from what the person saw to ``entry_update``; re-show the form on a refusal."""
    version = cast("VersionForm", forms.version).cleaned_data["expected_version"]
    values = forms.values()
    changes = _changes(values, current)
    original = str(values.get("original_language") or page.original.get("language", ""))
    translations = _translation_changes(forms, current, original)
    if forms.has_errors():
        return _render_entry_form(request, forms, page, status=400)
    if translations:
        changes["translations"] = translations
    errors: dict[str, list[str]] = {}
    try:
        updated = services.entry_update(
            entry=entry, expected_version=version, changes=changes, by=_user(request), request=request
        )
    except services.StaleEntryError as error:
        forms.entry.add_error(None, str(error))
        return _render_entry_form(request, forms, page, status=409)
    except ValidationError as error:
        _apply_errors(forms, error, errors)
        return _render_entry_form(request, forms, page, status=400, errors=errors)
    except services.RegisterError as error:
        forms.entry.add_error(None, str(error))
        return _render_entry_form(request, forms, page, status=400)
    messages.success(request, _saved_message(updated, bool(changes)))
    return redirect("register:entry", rsd_id=entry.rsd_id)


# --- submit ----------------------------------------------------------------------------------------------


@require_POST
def submit(request: HttpRequest, rsd_id: str) -> HttpResponse:
    """Submit a draft, or the pending edit of a published entry, for review."""
    found = _entry_for_action(request, rsd_id, SUBMIT)
    if isinstance(found, HttpResponse):
        return found
    version = VersionForm(request.POST)
    if not version.is_valid():
        return HttpResponseBadRequest()
    try:
        services.entry_submit(
            entry=found,
            by=_user(request),
            expected_version=version.cleaned_data["expected_version"],
            request=request,
        )
    except ValidationError as error:
        labels = EntryForm.base_fields
        for name, errors in error.message_dict.items():
            label = labels[name].label if name in labels else name
            for message in errors:
                messages.error(request, gettext("%(field)s: %(message)s") % {"field": label, "message": message})
    except services.RegisterError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, gettext("The entry was submitted for review."))
    return redirect("register:entry", rsd_id=found.rsd_id)


# --- classify --------------------------------------------------------------------------------------------


@dataclass
class TierRow:
    key: str  # "<part>" or "pending-<part>"
    part: str
    pending: bool
    label: StrOrPromise
    tier: str


def _tier_rows(data: Mapping[str, Any]) -> list[TierRow]:
    """Return one row per part the viewer sees (and per part of a pending edit they see), nothing else."""
    tiers: Mapping[str, str] = data["tiers"]
    rows = [
        TierRow(key=part, part=part, pending=False, label=PART_LABELS[part], tier=str(tiers[fields[0]]))
        for part, fields in TIER_GROUPS.items()
        if fields[0] in tiers
    ]
    pending: dict[str, str] = {}
    for name, cell in (data.get("pending") or {}).items():
        pending.setdefault(GROUP_OF[name], str(cell["tier"]))
    for part in TIER_GROUPS:
        if part in pending:
            label = _("%(part)s (pending edit)") % {"part": PART_LABELS[part]}
            rows.append(TierRow(key=f"pending-{part}", part=part, pending=True, label=label, tier=pending[part]))
    return rows


def _classify_form(rows: list[TierRow], version: int, data: Any = None) -> ClassifyForm:
    return ClassifyForm(
        data,
        rows=[(row.key, row.label, row.tier) for row in rows],
        initial={"expected_version": version},
    )


def _render_classify(
    request: HttpRequest, entry: Entry, rows: list[TierRow], form: ClassifyForm, status: int = 200
) -> HttpResponse:
    context = {
        "rsd_id": entry.rsd_id,
        "form": form,
        "rows": [(row, form[f"tier-{row.key}"]) for row in rows],
        "published": entry.status in {Status.PUBLISHED, Status.WITHDRAWN},
    }
    return render(request, "register/write/classify.html", context, status=status)


def _set_tiers(
    request: HttpRequest, entry: Entry, rows: list[TierRow], form: ClassifyForm
) -> tuple[Entry, dict[str, str], int]:
    """Apply each changed tier as its own audited action; return the entry, errors per row key, and the count."""
    by = _user(request)
    by_key = {row.key: row for row in rows}
    version = form.cleaned_data["expected_version"]
    errors: dict[str, str] = {}
    done = 0
    for key, tier in form.changed_tiers().items():
        row = by_key[key]
        try:
            entry = services.entry_set_tier(
                entry=entry,
                field=row.part,
                tier=tier,
                reason=form.cleaned_data["reason"],
                by=by,
                pending=row.pending,
                expected_version=version,
                request=request,
            )
        except PermissionDenied:
            errors[key] = gettext(
                "You may not set this tier: showing a published part to more people is a publication "
                "decision for a committee analyst."
            )
        except services.StaleEntryError as error:
            errors[""] = str(error)
            break
        except (ValidationError, services.RegisterError) as error:
            errors[key] = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        else:
            version = entry.version
            done += 1
    return entry, errors, done


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def classify(request: HttpRequest, rsd_id: str) -> HttpResponse:
    """Set the tier of the parts of an entry the viewer sees, each change with the reason given."""
    found = _entry_for_action(request, rsd_id, CLASSIFY)
    if isinstance(found, HttpResponse):
        return found
    entry = found
    viewer = viewer_for(request.user)
    rows = _tier_rows(_visible_data(viewer, entry))
    if request.method != "POST":
        return _render_classify(request, entry, rows, _classify_form(rows, entry.version))
    form = _classify_form(rows, entry.version, request.POST)
    if not form.is_valid():
        return _render_classify(request, entry, rows, form, status=400)
    if not form.changed_tiers():
        messages.info(request, gettext("No tier was changed."))
        return redirect("register:entry", rsd_id=entry.rsd_id)
    entry, errors, done = _set_tiers(request, entry, rows, form)
    if done:
        messages.success(request, gettext("Tiers changed: %(count)s.") % {"count": done})
    if not errors:
        return redirect("register:entry", rsd_id=entry.rsd_id)
    # Show the tiers as they are now; the rows that failed keep the tier the person chose.
    data = request.POST.copy()
    data["expected_version"] = str(entry.version) if "" not in errors else data.get("expected_version", "")
    rows = _tier_rows(_visible_data(viewer, entry))
    form = _classify_form(rows, entry.version, data)
    form.is_valid()
    for key, message in errors.items():
        form.add_error(f"tier-{key}" if key and f"tier-{key}" in form.fields else None, message)
    return _render_classify(request, entry, rows, form, status=409 if "" in errors else 400)
