"""Background work of the audit log: periodic sealing into signed checkpoints."""

from __future__ import annotations

from django.tasks import task

from nonpro.core.audit.services import checkpoint_seal


@task()
def audit_checkpoint() -> dict[str, int | str] | None:
    """Seal the log into a signed checkpoint when events arrived since the last one; idempotent.

    Enqueue it from a scheduler (see docs/audit.md); the result names the checkpoint, or is
    ``None`` when nothing new needed sealing.
    """
    checkpoint = checkpoint_seal(only_if_new=True)
    if checkpoint is None:
        return None
    return {"checkpoint": checkpoint.pk, "events": checkpoint.event_count, "root": checkpoint.root}
