"""Create the audit tables and the triggers that make them append-only."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from nonpro.core.audit import triggers


def create_triggers(apps, schema_editor):
    triggers.create(schema_editor)


def drop_triggers(apps, schema_editor):
    triggers.drop(schema_editor)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seq", models.PositiveBigIntegerField(verbose_name="last event covered")),
                ("event_count", models.PositiveBigIntegerField(verbose_name="number of events")),
                ("root", models.CharField(max_length=64, verbose_name="Merkle root")),
                ("signature", models.CharField(max_length=100, verbose_name="Ed25519 signature (base64)")),
                ("key_id", models.CharField(max_length=16, verbose_name="signing key id")),
                ("created_at", models.DateTimeField(verbose_name="time (UTC)")),
                ("note", models.TextField(verbose_name="signed note")),
            ],
            options={
                "verbose_name": "audit checkpoint",
                "verbose_name_plural": "audit checkpoints",
                "ordering": ["-seq", "-id"],
            },
        ),
        migrations.CreateModel(
            name="AuditEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seq", models.PositiveBigIntegerField(unique=True, verbose_name="sequence number")),
                ("created_at", models.DateTimeField(verbose_name="time (UTC)")),
                ("actor_label", models.CharField(blank=True, max_length=254, verbose_name="actor as recorded")),
                ("action", models.CharField(db_index=True, max_length=100, verbose_name="action")),
                (
                    "object_type",
                    models.CharField(blank=True, db_index=True, max_length=100, verbose_name="object type"),
                ),
                ("object_id", models.CharField(blank=True, max_length=64, verbose_name="object id")),
                ("summary", models.JSONField(blank=True, default=dict, verbose_name="summary")),
                ("ip_address", models.GenericIPAddressField(blank=True, null=True, verbose_name="IP address")),
                ("user_agent", models.CharField(blank=True, max_length=500, verbose_name="user agent")),
                ("prev_hash", models.CharField(max_length=64, verbose_name="hash of the previous event")),
                ("hash", models.CharField(max_length=64, unique=True, verbose_name="hash of this event")),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="actor",
                    ),
                ),
            ],
            options={
                "verbose_name": "audit event",
                "verbose_name_plural": "audit events",
                "ordering": ["-seq"],
                "indexes": [
                    models.Index(fields=["object_type", "object_id"], name="audit_audit_object__0e78a5_idx"),
                    models.Index(fields=["created_at"], name="audit_audit_created_7710b7_idx"),
                ],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
