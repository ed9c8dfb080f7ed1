"""Django's flush (used by the test runner after committed tests) still empties the audit tables."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from nonpro.core.audit import triggers
from nonpro.core.audit.keys import KeyInfo
from nonpro.core.audit.models import AuditCheckpoint, AuditEvent
from nonpro.core.audit.services import audit_record, checkpoint_seal


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_audit_tables_and_puts_the_triggers_back(audit_key: KeyInfo) -> None:
    audit_record(action="test.before_flush")
    checkpoint_seal()

    call_command("flush", interactive=False, verbosity=0)

    assert not AuditEvent.objects.exists()
    assert not AuditCheckpoint.objects.exists()
    assert triggers.missing(connection) == []
    event = audit_record(action="test.after_flush")
    assert event.seq == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_concurrent_appends_on_postgresql_keep_one_gapless_chain() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    from nonpro.core.audit.verify import audit_verify

    def append(worker: int) -> None:
        try:
            for i in range(10):
                with transaction.atomic():
                    audit_record(action="test.concurrent", object_id=f"{worker}-{i}")
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(append, range(4)))

    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, 41))
    assert audit_verify(keys={}).intact
