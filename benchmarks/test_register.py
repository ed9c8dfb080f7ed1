"""The register at scale: 100,000 generated entries — search, the entry page, the full export.

The entries are written in bulk (not through the services: a revision and an audit event per
entry would make the set-up take an hour and measure nothing of interest here), then indexed
with the search module's own ``build_documents`` / ``write_documents`` logic in bulk. Their text
is synthetic: "Synthetic benchmark entry N" and pseudo-words, nothing else.

Targets (issue 4): search p95 ≤ 30 ms, entry page p95 ≤ 50 ms; export time and peak memory
reported, memory must not grow with the number of entries. Timings are reported in
``extra_info`` (p95) and by pytest-benchmark, never asserted. ``NONPRO_BENCH_ENTRIES`` sets the
size (default 100000); run on PostgreSQL with ``NONPRO_TEST_DATABASE_URL`` set.
"""

from __future__ import annotations

import os
import random
import statistics
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from pytest_benchmark.fixture import BenchmarkFixture

ENTRIES = int(os.environ.get("NONPRO_BENCH_ENTRIES", "100000"))
BATCH = 2000
DOMAINS = ["nuclear", "radiological", "chemical", "biological", "delivery-systems", "enabling-technologies"]
WORDS = [f"lexeme{n:04d}" for n in range(3000)]
COMMON = ["security", "export", "control", "screening", "oversight", "governance", "licensing", "transfer"]
LEVELS = ["low", "moderate", "high", "critical"]


def _p95(benchmark: BenchmarkFixture) -> float:
    data = sorted(benchmark.stats.stats.data)
    index = max(0, round(0.95 * len(data)) - 1)
    p95_ms = data[index] * 1000
    benchmark.extra_info["p95_ms"] = round(p95_ms, 2)
    benchmark.extra_info["median_ms"] = round(statistics.median(data) * 1000, 2)
    benchmark.extra_info["entries"] = ENTRIES
    benchmark.extra_info["database"] = connection.vendor
    return p95_ms


def _valid_domains() -> list[str]:
    from nonpro.register import taxonomy

    known = taxonomy.codes("domain")
    return [code for code in DOMAINS if code in known] or sorted(known)


def _generate(count: int) -> list[str]:
    """Write ``count`` entries in bulk with their translations and search documents; return some ids."""
    from nonpro.accounts.models import User
    from nonpro.core.management.commands.database_optimize import database_optimize
    from nonpro.register import search, taxonomy
    from nonpro.register.models import Entry, EntryIdCounter, EntrySearchDocument, EntryTranslation

    rng = random.Random(1540)  # noqa: S311 - reproducible synthetic data, not security
    creator = User.objects.create_user("bench.creator@example.test", "not-used-benchmark-only")
    domains = _valid_domains()
    control_lists = sorted(taxonomy.codes("control_list"))[:40]
    obligations = sorted(taxonomy.codes("obligation"))
    start = datetime(2024, 1, 1, tzinfo=UTC)
    year = 2026
    sample: list[str] = []
    for first in range(1, count + 1, BATCH):
        numbers = range(first, min(first + BATCH, count + 1))
        entries = []
        for n in numbers:
            words = " ".join(rng.sample(WORDS, 4))
            when = start + timedelta(minutes=n * 7)
            restricted = n % 20 == 0
            entries.append(
                Entry(
                    rsd_id=f"RSD-{year}-{n:05d}",
                    status="published" if n % 10 else "under_review",
                    title=f"Synthetic benchmark entry {n}: {words}",
                    summary=f"Synthetic benchmark entry {n}, policy level: {rng.choice(COMMON)} {words}.",
                    details=f"Synthetic benchmark details {n}: {rng.choice(COMMON)} {' '.join(rng.sample(WORDS, 8))}.",
                    original_language="en",
                    domains=[rng.choice(domains)],
                    control_lists=rng.sample(control_lists, 2) if control_lists else [],
                    obligations=rng.sample(obligations, 1) if obligations else [],
                    concern_level=rng.choice(LEVELS),
                    concern_rationale=f"Synthetic benchmark rationale {n}.",
                    created_at=when,
                    published_at=when if n % 10 else None,
                    modified_at=when,
                    serial=1 if n % 10 else 0,
                    created_by=creator,
                    title_tier="public",
                    summary_tier="public",
                    classification_tier="public",
                    assessment_tier="committee",
                    details_tier="restricted" if restricted else "committee",
                    sources_tier="official",
                    credits_tier="committee",
                )
            )
        Entry.objects.bulk_create(entries, batch_size=BATCH)
        saved = {entry.rsd_id: entry for entry in Entry.objects.filter(rsd_id__in=[e.rsd_id for e in entries])}
        translations = [
            EntryTranslation(
                master=saved[entry.rsd_id],
                language=language,
                title=f"{label} {entry.rsd_id}",
                summary=f"{label} {entry.rsd_id}.",
            )
            for entry in entries
            if int(entry.rsd_id[-5:]) % 10 == 1
            for language, label in (("fr", "Exemple synthétique"), ("ar", "مثال اصطناعي"), ("zh-hans", "合成示例条目"))
        ]
        EntryTranslation.objects.bulk_create(translations, batch_size=BATCH)
        documents = []
        for entry in saved.values():
            values: dict[str, Any] = {field: getattr(entry, field) for field in search.INDEXED_COLUMNS}
            values["title_translations"] = {t.language: t.title for t in translations if t.master_id == entry.pk}
            values["summary_translations"] = {t.language: t.summary for t in translations if t.master_id == entry.pk}
            tiers = search.tiers_from_values(values)
            for (part, language), text in search.build_documents(values).items():
                entry_tier, part_tier = tiers[part]
                documents.append(
                    EntrySearchDocument(
                        entry_id=entry.pk,
                        part=part,
                        language=language,
                        text=text,
                        entry_tier=entry_tier,
                        part_tier=part_tier,
                    )
                )
        EntrySearchDocument.objects.bulk_create(documents, batch_size=BATCH)
        sample.extend(rng.sample(list(saved), 5))
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            table = EntrySearchDocument._meta.db_table
            cursor.execute(f"INSERT INTO {search.FTS_TABLE}(rowid, text) SELECT id, text FROM {table}")  # noqa: S608
    database_optimize()  # as the daily job would (docs/operations.md)
    EntryIdCounter.objects.update_or_create(year=year, defaults={"last": count})
    return sample


@pytest.fixture(scope="session")
def register_data(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """The generated register and an analyst with MFA, shared by every benchmark of the session."""
    from allauth.mfa.totp.internal.auth import TOTP

    from nonpro.accounts.models import User
    from nonpro.accounts.services import role_grant
    from nonpro.core.policy import Role

    with django_db_blocker.unblock():
        sample = _generate(ENTRIES)
        analyst = User.objects.create_user("bench.analyst@example.test", "not-used-benchmark-only")
        role_grant(user=analyst, role=Role.COMMITTEE_ANALYST, reason="benchmark", granted_by=None)
        TOTP.activate(analyst, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        yield {"sample": sample, "analyst_id": analyst.pk}


QUERIES = {
    "common word": "security",
    "rare word": "lexeme1234",
    "two words": "export lexeme0042",
    "prefix": "lexeme12",
    "French": "synthétique",
    "Chinese bigram": "合成",
}


@pytest.mark.django_db
@pytest.mark.parametrize("viewer_name", ["anonymous", "analyst"])
@pytest.mark.parametrize("label", list(QUERIES))
def test_search_first_page(
    benchmark: BenchmarkFixture, register_data: dict[str, Any], label: str, viewer_name: str
) -> None:
    """The search selector's first page of 20 results and its count, as the list page asks them."""
    from nonpro.accounts.models import User
    from nonpro.core.policy import ANONYMOUS, viewer_for
    from nonpro.register.search import search_entries

    viewer = ANONYMOUS if viewer_name == "anonymous" else viewer_for(User.objects.get(pk=register_data["analyst_id"]))
    query = QUERIES[label]

    def run() -> tuple[int, list[str]]:
        results = search_entries(viewer, query, language="en")
        return results.count(), [entry.rsd_id for entry in results[:20]]

    count, first_page = benchmark.pedantic(run, rounds=40, iterations=1, warmup_rounds=2)
    _p95(benchmark)
    assert count > 0
    assert len(first_page) == min(20, count)


@pytest.mark.django_db
@pytest.mark.parametrize("viewer_name", ["anonymous", "analyst"])
def test_entry_page(benchmark: BenchmarkFixture, register_data: dict[str, Any], viewer_name: str) -> None:
    """The entry page, server side through the test client, for random entries of the generated set."""
    from nonpro.accounts.models import User
    from nonpro.register.models import Entry

    client = Client()
    if viewer_name == "analyst":
        client.force_login(User.objects.get(pk=register_data["analyst_id"]))
    published = list(
        Entry.objects.filter(rsd_id__in=register_data["sample"], status="published").values_list("rsd_id", flat=True)
    )
    ids = iter(published * 10)

    def get() -> int:
        return client.get(f"/en/register/{next(ids)}/").status_code

    status = benchmark.pedantic(get, rounds=min(100, len(published) * 10), iterations=1, warmup_rounds=1)
    _p95(benchmark)
    assert status == 200


@pytest.mark.django_db
def test_search_page(benchmark: BenchmarkFixture, register_data: dict[str, Any]) -> None:
    """The whole list page with a query and its facets, anonymous."""
    client = Client()
    response = benchmark.pedantic(client.get, args=("/en/register/?q=export",), rounds=20, iterations=1)
    _p95(benchmark)
    assert response.status_code == 200


@pytest.mark.django_db
def test_full_export(benchmark: BenchmarkFixture, register_data: dict[str, Any], tmp_path: Path) -> None:
    """The full public export: time, and traced peak memory sampled as the entries stream by.

    Memory is read every 10 % of the entries: a streaming export has (almost) the same peak after
    10 % as after 100 %.
    """
    from nonpro.register import exchange
    from nonpro.register.exchange import export

    original = export.exported_entries
    samples: list[tuple[int, int]] = []

    def traced() -> Iterator[Any]:
        step = max(1, ENTRIES // 10)
        for index, entry in enumerate(original(), start=1):
            if index % step == 0:
                samples.append((index, tracemalloc.get_traced_memory()[1]))
            yield entry

    export.exported_entries = traced  # type: ignore[assignment]
    target = tmp_path / "export"
    tracemalloc.start()
    try:
        result = benchmark.pedantic(
            exchange.register_export, kwargs={"directory": target, "tier": "public"}, rounds=1, iterations=1
        )
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        export.exported_entries = original  # type: ignore[assignment]
    benchmark.extra_info["peak_traced_mib"] = round(peak / 2**20, 1)
    benchmark.extra_info["peak_mib_by_entries"] = {index: round(value / 2**20, 1) for index, value in samples}
    benchmark.extra_info["entries"] = ENTRIES
    benchmark.extra_info["database"] = connection.vendor
    assert (target / "all.zip").exists()
    assert (target / "modified_id.csv").read_text(encoding="utf-8").count("\n") == result.count
