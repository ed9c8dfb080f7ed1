"""The register of the leak test: entries whose every part holds a marker word unique to (entry, part, tier).

A marker is a made-up word (``lk`` + entry + part + tier + ``q``, all twelve letters long, so no
marker is a prefix of another and a prefix search of one never finds a second). Finding a marker in
an output says exactly which part of which entry it came from; ``expected`` is the oracle — who may
see what, written out from docs/security.md and ``nonpro.register.selectors`` (independently of
the policy code, so that the test checks the code rather than repeats it).

All texts are synthetic and policy-level ("Synthetic example: …").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils import timezone

from nonpro.core.grants import need_to_know_grant
from nonpro.core.policy import Tier
from nonpro.register import services
from nonpro.register.models import Entry
from tests.conftest import MakeUser
from tests.register.conftest import SCORES, People, to_review, vet

PUBLIC, OFFICIAL, COMMITTEE, RESTRICTED = Tier.PUBLIC.value, Tier.OFFICIAL.value, Tier.COMMITTEE.value, "restricted"
TIER_CODE = {PUBLIC: "pub", OFFICIAL: "ofc", COMMITTEE: "com", RESTRICTED: "res"}
TIER_RANK = {PUBLIC: 0, OFFICIAL: 1, COMMITTEE: 2, RESTRICTED: 3}
REASON = "Synthetic example: a policy-level reason."
#: A word of the marker's shape that appears nowhere (the baseline of "no hit").
NONSENSE = "lkzzzzzzzzzq"
MARKER = re.compile(r"lk[a-z]{9}q")
#: The parts the full-text search indexes (``nonpro.register.search``); pending edits are never indexed.
SEARCHABLE_PARTS = frozenset({"title", "summary", "details", "assessment", "sources"})

ANALYSTS = frozenset({"analyst", "analyst_granted"})
#: Who reads OFFICIAL information of an entry scoped to no State (docs/security.md, the table "Persona x tier").
OFFICIAL_READERS = ANALYSTS | {"official", "vetted_expert", "reviewer_unassigned", "reviewer_assigned"}
PERSONAS: tuple[str, ...] = (
    "anonymous",
    "learner",
    "official",
    "expert",
    "vetted_expert",
    "reviewer_unassigned",
    "reviewer_assigned",
    "analyst",
    "analyst_granted",
    "administrator",
    "author",
)
PUBLIC_STATUSES = frozenset({"published", "withdrawn"})


def word(entry: str, part: str, tier: str) -> str:
    return f"lk{entry}{part}{TIER_CODE[tier]}q"


@dataclass(frozen=True)
class Marker:
    word: str
    entry: str
    #: a key of ``TIER_GROUPS``, or "record" (a reason: the entry's own tier) or "pending" (an edit awaiting review)
    part: str
    tier: str


@dataclass
class Spec:
    """One entry of the leak register: its state, who made it, who is assigned, and its parts' tiers."""

    key: str
    status: str
    creator: str = "someone"
    tiers: dict[str, str] = field(default_factory=dict)
    domains: tuple[str, ...] = ("chemical",)
    control_lists: tuple[str, ...] = ("CWC-S2",)
    assigned: frozenset[str] = frozenset()
    granted: frozenset[str] = frozenset()
    reason: str = ""  # "withdrawn" or "rejected"
    pending: tuple[str, ...] = ()  # parts of a pending edit
    rsd_id: str = ""

    def tier(self, part: str) -> str:
        return self.tiers.get(part, COMMITTEE)

    @property
    def public(self) -> bool:
        return self.status in PUBLIC_STATUSES

    def markers(self) -> list[Marker]:
        parts = ["title", "summary", "details", "sources", "credits"]
        if "assessment" in self.tiers:
            parts.append("assessment")
        found = [Marker(word(self.key, part[:4], self.tier(part)), self.key, part, self.tier(part)) for part in parts]
        if self.reason:
            record = PUBLIC if self.public else COMMITTEE
            found.append(Marker(word(self.key, "r" + self.reason[:3], record), self.key, "record", record))
        found += [
            Marker(word(self.key, "p" + part[:3], COMMITTEE), self.key, "pending", COMMITTEE) for part in self.pending
        ]
        return found


SPECS: dict[str, Spec] = {
    spec.key: spec
    for spec in (
        Spec(
            "aa",
            "published",
            creator="publisher",
            tiers={
                "title": PUBLIC,
                "summary": PUBLIC,
                "classification": PUBLIC,
                "sources": OFFICIAL,
                "details": COMMITTEE,
                "credits": COMMITTEE,
                "assessment": RESTRICTED,
            },
            granted=frozenset({"analyst_granted"}),
        ),
        Spec(
            "bb",
            "published",
            creator="publisher",
            tiers={"title": PUBLIC, "summary": PUBLIC, "sources": PUBLIC, "details": OFFICIAL, "assessment": COMMITTEE},
            domains=("nuclear",),
            control_lists=("NSG-1",),
        ),
        Spec(
            "cc",
            "published",
            creator="publisher",
            tiers={"title": PUBLIC, "summary": PUBLIC, "classification": PUBLIC},
            domains=("biological",),
            control_lists=("AG-PATHOGENS",),
            pending=("summary", "details"),
        ),
        Spec("dd", "withdrawn", creator="publisher", tiers={"title": PUBLIC, "summary": PUBLIC}, reason="withdrawn"),
        Spec("ee", "rejected", creator="author", reason="rejected"),
        Spec("ff", "draft", creator="author"),
        Spec(
            "gg", "under_review", creator="author", tiers={"summary": PUBLIC}, assigned=frozenset({"reviewer_assigned"})
        ),
    )
}
MARKERS: tuple[Marker, ...] = tuple(marker for spec in SPECS.values() for marker in spec.markers())
WORDS: frozenset[str] = frozenset(marker.word for marker in MARKERS)
BY_WORD: dict[str, Marker] = {marker.word: marker for marker in MARKERS}


# --- the oracle ------------------------------------------------------------------------------------------------


def sees_entry(persona: str, spec: Spec) -> bool:
    if spec.public:
        return True
    return persona in ANALYSTS or persona in spec.assigned or persona == spec.creator


def reaches(persona: str, spec: Spec, tier: str) -> bool:
    """Whether ``persona`` sees a part of ``tier`` on the entry ``spec`` (docs/security.md; creator rule)."""
    if not sees_entry(persona, spec):
        return False
    if tier == RESTRICTED:
        return persona in spec.granted
    if persona == spec.creator and not spec.public:
        return True  # the creator sees their unpublished entry up to COMMITTEE
    if tier == PUBLIC:
        return True
    if tier == OFFICIAL:
        return persona in OFFICIAL_READERS or persona in spec.assigned
    return persona in ANALYSTS or persona in spec.assigned


def may_see(persona: str, marker: Marker) -> bool:
    spec = SPECS[marker.entry]
    if marker.part == "pending":  # an edit awaiting review is COMMITTEE information, creator rule off
        return persona in ANALYSTS or persona in spec.assigned
    return reaches(persona, spec, marker.tier)


def expected(persona: str) -> set[str]:
    return {marker.word for marker in MARKERS if may_see(persona, marker)}


def visible_entries(persona: str) -> set[str]:
    return {spec.key for spec in SPECS.values() if sees_entry(persona, spec)}


def classified(persona: str) -> set[str]:
    """The entries whose classification ``persona`` sees (facets and code filters count only these)."""
    return {spec.key for spec in SPECS.values() if reaches(persona, spec, spec.tier("classification"))}


def exported(tier: str) -> set[str]:
    """The markers an export at ``tier`` may hold: published parts at or below it, never pending, never unpublished."""
    return {
        marker.word
        for marker in MARKERS
        if SPECS[marker.entry].public and marker.part != "pending" and TIER_RANK[marker.tier] <= TIER_RANK[tier]
    }


def found(text: str) -> set[str]:
    """Every marker in ``text`` (an unknown one too: the shape is the test's own)."""
    return set(MARKER.findall(text)) - {NONSENSE}


# --- building it through the real services ---------------------------------------------------------------------


def _values(spec: Spec) -> dict[str, Any]:
    def text(part: str) -> str:
        return f"Synthetic example: {word(spec.key, part[:4], spec.tier(part))} policy-level text."

    values: dict[str, Any] = {
        "title": text("title"),
        "summary": text("summary"),
        "details": text("details"),
        "domains": list(spec.domains),
        "obligations": ["OP1"],
        "control_lists": list(spec.control_lists),
        "sources": [{"type": "report", "citation": text("sources")}],
        "credits": [{"name": f"Synthetic {word(spec.key, 'cred', spec.tier('credits'))}", "role": "analyst"}],
    }
    if "assessment" in spec.tiers:
        values["concern_scores"] = SCORES
        values["concern_rationale"] = text("assessment")
    return values


@dataclass
class Register:
    people: People
    users: dict[str, Any]
    entries: dict[str, Entry]

    def user(self, persona: str) -> Any:
        return self.users.get(persona)


def _classify(entry: Entry, spec: Spec, people: People) -> Entry:
    for part, tier in spec.tiers.items():
        if tier != COMMITTEE:
            entry = services.entry_set_tier(entry=entry, field=part, tier=tier, reason=REASON, by=people.analyst)
    return entry


def _publish(spec: Spec, people: People) -> Entry:
    entry = services.entry_create_draft(by=people.author, values=_values(spec))
    entry = _classify(to_review(entry, people), spec, people)
    return services.entry_publish(entry=entry, by=people.analyst)


def build(people: People, make_user: MakeUser) -> Register:
    """Create the personas and the entries of ``SPECS`` (through the services), and the need-to-know grant."""
    users: dict[str, Any] = {
        "anonymous": None,
        "learner": people.learner,
        "official": people.official,
        "expert": make_user("plain.expert@example.test", ["expert"]),
        "vetted_expert": make_user("vetted.expert@example.test", ["expert"]),
        "reviewer_unassigned": people.outsider_reviewer,
        "reviewer_assigned": make_user("assigned.reviewer@example.test", ["expert", "reviewer"]),
        "analyst": people.analyst,
        "analyst_granted": make_user("granted.analyst@example.test", ["committee_analyst"]),
        "administrator": people.administrator,
        "author": people.other_expert,
    }
    vet(users["vetted_expert"], by=people.administrator)
    vet(users["reviewer_assigned"], by=people.administrator)
    entries = {key: _publish(SPECS[key], people) for key in ("aa", "bb", "cc", "dd")}
    need_to_know_grant(
        obj=entries["aa"],
        user=users["analyst_granted"],
        reason=REASON,
        expires_at=timezone.now() + timedelta(days=30),
        granted_by=people.analyst,
    )
    cc = SPECS["cc"]
    edit = {"summary": f"Synthetic example: {word('cc', 'psum', COMMITTEE)} an edit awaiting review."}
    edit["details"] = f"Synthetic example: {word('cc', 'pdet', COMMITTEE)} an edit awaiting review."
    assert set(edit) == set(cc.pending)
    entry = services.entry_update(
        entry=entries["cc"], expected_version=entries["cc"].version, changes=edit, by=people.analyst
    )
    # The pending summary will be PUBLIC once published: until then it is COMMITTEE all the same.
    entries["cc"] = services.entry_set_tier(
        entry=entry, field="summary", tier=PUBLIC, reason=REASON, by=people.analyst, pending=True
    )
    entries["dd"] = services.entry_withdraw(
        entry=entries["dd"], reason=f"Synthetic example: {word('dd', 'rwit', PUBLIC)} withdrawn.", by=people.analyst
    )
    author = people.other_expert
    rejected = services.entry_submit(
        entry=services.entry_create_draft(by=author, values=_values(SPECS["ee"])), by=author
    )
    entries["ee"] = services.entry_reject(
        entry=rejected, reason=f"Synthetic example: {word('ee', 'rrej', COMMITTEE)} rejected.", by=people.analyst
    )
    entries["ff"] = services.entry_create_draft(by=author, values=_values(SPECS["ff"]))
    gg = services.entry_submit(entry=services.entry_create_draft(by=author, values=_values(SPECS["gg"])), by=author)
    gg = _classify(gg, SPECS["gg"], people)
    services.review_assign(
        entry=gg, reviewer=users["reviewer_assigned"], by=people.analyst, due_at=timezone.now() + timedelta(hours=20)
    )
    entries["gg"] = services.entry_start_review(entry=gg, by=people.analyst)
    for key, entry in entries.items():
        entries[key] = Entry.objects.get(pk=entry.pk)
        SPECS[key].rsd_id = entries[key].rsd_id
        assert entries[key].status == SPECS[key].status, key
    return Register(people=people, users=users, entries=entries)
