# The register's full-text search index (docs/decisions/0006-register-search.md).

import django.db.models.deletion
from django.db import migrations, models

DOCUMENTS_TABLE = "register_entrysearchdocument"


def install_engine(apps, schema_editor):
    """Create the FTS5 table (SQLite) or the GIN index (PostgreSQL): the SQL differs per engine."""
    from nonpro.register.search import install_engine as install

    install(schema_editor, DOCUMENTS_TABLE)


def uninstall_engine(apps, schema_editor):
    from nonpro.register.search import uninstall_engine as uninstall

    uninstall(schema_editor, DOCUMENTS_TABLE)


def index_existing_entries(apps, schema_editor):
    """Index the entries that exist already (their current values, never a pending edit)."""
    from nonpro.register.search import CLASSIFICATION_KINDS, build_documents, write_documents

    db = schema_editor.connection
    Entry = apps.get_model("register", "Entry")
    EntryTranslation = apps.get_model("register", "EntryTranslation")
    EntrySource = apps.get_model("register", "EntrySource")
    EntryAlias = apps.get_model("register", "EntryAlias")
    EntrySearchDocument = apps.get_model("register", "EntrySearchDocument")
    fields = ("rsd_id", "original_language", "title", "summary", "details", "concern_level", "concern_rationale")
    for entry in Entry.objects.using(db.alias).order_by("pk").iterator():
        values = {field: getattr(entry, field) for field in (*fields, *CLASSIFICATION_KINDS)}
        translations = EntryTranslation.objects.using(db.alias).filter(master_id=entry.pk)
        values["title_translations"] = {row.language: row.title for row in translations if row.title}
        values["summary_translations"] = {row.language: row.summary for row in translations if row.summary}
        values["sources"] = list(
            EntrySource.objects.using(db.alias).filter(entry_id=entry.pk).values("citation", "doi", "pmid", "arxiv_id")
        )
        values["aliases"] = list(
            EntryAlias.objects.using(db.alias).filter(entry_id=entry.pk).values_list("alias", flat=True)
        )
        write_documents(db, EntrySearchDocument, entry.pk, build_documents(values))


class Migration(migrations.Migration):

    dependencies = [
        ("register", "0002_reviews_trend_notes_subscriptions"),
    ]

    operations = [
        migrations.CreateModel(
            name="EntrySearchDocument",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("part", models.CharField(max_length=20, verbose_name="part")),
                ("language", models.CharField(max_length=10, verbose_name="language")),
                ("text", models.TextField(verbose_name="indexed text")),
                (
                    "entry",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="search_documents",
                        to="register.entry",
                    ),
                ),
            ],
            options={
                "verbose_name": "search document",
                "verbose_name_plural": "search documents",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("entry", "part", "language"), name="register_search_document_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(install_engine, uninstall_engine, elidable=False),
        migrations.RunPython(index_existing_entries, migrations.RunPython.noop, elidable=True),
    ]
