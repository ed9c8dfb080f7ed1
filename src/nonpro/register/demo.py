"""The register's demo data: synthetic, policy-level entries loaded by ``nonpro demo``.

The entries live in ``demo_data/entries_*.toml`` (format: ``demo_data/FORMAT.md``). Each is built
through the register's services — draft, submission, review, publication, rejection, withdrawal,
tiers, need-to-know grants — so that the demo shows real revisions, review assignments and audit
events, and exercises the same rules as real work. An entry is found again by its alias
``DEMO:<key>``, so running the loader twice changes nothing.

The one exception to "through the services": after an entry is built, its timestamps (and those of
its revisions and review assignments) are moved back to the dates of the data file, so that the
dashboard's quarters show a spread over two years. Real entries never do this; the audit log is
never touched.

Demo content is policy level only (what a development is, why it matters for resolution 1540,
which controls apply). ``safety_problems`` is the lint the loader and the tests apply to every text.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from nonpro.accounts.models import User
from nonpro.core import grants
from nonpro.core.models import NeedToKnowGrant
from nonpro.core.policy import Tier
from nonpro.register import reviews, services
from nonpro.register.models import (
    GROUP_OF,
    TIER_GROUPS,
    CreditRole,
    Entry,
    EntryAlias,
    EntryRevision,
    ReviewAssignment,
    RevisionEvent,
    SourceType,
    Status,
)
from nonpro.register.taxonomy import FIELD_KINDS, LANGUAGES, codes, rubric

ALIAS_PREFIX = "DEMO:"
DETAILS_PREFIX = "Demo entry (illustrative, policy level)."
DATA_FOLDER = "demo_data"
FILE_PATTERN = re.compile(r"\Aentries_[a-z0-9_]+\.toml\Z")

ANALYST = "analyst@demo.nonpro.test"
REVIEWERS = ("reviewer@demo.nonpro.test", "reviewer2@demo.nonpro.test")
PROPOSERS = frozenset({"expert@demo.nonpro.test", ANALYST})
GRANTEES = frozenset(
    {
        "learner@demo.nonpro.test",
        "official.kz@demo.nonpro.test",
        "expert@demo.nonpro.test",
        *REVIEWERS,
        "admin@demo.nonpro.test",
    }
)
CLASSIFY_REASON = "Demo classification"
GRANT_REASON = "Demo: need to know"
REVIEW_COMMENT = "Demo review (illustrative): policy-level assessment; the entry holds no enabling detail."
#: How long after ``created`` a rejected entry (which has no ``published`` date) was decided.
REJECTION_AFTER = timedelta(days=21)
#: The day the data files' dates were written for. Loaded later, every workflow date moves forward
#: by the time elapsed since, so that the dashboard's last quarters stay filled (``demo_date``).
DATA_WRITTEN = date(2026, 11, 28)

REVIEWED = frozenset({Status.UNDER_REVIEW, Status.PUBLISHED, Status.REJECTED, Status.WITHDRAWN})
DECIDED = frozenset({Status.PUBLISHED, Status.REJECTED, Status.WITHDRAWN})
PENDING_EDIT_FIELDS = frozenset({"details", "concern_rationale", "technology_areas", "control_lists", "obligations"})
TAXONOMY_FIELDS = FIELD_KINDS
KEYS = frozenset(
    {
        "key",
        "status",
        "proposer",
        "original_language",
        "created",
        "published",
        "withdrawn",
        "first_reported",
        "title",
        "summary",
        "details",
        *TAXONOMY_FIELDS,
        "scores",
        "concern_rationale",
        "sources",
        "aliases",
        "related",
        "credits",
        "tiers",
        "grants",
        "rejection_reason",
        "withdrawal_reason",
        "pending_edit",
    }
)
KEY_PATTERN = re.compile(r"\A[a-z0-9]+(?:-[a-z0-9]+)*\Z")

# --- the safety lint ---------------------------------------------------------------------------------------

_UNITS = (
    r"kg|g|mg|µg|μg|ng|t|tonnes?|L|l|mL|ml|µL|μL|°C|℃|°F|K|rpm|bar|psi|Pa|kPa|MPa|Bq|kBq|MBq|GBq|TBq|Ci|mCi|kCi"
    r"|Gy|Sv|mSv|W|kW|MW|GW|nm|µm|μm|mm|cm|m|km|mol|mmol|M|ppm|wt|kt|Mach|кг|мг|г|л|мл|бар|Ки|Бк|°С"
)
#: A number followed by a unit of quantity, concentration, temperature, speed, pressure or activity.
UNIT_PATTERN = re.compile(
    rf"\d(?:[\d.,]*\d)?\s*(?:(?:{_UNITS})(?![\w])|%|(?:公斤|千克|毫克|克|升|毫升|摄氏度|转|كغ|غرام|لتر))"
)
#: Words that belong to instructions, never to a policy-level description.
DENY_WORDS = (
    "recipe",
    "synthesis route",
    "route of synthesis",
    "step-by-step",
    "step by step",
    "protocol for producing",
    "how to make",
    "how to produce",
    "how to build",
    "instructions for",
    "yield",
    "aerosoliz",
    "aerosolis",
    "weaponiz",
    "weaponis",
    "enhance transmissibility",
    "increase transmissibility",
    "increase lethality",
    "precursor quantities",
)


def safety_problems(text: str) -> list[str]:
    """Return what in ``text`` looks operational: numbers with units, and words of instructions.

    A crude lint by design — it cannot prove a text safe, but it stops the obvious slips (a
    quantity, a temperature, an activity, "step-by-step") in demo content.
    """
    problems = [f"number with a unit: {match.group(0)!r}" for match in UNIT_PATTERN.finditer(text)]
    lowered = text.casefold()
    problems += [f"deny-listed words: {word!r}" for word in DENY_WORDS if word in lowered]
    return problems


# --- the data files ------------------------------------------------------------------------------------


class DemoDataError(ValueError):
    """A demo data file is malformed, or one of its entries cannot be built; the message names the entry."""


@dataclass(frozen=True)
class DemoEntry:
    """One entry of a data file, checked, with the file it came from."""

    file: str
    data: Mapping[str, Any]

    @property
    def key(self) -> str:
        return str(self.data["key"])

    @property
    def status(self) -> Status:
        return Status(self.data["status"])

    def get(self, name: str, default: Any = None) -> Any:
        return self.data.get(name, default)


def demo_files() -> list[Traversable]:
    """Return the data files (``entries_*.toml``), in name order."""
    folder = resources.files("nonpro.register") / DATA_FOLDER
    return sorted((item for item in folder.iterdir() if FILE_PATTERN.match(item.name)), key=lambda item: item.name)


def demo_entries() -> list[DemoEntry]:
    """Return the entries of every data file, checked; raise ``DemoDataError`` naming every problem."""
    entries: list[DemoEntry] = []
    problems: list[str] = []
    for file in demo_files():
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            problems.append(f"{file.name}: {error}")
            continue
        for item in data.get("entry", []):
            entry = DemoEntry(file.name, item)
            problems += [f"{file.name}: entry {item.get('key', '?')}: {problem}" for problem in entry_problems(item)]
            entries.append(entry)
    problems += _order_problems(entries)
    if problems:
        raise DemoDataError("\n".join(problems))
    return entries


def _dates(item: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    status = item.get("status")
    today = timezone.now().date()
    needed = ["created"]
    if status in (Status.PUBLISHED, Status.WITHDRAWN):
        needed.append("published")
    if status == Status.WITHDRAWN:
        needed.append("withdrawn")
    for name in ("created", "published", "withdrawn", "first_reported"):
        value = item.get(name)
        if value is None:
            if name in needed:
                problems.append(f"{name} is required")
            continue
        if not isinstance(value, date) or isinstance(value, datetime):
            problems.append(f"{name} is a date (YYYY-MM-DD, unquoted)")
        elif value > today:
            problems.append(f"{name} lies in the future")
    chain = [item.get(name) for name in needed]
    dates = [value for value in chain if isinstance(value, date)]
    if len(dates) == len(chain) and dates != sorted(dates):
        problems.append("created, published and withdrawn must follow each other")
    return problems


def _texts(item: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    for name, limit in (("title", 250), ("summary", 300)):
        texts = item.get(name)
        if not isinstance(texts, Mapping) or set(texts) != set(LANGUAGES):
            problems.append(f"{name} needs all six languages: {', '.join(LANGUAGES)}")
            continue
        for language, text in texts.items():
            if not isinstance(text, str) or not text.strip():
                problems.append(f"{name}.{language} is empty")
            elif len(text.strip()) > limit:
                problems.append(f"{name}.{language} has {len(text.strip())} characters (at most {limit})")
            elif name == "title" and "\n" in text:
                problems.append(f"{name}.{language} is one line")
    details = item.get("details")
    if not isinstance(details, str) or not details.strip().startswith(DETAILS_PREFIX):
        problems.append(f"details start with {DETAILS_PREFIX!r}")
    return problems


def _classification(item: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    for field, kind in TAXONOMY_FIELDS.items():
        unknown = sorted(set(item.get(field, [])) - codes(kind))
        if unknown:
            problems.append(f"unknown {field} codes: {', '.join(unknown)}")
    if not item.get("domains"):
        problems.append("domains: give at least one")
    scores = item.get("scores")
    if scores is not None:
        try:
            rubric().check_scores(scores)
        except ValueError as error:
            problems.append(f"scores: {error}")
    elif item.get("status") in REVIEWED:
        problems.append("scores are required for a reviewed entry")
    for source in item.get("sources", []):
        if source.get("type") not in SourceType.values:
            problems.append(f"source type {source.get('type')!r} is unknown")
    for credit in item.get("credits", []):
        if credit.get("role") not in CreditRole.values:
            problems.append(f"credit role {credit.get('role')!r} is unknown")
    return problems


def _workflow(item: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    status = item.get("status")
    if status not in Status.values:
        return [f"status {status!r} is unknown"]
    if item.get("proposer") not in PROPOSERS:
        problems.append(f"proposer is one of {', '.join(sorted(PROPOSERS))}")
    if item.get("original_language") not in LANGUAGES:
        problems.append("original_language is one of the six languages")
    tiers = item.get("tiers", {})
    if set(tiers) - set(TIER_GROUPS) or set(tiers.values()) - set(Tier.values):
        problems.append(f"tiers map parts ({', '.join(TIER_GROUPS)}) to tiers ({', '.join(Tier.values)})")
    if set(item.get("grants", [])) - GRANTEES:
        problems.append(f"grants go to demo users other than {ANALYST}")
    if (status == Status.REJECTED) != bool(item.get("rejection_reason")):
        problems.append("rejection_reason is given for (and only for) a rejected entry")
    if (status == Status.WITHDRAWN) != bool(item.get("withdrawal_reason")):
        problems.append("withdrawal_reason is given for (and only for) a withdrawn entry")
    pending = item.get("pending_edit")
    if pending is not None:
        if status != Status.PUBLISHED:
            problems.append("pending_edit only on a published entry")
        if not pending or set(pending) - PENDING_EDIT_FIELDS:
            problems.append(f"pending_edit changes some of {', '.join(sorted(PENDING_EDIT_FIELDS))}")
        if any(tiers.get(GROUP_OF.get(field, "")) == Tier.RESTRICTED for field in pending):
            problems.append("pending_edit does not touch a restricted part (the editor could not see it)")
    return problems


def _all_texts(item: Mapping[str, Any]) -> Iterable[str]:
    for name in ("title", "summary"):
        yield from (str(text) for text in (item.get(name) or {}).values())
    for name in ("details", "concern_rationale", "rejection_reason", "withdrawal_reason"):
        yield str(item.get(name, ""))
    yield from (str(value) for value in (item.get("pending_edit") or {}).values() if isinstance(value, str))
    yield from (str(source.get("citation", "")) for source in item.get("sources", []))
    yield from (str(credit.get("name", "")) for credit in item.get("credits", []))


def entry_problems(item: Mapping[str, Any]) -> list[str]:
    """Return what is wrong with one entry of a data file (an empty list when it can be loaded)."""
    unknown = sorted(set(item) - KEYS)
    problems = [f"unknown keys: {', '.join(unknown)}"] if unknown else []
    if not isinstance(item.get("key"), str) or not KEY_PATTERN.match(item["key"]):
        problems.append("key is a slug of lower-case letters, digits and hyphens")
    problems += _workflow(item) + _dates(item) + _texts(item) + _classification(item)
    for text in _all_texts(item):
        problems += [f"safety lint: {problem}" for problem in safety_problems(text)]
    return problems


def _order_problems(entries: list[DemoEntry]) -> list[str]:
    """Return duplicate keys and relations to entries that are not loaded earlier or not visible to the proposer."""
    problems: list[str] = []
    seen: dict[str, DemoEntry] = {}
    for entry in entries:
        if entry.key in seen:
            problems.append(f"{entry.file}: entry {entry.key}: the key is used twice")
        for other in entry.get("related", []):
            earlier = seen.get(other)
            public = earlier is not None and earlier.status in (Status.PUBLISHED, Status.WITHDRAWN)
            own = earlier is not None and earlier.get("proposer") == entry.get("proposer")
            if not (public or own):
                problems.append(
                    f"{entry.file}: entry {entry.key}: related {other!r} is not a published or own entry loaded earlier"
                )
        seen[entry.key] = entry
    return problems


# --- building the entries -----------------------------------------------------------------------------


@transaction.atomic
def register_demo_ensure() -> int:
    """Build the demo entries that are missing; return how many demo entries the register holds.

    Needs the demo accounts (``accounts.services.demo_accounts_ensure``). Runs in one transaction:
    a broken entry leaves nothing half-built, and the next run starts again cleanly.
    """
    entries = demo_entries()
    users = {user.email: user for user in User.objects.filter(email__endswith="@demo.nonpro.test")}
    missing = sorted({ANALYST, *REVIEWERS, *PROPOSERS, *GRANTEES} - set(users))
    if missing:
        raise DemoDataError(f"demo accounts missing ({', '.join(missing)}): run demo_accounts_ensure() first")
    known: dict[str, Entry] = {}
    for item in entries:
        entry = _existing(item.key)
        if entry is None:
            try:
                entry = _build(item, users, known)
            except Exception as error:
                raise DemoDataError(f"{item.file}: entry {item.key}: {error}") from error
        else:
            _grants_ensure(entry, item, users)
        known[item.key] = entry
    return len(known)


def _existing(key: str) -> Entry | None:
    row = EntryAlias.objects.filter(alias=f"{ALIAS_PREFIX}{key}").select_related("entry").first()
    return row.entry if row is not None else None


def _values(item: DemoEntry, known: Mapping[str, Entry]) -> dict[str, Any]:
    """Return the values of the draft, in the form ``services.entry_create_draft`` takes."""
    original = str(item.get("original_language"))
    titles, summaries = item.get("title"), item.get("summary")
    values: dict[str, Any] = {
        "title": titles[original].strip(),
        "summary": summaries[original].strip(),
        "details": item.get("details", "").strip(),
        "original_language": original,
        "translations": {
            language: {"title": titles[language].strip(), "summary": summaries[language].strip()}
            for language in LANGUAGES
            if language != original
        },
        "aliases": [*item.get("aliases", []), f"{ALIAS_PREFIX}{item.key}"],
        "related": [known[key].rsd_id for key in item.get("related", [])],
    }
    for field in (*TAXONOMY_FIELDS, "concern_rationale", "first_reported", "sources", "credits"):
        if item.get(field) is not None:
            values[field] = item.get(field)
    if item.get("scores") is not None:
        values["concern_scores"] = dict(item.get("scores"))
    return values


def _build(item: DemoEntry, users: Mapping[str, User], known: Mapping[str, Entry]) -> Entry:
    """Take one entry through the services to the state the data file names."""
    proposer, analyst = users[item.get("proposer")], users[ANALYST]
    status = item.status
    entry = services.entry_create_draft(by=proposer, values=_values(item, known))
    if status != Status.DRAFT:
        entry = services.entry_submit(entry=entry, by=proposer)
    if status in REVIEWED:
        entry = services.entry_start_review(entry=entry, by=analyst)
        _review(entry, item, users)
    if status not in DECIDED:
        entry = _classify(entry, item, analyst)
    if status in (Status.PUBLISHED, Status.WITHDRAWN):
        entry = _classify(entry, item, analyst)
        entry = services.entry_publish(entry=entry, by=analyst)
    if status == Status.REJECTED:
        entry = _classify(entry, item, analyst)
        entry = services.entry_reject(entry=entry, reason=item.get("rejection_reason"), by=analyst)
    if status == Status.WITHDRAWN:
        entry = services.entry_withdraw(entry=entry, reason=item.get("withdrawal_reason"), by=analyst)
    if item.get("pending_edit"):
        entry = services.entry_update(
            entry=entry, expected_version=entry.version, changes=dict(item.get("pending_edit")), by=analyst
        )
        entry = services.entry_submit(entry=entry, by=analyst)
    _grants_ensure(entry, item, users)
    _backdate(entry, item)
    return entry


def _review(entry: Entry, item: DemoEntry, users: Mapping[str, User]) -> None:
    """Assign both demo reviewers; both review, except on an entry left under review (one review open)."""
    analyst = users[ANALYST]
    scores = dict(item.get("scores"))
    level = str(rubric().level_for(scores))
    recommendation = "reject" if item.status == Status.REJECTED else "publish"
    for number, email in enumerate(REVIEWERS):
        reviewer = users[email]
        assignment = reviews.review_assign(entry=entry, reviewer=reviewer, by=analyst)
        if item.status == Status.UNDER_REVIEW and number > 0:
            continue
        reviews.review_submit(
            assignment=assignment,
            by=reviewer,
            scores=scores,
            proposed_level=level,
            comments=REVIEW_COMMENT,
            recommendation=recommendation,
            no_enabling_detail=True,
        )


def _classify(entry: Entry, item: DemoEntry, analyst: User) -> Entry:
    """Set the tier of each part the data file names (the others stay COMMITTEE); RESTRICTED last."""
    tiers = dict(item.get("tiers", {}))
    for part in sorted(tiers, key=lambda part: tiers[part] == Tier.RESTRICTED):
        entry = services.entry_set_tier(entry=entry, field=part, tier=tiers[part], reason=CLASSIFY_REASON, by=analyst)
    return entry


def _grants_ensure(entry: Entry, item: DemoEntry, users: Mapping[str, User]) -> None:
    """Give each named demo user an active need-to-know grant on the entry (renewing a lapsed one)."""
    analyst = users[ANALYST]
    content_type = ContentType.objects.get_for_model(Entry)
    expires_at = timezone.now() + timedelta(days=grants.max_days()) - timedelta(hours=1)
    for email in item.get("grants", []):
        user = users[email]
        held = NeedToKnowGrant.objects.filter(
            user=user, content_type=content_type, object_id=entry.pk, revoked_at__isnull=True
        ).first()
        if held is None:
            grants.need_to_know_grant(
                obj=entry, user=user, reason=GRANT_REASON, expires_at=expires_at, granted_by=analyst
            )
        elif held.expires_at <= timezone.now():
            grants.need_to_know_renew(grant=held, expires_at=expires_at, reason=GRANT_REASON, renewed_by=analyst)


def demo_date(day: date) -> date:
    """Return the day a data file's workflow date (``created``, ``published``, ``withdrawn``) stands for now.

    The data files were written on ``DATA_WRITTEN``; loaded later, their dates move forward by the
    time elapsed, keeping their spread over the two years before the load. ``first_reported`` is a
    fact about the world and does not move.
    """
    return day + max(timedelta(0), timezone.now().date() - DATA_WRITTEN)


def _at(day: date, step: int = 0) -> datetime:
    """Return noon (UTC) of ``day``, plus ``step`` minutes (to keep the order of events of one day)."""
    return datetime.combine(day, time(12), tzinfo=UTC) + timedelta(minutes=step)


@dataclass(frozen=True)
class _Days:
    """The days an entry's workflow happened on, as loaded now (see ``demo_date``)."""

    created: date
    decided: date
    withdrawn: date | None


def _days(item: DemoEntry) -> _Days:
    created = demo_date(item.get("created"))
    published, withdrawn = item.get("published"), item.get("withdrawn")
    if published is not None:
        decided = demo_date(published)
    elif item.status in DECIDED:
        decided = min(created + REJECTION_AFTER, timezone.now().date())
    else:
        decided = created
    return _Days(created, decided, demo_date(withdrawn) if withdrawn is not None else None)


def _backdate(entry: Entry, item: DemoEntry) -> None:
    """Move the entry's timestamps back to the data file's dates (demo only; see the module docstring).

    Revisions before the review get ``created``, those up to the decision ``published`` (for a
    rejected entry: three weeks after ``created``), the withdrawal ``withdrawn``; an edit made after
    publication keeps its real time (it is pending now). Review assignments get the decision date.
    """
    days = _days(item)
    steps = _backdate_revisions(entry, days)
    moments: dict[str, Any] = {"created_at": _at(days.created)}
    if entry.published_at is not None:
        moments["published_at"] = moments["modified_at"] = _at(days.decided, steps)
    if entry.withdrawn_at is not None and days.withdrawn is not None:
        moments["withdrawn_at"] = moments["modified_at"] = _at(days.withdrawn, steps)
    Entry.objects.filter(pk=entry.pk).update(**moments)
    review_day = _at(days.decided)
    ReviewAssignment.objects.filter(entry=entry).update(assigned_at=review_day)
    ReviewAssignment.objects.filter(entry=entry, completed_at__isnull=False).update(completed_at=review_day)
    ReviewAssignment.objects.filter(entry=entry, closed_at__isnull=False).update(closed_at=review_day)


def _backdate_revisions(entry: Entry, days: _Days) -> int:
    """Date the entry's revisions by the phase of the workflow they belong to; return how many there are."""
    revisions = list(EntryRevision.objects.filter(entry=entry).order_by("version"))
    day = days.created
    for step, revision in enumerate(revisions):
        if revision.event == RevisionEvent.REVIEW_STARTED:
            day = days.decided
        if revision.event == RevisionEvent.WITHDRAWN and days.withdrawn is not None:
            day = days.withdrawn
        if revision.event == RevisionEvent.EDITED and revision.serial > 0:
            break  # an edit of the published entry: pending now, so it keeps its real time
        revision.changed_at = _at(day, step)
        revision.save(update_fields=["changed_at"])
    return len(revisions)
