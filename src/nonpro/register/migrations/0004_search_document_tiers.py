# The search documents carry their entry's tier and their part's tier; classification and
# assessment become one multilingual document each (docs/decisions/0008-register-search-at-scale.md).

from django.db import migrations, models

DOCUMENTS_TABLE = "register_entrysearchdocument"


def install_stored_vector(apps, schema_editor):
    """PostgreSQL: a stored tsvector column with the GIN index (SQLite: nothing; FTS5 holds the words)."""
    from nonpro.register.search import install_stored_vector as install

    install(schema_editor, DOCUMENTS_TABLE)


def uninstall_stored_vector(apps, schema_editor):
    from nonpro.register.search import uninstall_stored_vector as uninstall

    uninstall(schema_editor, DOCUMENTS_TABLE)


def reindex_existing_entries(apps, schema_editor):
    """Rebuild the documents of the entries that exist (their current values, never a pending edit)."""
    from nonpro.register.search import build_documents, tiers_from_values, values_from_rows, write_documents

    db = schema_editor.connection
    Entry = apps.get_model("register", "Entry")
    EntryTranslation = apps.get_model("register", "EntryTranslation")
    EntrySource = apps.get_model("register", "EntrySource")
    EntryAlias = apps.get_model("register", "EntryAlias")
    EntrySearchDocument = apps.get_model("register", "EntrySearchDocument")
    for entry in Entry.objects.using(db.alias).order_by("pk").iterator():
        values = values_from_rows(
            entry,
            EntryTranslation.objects.using(db.alias).filter(master_id=entry.pk),
            EntrySource.objects.using(db.alias).filter(entry_id=entry.pk).values("citation", "doi", "pmid", "arxiv_id"),
            EntryAlias.objects.using(db.alias).filter(entry_id=entry.pk).values_list("alias", flat=True),
        )
        write_documents(db, EntrySearchDocument, entry.pk, build_documents(values), tiers_from_values(values))


class Migration(migrations.Migration):

    dependencies = [
        ('register', '0003_search'),
    ]

    operations = [
        migrations.AddField(
            model_name='entrysearchdocument',
            name='entry_tier',
            field=models.CharField(choices=[('public', 'Public'), ('official', 'Official'), ('committee', 'Committee'), ('restricted', 'Restricted')], default='restricted', max_length=12, verbose_name='entry tier'),
        ),
        migrations.AddField(
            model_name='entrysearchdocument',
            name='part_tier',
            field=models.CharField(choices=[('public', 'Public'), ('official', 'Official'), ('committee', 'Committee'), ('restricted', 'Restricted')], default='restricted', max_length=12, verbose_name='part tier'),
        ),
        migrations.RunPython(install_stored_vector, uninstall_stored_vector, elidable=False),
        migrations.RunPython(reindex_existing_entries, migrations.RunPython.noop, elidable=False),
    ]
