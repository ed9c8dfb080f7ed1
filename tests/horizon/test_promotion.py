"""From a screened record to the register: ``candidate_promote`` (a new draft) and ``candidate_link``.

The draft is made and read through the register's own services and selectors; it cites the record
as its source. Titles and summaries are synthetic and policy-level ("Synthetic example: …").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from nonpro.core.audit.models import AuditEvent
from nonpro.core.policy import Tier, viewer_for
from nonpro.horizon import services
from nonpro.horizon.models import Candidate, Decision, ScreeningProject
from nonpro.horizon.selectors import project_stats
from nonpro.horizon.services import ScreeningConflict
from nonpro.register import services as register
from nonpro.register.models import TIER_GROUPS, Entry, Status
from nonpro.register.selectors import entry_get_visible
from tests.horizon.conftest import PUBMED, People, upload
from tests.horizon.synthetic import Ref, doi, ris, write

pytestmark = pytest.mark.django_db

TITLE = "Synthetic example: customs cooperation on export licensing"
SUMMARY = "Synthetic example: why shared licensing data matters for the controls resolution 1540 asks for."


@pytest.fixture
def loaded(project: ScreeningProject, people: People) -> ScreeningProject:
    upload(project, people.reviewer, PUBMED)
    return project


def first_record(project: ScreeningProject) -> Candidate:
    return Candidate.objects.filter(project=project).order_by("pk").first() or pytest.fail("no candidate")


@pytest.fixture
def relevant(loaded: ScreeningProject, people: People) -> Candidate:
    """The first PubMed record (DOI, PMID and a full date), screened as relevant."""
    return services.candidate_decide(candidate=first_record(loaded), by=people.reviewer, decision=Decision.RELEVANT)


def promote(candidate: Candidate, by: Any, **values: Any) -> Entry:
    return services.candidate_promote(
        candidate=candidate, by=by, title=values.pop("title", TITLE), summary=values.pop("summary", SUMMARY), **values
    )


def nothing_written(candidate: Candidate) -> tuple[Any, ...]:
    row = Candidate.objects.get(pk=candidate.pk)
    return row.entry_id, row.entry_link, Entry.objects.count(), AuditEvent.objects.count()


# --- candidate_promote --------------------------------------------------------------------------------


def test_promotion_creates_a_register_draft_that_cites_the_record(relevant: Candidate, people: People) -> None:
    entry = promote(relevant, people.reviewer, domains=["chemical"])

    assert relevant.doi
    assert relevant.pmid
    # read back through the register, as its author sees it
    draft = entry_get_visible(viewer_for(people.reviewer), entry.rsd_id)
    assert draft is not None
    assert draft.status == Status.DRAFT
    assert draft.created_by == people.reviewer
    assert (draft.title, draft.summary, draft.domains) == (TITLE, SUMMARY, ["chemical"])
    assert all(getattr(draft, f"{group}_tier") == Tier.COMMITTEE for group in TIER_GROUPS)
    (source,) = draft.sources
    assert source["type"] == "article"
    assert (source["doi"], source["pmid"]) == (relevant.doi, relevant.pmid)
    assert relevant.title in source["citation"]
    assert str(draft.first_reported) == relevant.date
    stored = Candidate.objects.get(pk=relevant.pk)
    assert (stored.entry_id, stored.entry_link) == (entry.pk, "promoted")
    assert project_stats(relevant.project).promoted == 1


def test_promotion_is_audited_by_the_register_and_by_horizon(relevant: Candidate, people: People) -> None:
    entry = promote(relevant, people.reviewer)

    assert AuditEvent.objects.filter(
        action="register.entry.created", object_id=str(entry.pk), actor_id=people.reviewer.pk
    ).exists()
    event = AuditEvent.objects.get(action="horizon.candidate.promoted")
    assert (event.object_type, event.object_id, event.actor_id) == (
        "horizon.candidate",
        str(relevant.pk),
        people.reviewer.pk,
    )
    assert event.summary == {"project": relevant.project_id, "entry": entry.rsd_id}


def test_an_analyst_who_is_no_member_may_promote(relevant: Candidate, people: People) -> None:
    entry = promote(relevant, people.analyst)

    assert entry.created_by == people.analyst
    assert Candidate.objects.get(pk=relevant.pk).entry_id == entry.pk


@pytest.mark.parametrize("decision", [None, Decision.IRRELEVANT])
def test_only_a_relevant_record_is_promoted(loaded: ScreeningProject, people: People, decision: str | None) -> None:
    candidate = first_record(loaded)
    if decision is not None:
        candidate = services.candidate_decide(candidate=candidate, by=people.reviewer, decision=decision)
    before = nothing_written(candidate)

    with pytest.raises(ScreeningConflict):
        promote(candidate, people.reviewer)

    assert nothing_written(candidate) == before


def test_a_record_is_promoted_once(relevant: Candidate, people: People) -> None:
    entry = promote(relevant, people.reviewer)
    before = nothing_written(relevant)

    with pytest.raises(ScreeningConflict):
        promote(relevant, people.second, title="Synthetic example: a second draft")

    assert nothing_written(relevant) == before
    assert Candidate.objects.get(pk=relevant.pk).entry_id == entry.pk


def test_a_record_linked_to_an_entry_is_not_promoted(relevant: Candidate, people: People) -> None:
    existing = register.entry_create_draft(by=people.reviewer, values={"title": TITLE, "summary": SUMMARY})
    services.candidate_link(candidate=relevant, by=people.reviewer, rsd_id=existing.rsd_id)
    before = nothing_written(relevant)

    with pytest.raises(ScreeningConflict):
        promote(relevant, people.reviewer)

    assert nothing_written(relevant) == before


@pytest.mark.parametrize("person", ["expert", "outsider"])
def test_only_members_and_analysts_promote(relevant: Candidate, people: People, person: str) -> None:
    before = nothing_written(relevant)

    with pytest.raises(PermissionDenied):
        promote(relevant, getattr(people, person))

    assert nothing_written(relevant) == before


def test_a_draft_the_register_refuses_leaves_the_record_unpromoted(relevant: Candidate, people: People) -> None:
    before = nothing_written(relevant)

    with pytest.raises(ValidationError):
        promote(relevant, people.reviewer, title="")

    assert nothing_written(relevant) == before


def synthetic_record(
    project: ScreeningProject, people: People, tmp_path: Path, ref: Ref | None, bib: bytes = b""
) -> Candidate:
    """Import one synthetic record (RIS ``ref`` or BibTeX ``bib``) and screen it as relevant."""
    path = write(tmp_path, "one.bib", bib) if bib else write(tmp_path, "one.ris", ris([ref]))
    job = upload(project, people.reviewer, path)
    candidate = Candidate.objects.get(import_job=job)
    return services.candidate_decide(candidate=candidate, by=people.reviewer, decision=Decision.RELEVANT)


def test_a_preprint_is_cited_by_its_arxiv_id(project: ScreeningProject, people: People, tmp_path: Path) -> None:
    bib = (
        b"@misc{x, title={Synthetic example: a preprint on border security data}, eprint={2401.01234v2},"
        b" archivePrefix={arXiv}, year={2024}}\n"
    )
    candidate = synthetic_record(project, people, tmp_path, None, bib)

    entry = promote(candidate, people.reviewer)

    (source,) = entry.sources
    assert (source["type"], source["arxiv_id"], source["doi"], source["pmid"]) == ("preprint", "2401.01234", "", "")
    assert entry.first_reported is None  # a year alone is no date


def test_the_record_url_is_cited_when_the_register_accepts_it(
    project: ScreeningProject, people: People, tmp_path: Path
) -> None:
    ref = Ref(title="Synthetic example: crop science and trade", doi=doi(1), url="https://example.org/synthetic/1")
    candidate = synthetic_record(project, people, tmp_path, ref)

    (source,) = promote(candidate, people.reviewer).sources

    assert source["url"] == "https://example.org/synthetic/1"
    assert source["doi"] == doi(1)


def test_a_record_whose_url_the_register_refuses_is_promoted_without_it(
    project: ScreeningProject, people: People, tmp_path: Path
) -> None:
    """Files carry odd links (``http://example_url.com`` in a real RIS sample): they must not block a promotion."""
    ref = Ref(title="Synthetic example: bibliometrics of trade", doi=doi(2), url="http://example_url.com")
    candidate = synthetic_record(project, people, tmp_path, ref)
    assert candidate.url == "http://example_url.com"

    (source,) = promote(candidate, people.reviewer).sources

    assert source["url"] == ""
    assert source["doi"] == doi(2)


# --- candidate_link -----------------------------------------------------------------------------------


def test_a_record_is_linked_to_an_entry_the_reviewer_may_see(loaded: ScreeningProject, people: People) -> None:
    candidate = first_record(loaded)
    existing = register.entry_create_draft(by=people.reviewer, values={"title": TITLE, "summary": SUMMARY})

    linked = services.candidate_link(candidate=candidate, by=people.reviewer, rsd_id=f"  {existing.rsd_id.lower()} ")

    assert linked.pk == existing.pk
    stored = Candidate.objects.get(pk=candidate.pk)
    assert (stored.entry_id, stored.entry_link) == (existing.pk, "linked")
    event = AuditEvent.objects.get(action="horizon.candidate.linked")
    assert (event.object_id, event.actor_id) == (str(candidate.pk), people.reviewer.pk)
    assert event.summary == {"project": loaded.pk, "entry": existing.rsd_id}
    assert project_stats(loaded).promoted == 1


def test_an_analyst_links_to_any_entry(loaded: ScreeningProject, people: People) -> None:
    candidate = first_record(loaded)
    theirs = register.entry_create_draft(by=people.expert, values={"title": TITLE, "summary": SUMMARY})

    services.candidate_link(candidate=candidate, by=people.analyst, rsd_id=theirs.rsd_id)

    assert Candidate.objects.get(pk=candidate.pk).entry_id == theirs.pk


def test_an_unknown_or_invisible_entry_cannot_be_linked_and_both_look_the_same(
    loaded: ScreeningProject, people: People
) -> None:
    candidate = first_record(loaded)
    invisible = register.entry_create_draft(by=people.expert, values={"title": TITLE, "summary": SUMMARY})
    assert entry_get_visible(viewer_for(people.reviewer), invisible.rsd_id) is None
    before = nothing_written(candidate)

    messages = []
    for rsd_id in (invisible.rsd_id, "RSD-2099-99999", ""):
        with pytest.raises(ValidationError) as refused:
            services.candidate_link(candidate=candidate, by=people.reviewer, rsd_id=rsd_id)
        messages.append(refused.value.message_dict)

    assert messages[0] == messages[1] == messages[2]
    assert list(messages[0]) == ["rsd_id"]
    assert nothing_written(candidate) == before


@pytest.mark.parametrize("person", ["expert", "outsider"])
def test_only_members_and_analysts_link(loaded: ScreeningProject, people: People, person: str) -> None:
    candidate = first_record(loaded)
    existing = register.entry_create_draft(by=getattr(people, person), values={"title": TITLE, "summary": SUMMARY})
    before = nothing_written(candidate)

    with pytest.raises(PermissionDenied):
        services.candidate_link(candidate=candidate, by=getattr(people, person), rsd_id=existing.rsd_id)

    assert nothing_written(candidate) == before
