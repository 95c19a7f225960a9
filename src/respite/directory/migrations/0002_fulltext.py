"""Keyword index: an FTS5 table kept in sync by triggers on SQLite (PostgreSQL uses its own full-text
functions at query time, see search.keyword_scores)."""

from django.db import migrations

FTS = "directory_service_fts"
CREATE = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5(search_text, content='directory_service', "
    "content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER IF NOT EXISTS directory_service_ai AFTER INSERT ON directory_service BEGIN "
    f"INSERT INTO {FTS}(rowid, search_text) VALUES (new.rowid, new.search_text); END",
    f"CREATE TRIGGER IF NOT EXISTS directory_service_ad AFTER DELETE ON directory_service BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, search_text) VALUES ('delete', old.rowid, old.search_text); END",
    f"CREATE TRIGGER IF NOT EXISTS directory_service_au AFTER UPDATE OF search_text ON directory_service BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, search_text) VALUES ('delete', old.rowid, old.search_text); "
    f"INSERT INTO {FTS}(rowid, search_text) VALUES (new.rowid, new.search_text); END",
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",
]
DROP = ["DROP TRIGGER IF EXISTS directory_service_ai", "DROP TRIGGER IF EXISTS directory_service_ad",
        "DROP TRIGGER IF EXISTS directory_service_au", f"DROP TABLE IF EXISTS {FTS}"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        with schema_editor.connection.cursor() as cur:
            cur.execute("SELECT sqlite_compileoption_used('ENABLE_FTS5')")
            if not cur.fetchone()[0]:
                return  # no FTS5 in this SQLite build: search falls back to a plain scan
            for sql in statements:
                cur.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]
    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
