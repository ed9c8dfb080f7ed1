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
    """Index the entries that exist already: done by 0004_search_document_tiers (rows need their tiers)."""


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
