"""The horizon scanning pages: projects, imports with progress, the screening page, promotion.

Thin views: they read through ``horizon.selectors`` and write through ``horizon.services``. A
project someone may not see is a 404 (its existence is information too); an anonymous visitor is
sent to sign in, a reviewer or analyst without MFA to set it up. A refused write (someone else
holds the record, a stale decision, an invalid file) is a message, and what the person typed is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from nonpro.accounts.models import User
from nonpro.core.policy import Viewer, can, check_request, viewer_for
from nonpro.horizon import selectors, services
from nonpro.horizon.display import domain_scores, record_view
from nonpro.horizon.feeds import feeds_enabled
from nonpro.horizon.forms import (
    DecisionForm,
    FeedForm,
    LinkForm,
    NoteForm,
    ProjectForm,
    PromoteForm,
    ServerFileForm,
    UploadForm,
    domain_choices,
    topic_choices,
)
from nonpro.horizon.models import Candidate, Decision, ImportJob, ImportStatus, ScreeningProject

#: How many records a reviewer may pass over in one session before the oldest skip is forgotten.
SKIPS_KEPT = 200
PAGE_SIZE = 50


def _language() -> str:
    return get_language() or "en"


def _user(request: HttpRequest) -> User:
    return cast("User", request.user)


def _signed_in(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Send anonymous visitors to sign in, and holders of a privileged role without MFA to set it up."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        viewer = viewer_for(request.user)
        if not viewer.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if viewer.needs_mfa:
            return redirect("mfa_activate_totp")
        return view(request, *args, **kwargs)

    return wrapped


def _project(viewer: Viewer, project_id: int) -> ScreeningProject:
    project = selectors.project_get_visible(viewer, project_id)
    if project is None:
        raise Http404
    return project


def _candidate(viewer: Viewer, candidate_id: int) -> Candidate:
    candidate = selectors.candidate_get_visible(viewer, candidate_id)
    if candidate is None:
        raise Http404
    return candidate


def _job(viewer: Viewer, job_id: int) -> ImportJob:
    job = selectors.import_get_visible(viewer, job_id)
    if job is None:
        raise Http404
    return job


def _show_errors(form: Any, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, problems in error.message_dict.items():
        form.add_error(name if name in form.fields else None, problems)


def _stopping(project: ScreeningProject, stats: selectors.ProjectStats) -> dict[str, Any]:
    """Return the stopping guidance: the facts, and a sentence that reads them."""
    low = project.recall_low
    estimate = project.recall_estimate
    streak_needed = max(50, stats.candidates // 20)
    if stats.pending == 0 and stats.candidates:
        advice = _("Every record has been screened.")
    elif not project.model_trained:
        advice = _("Keep screening: the model learns once at least one relevant and one irrelevant record are marked.")
    elif stats.consecutive_irrelevant >= streak_needed and low is not None and low >= 0.95:
        advice = _(
            "You may stop: the last records were all irrelevant and the estimated recall is at least 95 %. "
            "Record the decision and its reasons."
        )
    elif stats.consecutive_irrelevant >= streak_needed:
        advice = _("Many irrelevant records in a row, but the estimated recall is still uncertain: screen on a little.")
    else:
        advice = _("Keep screening: relevant records are still being found.")
    return {
        "advice": advice,
        "streak_needed": streak_needed,
        "estimate": None if estimate is None else round(100 * estimate),
        "low": None if low is None else round(100 * low),
        "high": None if project.recall_high is None else round(100 * project.recall_high),
    }


def _project_context(request: HttpRequest, project: ScreeningProject) -> dict[str, Any]:
    stats = selectors.project_stats(project)
    return {
        "project": project,
        "stats": stats,
        "stopping": _stopping(project, stats),
        "ranking_behind": project.decisions - project.ranked_decisions,
        "domains": [label for code, label in domain_choices(_language()) if code in project.domains],
        "topics": [label for code, label in topic_choices(_language()) if code in (project.topics or ())],
    }


# --- the index and projects --------------------------------------------------------------------------


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """Describe horizon scanning; list the projects the person may open."""
    viewer = viewer_for(request.user)
    rows = selectors.project_summaries(viewer) if viewer.is_authenticated else []
    return render(
        request,
        "horizon/index.html",
        {"rows": rows, "can_create": can(viewer, services.CREATE), "needs_mfa": viewer.needs_mfa},
    )


@require_http_methods(["GET", "POST"])
def project_create(request: HttpRequest) -> HttpResponse:
    denial = check_request(request, services.CREATE)
    if denial is not None:
        return denial
    form = ProjectForm(request.POST or None, language=_language())
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(by=_user(request), request=request, **form.cleaned_data)
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, _("The project was created. Upload a literature file to fill its queue."))
            return redirect(project)
    return render(request, "horizon/project_form.html", {"form": form, "project": None})


@require_http_methods(["GET", "POST"])
@_signed_in
def project_edit(request: HttpRequest, project_id: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    project = _project(viewer, project_id)
    if not can(viewer, services.MANAGE, project):
        raise PermissionDenied
    initial = {
        "name": project.name,
        "description": project.description,
        "domains": project.domains,
        "topics": project.topics,
        "querier": project.querier,
        "members": list(project.members.all()),
    }
    form = ProjectForm(request.POST or None, initial=initial, language=_language())
    if request.method == "POST" and form.is_valid():
        try:
            services.project_update(project=project, by=_user(request), request=request, **form.cleaned_data)
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, _("The project was saved."))
            return redirect(project)
    return render(request, "horizon/project_form.html", {"form": form, "project": project})


def _server_form(viewer: Viewer, project: ScreeningProject, data: Any = None) -> ServerFileForm | None:
    if not can(viewer, services.IMPORT_SERVER, project):
        return None
    files = [str(path) for path in services.server_files()]
    return ServerFileForm(data, files=files) if files else None


def _feed_form(viewer: Viewer, project: ScreeningProject, data: Any = None) -> FeedForm | None:
    if not can(viewer, services.IMPORT_FEED, project) or not feeds_enabled():
        return None
    return FeedForm(data, prefix="feed")


def _import_forms(viewer: Viewer, project: ScreeningProject, **bound: Any) -> dict[str, Any]:
    """Return the three ways in (upload, server file, feed URL) that ``viewer`` may use; ``bound`` replaces one."""
    forms = {
        "upload_form": UploadForm() if can(viewer, services.IMPORT, project) else None,
        "server_form": _server_form(viewer, project),
        "feed_form": _feed_form(viewer, project),
    }
    forms.update(bound)
    return forms


@require_safe
@_signed_in
def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    project = _project(viewer, project_id)
    context = _project_context(request, project)
    context.update(
        {
            "imports": list(project.imports.select_related("created_by")[:20]),
            **_import_forms(viewer, project),
            "can_manage": can(viewer, services.MANAGE, project),
            "can_screen": can(viewer, services.SCREEN, project),
            "members": list(project.members.order_by("email")),
            "relevant": list(selectors.candidates_of(project, decision=Decision.RELEVANT)[:10]),
        }
    )
    return render(request, "horizon/project.html", context)


# --- imports -------------------------------------------------------------------------------------------


@require_POST
@_signed_in
def import_upload(request: HttpRequest, project_id: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    project = _project(viewer, project_id)
    if not can(viewer, services.IMPORT, project):
        raise PermissionDenied
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            job = services.import_upload(
                project=project,
                by=_user(request),
                name=uploaded.name or "upload",
                chunks=uploaded.chunks(),
                fmt=form.cleaned_data["format"],
                request=request,
            )
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, _("The file was received; its import runs in the background."))
            return redirect(job)
    context = _project_context(request, project)
    context.update(_import_forms(viewer, project, upload_form=form))
    return render(request, "horizon/upload.html", context, status=400)


def _import_from_form(
    request: HttpRequest, project_id: int, kind: str, start: Callable[[ScreeningProject, Any], ImportJob]
) -> HttpResponse:
    """Queue an import from the server-file or feed form (``kind``), or show the form again with its errors."""
    viewer = viewer_for(request.user)
    project = _project(viewer, project_id)
    form = (_server_form if kind == "server_form" else _feed_form)(viewer, project, request.POST)
    if form is None:
        raise PermissionDenied
    if form.is_valid():
        try:
            job = start(project, form.cleaned_data)
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, _("The import runs in the background."))
            return redirect(job)
    context = _project_context(request, project)
    context.update(_import_forms(viewer, project, **{kind: form}))
    return render(request, "horizon/upload.html", context, status=400)


@require_POST
@_signed_in
def import_server(request: HttpRequest, project_id: int) -> HttpResponse:
    """Queue the import of a file in the server's import folders (analysts)."""
    return _import_from_form(
        request,
        project_id,
        "server_form",
        lambda project, data: services.import_server_file(
            project=project, by=_user(request), path=Path(data["path"]), request=request
        ),
    )


@require_POST
@_signed_in
def import_feed(request: HttpRequest, project_id: int) -> HttpResponse:
    """Queue the import of a feed URL (analysts, on servers whose operator listed feed hosts)."""
    return _import_from_form(
        request,
        project_id,
        "feed_form",
        lambda project, data: services.import_feed(
            project=project, by=_user(request), url=data["url"], fmt=data["format"], request=request
        ),
    )


def _job_context(job: ImportJob, page: str | None) -> dict[str, Any]:
    problems = Paginator(job.problems.all(), 100).get_page(page)
    return {"job": job, "project": job.project, "problems": problems}


@require_safe
@_signed_in
def import_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    job = _job(viewer, job_id)
    context = _job_context(job, request.GET.get("page"))
    context["can_act"] = can(viewer, services.IMPORT, job.project)
    return render(request, "horizon/import.html", context)


@require_safe
@_signed_in
def import_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """Return the progress panel alone: htmx polls it while the import runs."""
    viewer = viewer_for(request.user)
    job = _job(viewer, job_id)
    response = render(request, "horizon/_import_progress.html", {"job": job})
    if not job.active:
        response["HX-Refresh"] = "true"  # the whole page shows the report once the job stops
    return response


@require_POST
@_signed_in
def import_cancel(request: HttpRequest, job_id: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    job = _job(viewer, job_id)
    was_active = job.active
    job = services.import_cancel(job=job, by=_user(request), request=request)
    if not was_active:
        messages.info(request, _("The import had already stopped."))
    elif job.status == ImportStatus.CANCEL_REQUESTED:
        messages.success(request, _("The import stops after the records it is reading now; they are kept."))
    else:
        messages.success(request, _("The import was cancelled. You may resume it later."))
    return redirect(job)


@require_POST
@_signed_in
def import_resume(request: HttpRequest, job_id: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    job = _job(viewer, job_id)
    try:
        job = services.import_resume(job=job, by=_user(request), request=request)
    except (services.ScreeningConflict, ValidationError) as error:
        messages.error(request, str(error.messages[0] if isinstance(error, ValidationError) else error))
    else:
        messages.success(request, _("The import goes on from where it stopped."))
    return redirect(job)


# --- screening -----------------------------------------------------------------------------------------


def _skips(request: HttpRequest, project: ScreeningProject) -> list[int]:
    return list(request.session.get(f"horizon-skips-{project.pk}", []))


@require_safe
@_signed_in
def screen(request: HttpRequest, project_id: int) -> HttpResponse:
    """Show the next record to screen, locked to this reviewer, with its scores and explanation."""
    viewer = viewer_for(request.user)
    project = _project(viewer, project_id)
    if not can(viewer, services.SCREEN, project):
        raise PermissionDenied
    candidate = services.candidate_next(project=project, by=_user(request), skip=_skips(request, project))
    context = _project_context(request, project)
    context["form"] = DecisionForm(initial={"note": candidate.note if candidate else ""})
    context["lock_minutes"] = services.LOCK_MINUTES
    context["skipped"] = len(_skips(request, project))
    if candidate is not None:
        context.update(record_view(candidate, _language()))
    return render(request, "horizon/screen.html", context)


@require_POST
@_signed_in
def candidate_decide(request: HttpRequest, candidate_id: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    candidate = _candidate(viewer, candidate_id)
    change = request.POST.get("change") == "1"
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose relevant or irrelevant."))
        return redirect(candidate) if change else redirect("horizon:screen", project_id=candidate.project_id)
    try:
        services.candidate_decide(
            candidate=candidate,
            by=_user(request),
            decision=form.cleaned_data["decision"],
            note=form.cleaned_data["note"],
            change=change,
            request=request,
        )
    except services.ScreeningConflict as error:
        messages.error(request, str(error))
    else:
        label = Decision(form.cleaned_data["decision"]).label
        messages.success(
            request, _("Marked %(decision)s: %(title)s") % {"decision": label, "title": candidate.title[:120]}
        )
    if change:
        return redirect(candidate)
    return redirect("horizon:screen", project_id=candidate.project_id)


@require_POST
@_signed_in
def candidate_skip(request: HttpRequest, candidate_id: int) -> HttpResponse:
    """Pass over a record for now: it goes back to the queue for the others; this reviewer sees the next one."""
    viewer = viewer_for(request.user)
    candidate = _candidate(viewer, candidate_id)
    if not can(viewer, services.SCREEN, candidate.project):
        raise PermissionDenied
    key = f"horizon-skips-{candidate.project_id}"
    skips = [item for item in request.session.get(key, []) if item != candidate.pk]
    request.session[key] = [*skips, candidate.pk][-SKIPS_KEPT:]
    services.candidate_release(candidate=candidate, by=_user(request))
    return redirect("horizon:screen", project_id=candidate.project_id)


@require_POST
@_signed_in
def skips_clear(request: HttpRequest, project_id: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    project = _project(viewer, project_id)
    request.session.pop(f"horizon-skips-{project.pk}", None)
    return redirect("horizon:screen", project_id=project.pk)


@require_POST
@_signed_in
def candidate_note(request: HttpRequest, candidate_id: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    candidate = _candidate(viewer, candidate_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        services.candidate_note(candidate=candidate, by=_user(request), note=form.cleaned_data["note"], request=request)
        messages.success(request, _("The note was saved."))
    return redirect(candidate)


@require_safe
@_signed_in
def candidate_detail(request: HttpRequest, candidate_id: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    candidate = _candidate(viewer, candidate_id)
    project = candidate.project
    context = record_view(candidate, _language())
    can_promote = can(viewer, services.PROMOTE, project) and candidate.entry_id is None
    context.update(
        {
            "project": project,
            "duplicates": list(candidate.duplicates.order_by("pk")),
            "can_screen": can(viewer, services.SCREEN, project) and candidate.duplicate_of_id is None,
            "decision_form": DecisionForm(initial={"decision": candidate.decision, "note": candidate.note}),
            "note_form": NoteForm(initial={"note": candidate.note}),
            "can_promote": can_promote and candidate.decision == Decision.RELEVANT,
            "link_form": LinkForm() if can_promote and candidate.duplicate_of_id is None else None,
        }
    )
    return render(request, "horizon/candidate.html", context)


@require_http_methods(["GET", "POST"])
@_signed_in
def candidate_promote(request: HttpRequest, candidate_id: int) -> HttpResponse:
    """Create a register draft from a relevant record, citing it; the reviewer writes a policy-level summary."""
    viewer = viewer_for(request.user)
    candidate = _candidate(viewer, candidate_id)
    if not can(viewer, services.PROMOTE, candidate.project):
        raise PermissionDenied
    if request.method == "GET" and (candidate.decision != Decision.RELEVANT or candidate.entry_id is not None):
        refusal = (
            _("This record is already in the register.")
            if candidate.entry_id is not None
            else _("Only a record screened as relevant can be promoted.")
        )
        messages.error(request, refusal)
        return redirect(candidate)
    initial = {"title": candidate.title[:250], "domains": services.promotion_domains(candidate)}
    form = PromoteForm(request.POST or None, initial=initial, domains=domain_choices(_language()))
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.candidate_promote(
                candidate=candidate,
                by=_user(request),
                title=form.cleaned_data["title"],
                summary=form.cleaned_data["summary"],
                domains=form.cleaned_data["domains"],
                request=request,
            )
        except services.ScreeningConflict as error:
            messages.error(request, str(error))
            return redirect(candidate)
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "Draft %(rsd_id)s was created with this record as its source. "
                    "Complete it, then submit it for review."
                )
                % {"rsd_id": entry.rsd_id},
            )
            return redirect("register:edit", rsd_id=entry.rsd_id)
    context = record_view(candidate, _language())
    context.update({"project": candidate.project, "form": form, "source": services.promotion_source(candidate)})
    return render(request, "horizon/promote.html", context)


@require_POST
@_signed_in
def candidate_link(request: HttpRequest, candidate_id: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    candidate = _candidate(viewer, candidate_id)
    form = LinkForm(request.POST)
    if form.is_valid():
        try:
            entry = services.candidate_link(
                candidate=candidate, by=_user(request), rsd_id=form.cleaned_data["rsd_id"], request=request
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        except services.ScreeningConflict as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The record is linked to %(rsd_id)s.") % {"rsd_id": entry.rsd_id})
    else:
        messages.error(request, _("Give a register identifier such as RSD-2026-00001."))
    return redirect(candidate)


FILTERS = {
    "pending": Decision.PENDING,
    "relevant": Decision.RELEVANT,
    "irrelevant": Decision.IRRELEVANT,
}


@require_safe
@_signed_in
def candidate_list(request: HttpRequest, project_id: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    project = _project(viewer, project_id)
    shown = request.GET.get("show", "relevant")
    if shown not in {*FILTERS, "duplicates", "all"}:
        shown = "relevant"
    rows = selectors.candidates_of(project, decision=FILTERS.get(shown, ""), duplicates=shown == "duplicates")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    language = _language()
    items = [{"candidate": row, "domains": domain_scores(row, language)[:2]} for row in page.object_list]
    return render(
        request,
        "horizon/candidates.html",
        {"project": project, "page": page, "items": items, "shown": shown},
    )
