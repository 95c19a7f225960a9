"""PostgreSQL keyword index: a stored tsvector of ``search_text`` with a GIN index, so keyword search
ranks only the matching rows from the index instead of running to_tsvector over every service on
every query. Nothing happens on SQLite (it has its FTS5 table, see 0002_fulltext)."""

from django.db import migrations

COLUMN = "search_tsv"
CREATE = [
    f"ALTER TABLE directory_service ADD COLUMN IF NOT EXISTS {COLUMN} tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english'::regconfig, COALESCE(search_text, ''))) STORED",
    f"CREATE INDEX IF NOT EXISTS directory_service_search_tsv ON directory_service USING gin ({COLUMN})",
]
DROP = [
    "DROP INDEX IF EXISTS directory_service_search_tsv",
    f"ALTER TABLE directory_service DROP COLUMN IF EXISTS {COLUMN}",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cur:
            for sql in statements:
                cur.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("directory", "0003_search_indexes")]
    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
