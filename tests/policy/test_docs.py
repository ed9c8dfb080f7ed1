"""docs/security.md matches the code: its action and tier tables, cell by cell."""

from __future__ import annotations

import re
from pathlib import Path

from nonpro.core.policy import ACTION_RULES, ANONYMOUS, Role, Tier, Viewer, can, can_see
from tests.policy.tiered import Item

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
COLUMNS = {
    "anonymous": ANONYMOUS,
    "learner": Viewer(user_id=1, held_roles=frozenset({Role.LEARNER})),
    "national official": Viewer(user_id=1, held_roles=frozenset({Role.NATIONAL_OFFICIAL}), country_id=1),
    "expert": Viewer(user_id=1, held_roles=frozenset({Role.EXPERT})),
    "reviewer": Viewer(user_id=1, held_roles=frozenset({Role.REVIEWER}), mfa_enabled=True),
    "committee analyst": Viewer(user_id=1, held_roles=frozenset({Role.COMMITTEE_ANALYST}), mfa_enabled=True),
    "administrator": Viewer(user_id=1, held_roles=frozenset({Role.ADMINISTRATOR}), mfa_enabled=True),
}


def documented_actions() -> dict[str, dict[str, bool]]:
    text = DOC.read_text(encoding="utf-8")
    table = re.search(r"<!-- actions-table:.*?-->\n(.*?)<!-- /actions-table -->", text, re.DOTALL)
    assert table is not None, "the actions table markers are missing from docs/security.md"
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")] for line in table.group(1).strip().splitlines()
    ]
    header, rows = rows[0], rows[2:]
    assert header[1:] == list(COLUMNS)
    documented: dict[str, dict[str, bool]] = {}
    for row in rows:
        documented[row[0].strip("`")] = {name: cell == "✓" for name, cell in zip(header[1:], row[1:], strict=True)}
    return documented


def test_the_action_table_lists_every_action_and_nothing_else() -> None:
    assert set(documented_actions()) == set(ACTION_RULES)


def test_each_cell_of_the_action_table_matches_the_rule() -> None:
    for action, cells in documented_actions().items():
        actual = {name: can(viewer, action) for name, viewer in COLUMNS.items()}
        assert cells == actual, action


STATE_A, STATE_B = 101, 202
TIER_ROWS: dict[str, list[Viewer]] = {
    "anonymous": [ANONYMOUS],
    "learner": [Viewer(user_id=2, held_roles=frozenset({Role.LEARNER}))],
    "national official of A": [Viewer(user_id=3, held_roles=frozenset({Role.NATIONAL_OFFICIAL}), country_id=STATE_A)],
    "national official of B": [Viewer(user_id=4, held_roles=frozenset({Role.NATIONAL_OFFICIAL}), country_id=STATE_B)],
    "expert (not vetted)": [Viewer(user_id=5, held_roles=frozenset({Role.EXPERT}))],
    "vetted expert": [Viewer(user_id=6, held_roles=frozenset({Role.EXPERT}), is_vetted=True)],
    "reviewer, assigned to the object": [
        Viewer(user_id=7, held_roles=frozenset({Role.EXPERT, Role.REVIEWER}), mfa_enabled=True)
    ],
    "reviewer, not assigned": [Viewer(user_id=8, held_roles=frozenset({Role.EXPERT, Role.REVIEWER}), mfa_enabled=True)],
    "committee analyst": [Viewer(user_id=9, held_roles=frozenset({Role.COMMITTEE_ANALYST}), mfa_enabled=True)],
    "committee analyst without MFA": [Viewer(user_id=10, held_roles=frozenset({Role.COMMITTEE_ANALYST}))],
    "administrator": [Viewer(user_id=11, held_roles=frozenset({Role.ADMINISTRATOR}), mfa_enabled=True)],
    "disabled account, unknown role": [
        Viewer(user_id=12, held_roles=frozenset({Role.COMMITTEE_ANALYST}), mfa_enabled=True, is_active=False),
        Viewer(user_id=13, held_roles=frozenset({"owner"}), mfa_enabled=True),
    ],
}
TIER_COLUMNS = {
    "PUBLIC": (Tier.PUBLIC, None),
    "OFFICIAL (none)": (Tier.OFFICIAL, None),
    "OFFICIAL (A)": (Tier.OFFICIAL, STATE_A),
    "COMMITTEE (none)": (Tier.COMMITTEE, None),
    "COMMITTEE (A)": (Tier.COMMITTEE, STATE_A),
    "RESTRICTED": (Tier.RESTRICTED, None),
}


def test_the_persona_tier_table_matches_the_policy() -> None:
    text = DOC.read_text(encoding="utf-8")
    table = re.search(r"<!-- tiers-table:.*?-->\n(.*?)<!-- /tiers-table -->", text, re.DOTALL)
    assert table is not None
    lines = table.group(1).strip().splitlines()
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]
    assert rows[0][1:] == list(TIER_COLUMNS)
    assert [row[0] for row in rows[2:]] == list(TIER_ROWS)
    for row in rows[2:]:
        for viewer in TIER_ROWS[row[0]]:
            for column, cell in zip(TIER_COLUMNS, row[1:], strict=True):
                tier, country_id = TIER_COLUMNS[column]
                # Only the assigned reviewer is on the object's list; "with a grant" needs a grant,
                # which a plain object cannot carry, so it reads as "no" here (grants: test_visible.py).
                item = Item(tier=tier, country_id=country_id, assigned={7})
                assert can_see(viewer, item) is (cell == "✓"), (row[0], column)
