"""``{% review_panel rsd_id %}``: the review box of an entry page, for analysts and the entry's reviewers.

The entry page needs no review context of its own: the tag reads the request's user and asks the
policy (through ``nonpro.register.reviews``). Anyone else gets nothing — not even a hint that
reviews exist.
"""

from __future__ import annotations

from typing import Any

from django import template

from nonpro.core.policy import can, viewer_for
from nonpro.register import reviews, services
from nonpro.register.selectors import entry_get_visible

register = template.Library()


@register.inclusion_tag("register/review/_panel.html", takes_context=True)
def review_panel(context: template.Context, rsd_id: str | None = None) -> dict[str, Any]:
    """Return what the panel shows to the request's user about the review of entry ``rsd_id``."""
    request = context.get("request")
    rsd_id = rsd_id or context.get("rsd_id")
    if request is None or not rsd_id:
        return {"show": False}
    viewer = viewer_for(request.user)
    if not viewer.is_authenticated:
        return {"show": False}
    entry = entry_get_visible(viewer, str(rsd_id))
    if entry is None:
        return {"show": False}
    if can(viewer, services.ASSIGN, entry):
        return {
            "show": True,
            "analyst": True,
            "rsd_id": entry.rsd_id,
            "round": reviews.open_round_for(viewer, entry),
            "done": reviews.completed_reviews(entry),
            "required": services.REVIEWERS_REQUIRED,
            "can_assign": entry.workflow_allows(services.ASSIGN),
        }
    assignment = reviews.open_review_for(viewer, entry)
    if assignment is None:
        return {"show": False}
    return {
        "show": True,
        "analyst": False,
        "rsd_id": entry.rsd_id,
        "assignment": assignment,
        "reviewable": reviews.under_review(entry),
    }
