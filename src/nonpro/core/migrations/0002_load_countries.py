"""Load the 195 States and their CLDR names (data migration; reverse empties the tables)."""

from django.db import migrations


def load(apps, schema_editor):
    from nonpro.core.countries_data import load_country_records

    Country = apps.get_model("core", "Country")
    CountryTranslation = apps.get_model("core", "CountryTranslation")
    for record in load_country_records():
        country, _ = Country.objects.update_or_create(
            alpha2=record.alpha2,
            defaults={
                "alpha3": record.alpha3,
                "numeric": record.numeric,
                "status": record.status,
                "regional_group": record.regional_group,
            },
        )
        for language, name in record.names.items():
            CountryTranslation.objects.update_or_create(
                master=country, language=language, defaults={"name": name, "status": "current"}
            )


def unload(apps, schema_editor):
    apps.get_model("core", "Country").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
