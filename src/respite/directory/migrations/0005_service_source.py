"""Service.source: the document an entry was copied from, until a person verifies it.

SQLite adds the column by rebuilding the table, which drops the FTS5 triggers of 0002: recreate them
and rebuild the keyword index (a no-op on PostgreSQL)."""

import importlib

from django.db import migrations, models

_fulltext = importlib.import_module("respite.directory.migrations.0002_fulltext")


class Migration(migrations.Migration):
    dependencies = [("directory", "0004_postgres_search_vector")]

    operations = [
        migrations.AddField(
            model_name="service",
            name="source",
            field=models.CharField(blank=True, max_length=300, verbose_name="source document"),
        ),
        migrations.RunPython(_fulltext._run(_fulltext.CREATE), migrations.RunPython.noop),
    ]
