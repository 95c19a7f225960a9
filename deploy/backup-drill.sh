#!/usr/bin/env bash
# Back up a Respite PostgreSQL database and prove the backup restores: dump, restore into a scratch
# database, compare every table's row count and content digest, drop the scratch database.
#
#   deploy/backup-drill.sh DATABASE BACKUP_DIR
#
# Connection settings come from libpq's environment (PGHOST, PGPORT, PGUSER, PGPASSWORD or ~/.pgpass);
# the user needs CREATEDB for the scratch database. The dump is kept in BACKUP_DIR as
# DATABASE-YYYY-MM-DDTHHMMSSZ.dump (pg_dump's custom format; restore with pg_restore).
#
# The digests of the source are taken inside the snapshot pg_dump reads, so writes made while the drill
# runs (sessions, new screenings) do not cause false alarms. Exit status: 0 when every table matches,
# 1 when any differs or a step fails. Run it nightly, or at least before every upgrade.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 DATABASE BACKUP_DIR" >&2
    exit 2
fi
source_db=$1
backup_dir=$2
scratch_db="${RESPITE_DRILL_DATABASE:-${source_db}_drill_$$}"
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
dump="$backup_dir/$source_db-$stamp.dump"
psql_opts=(-X -q -A -t -v ON_ERROR_STOP=1)
started=$SECONDS

umask 077  # a dump holds encrypted free text and every access-code hash
mkdir -p "$backup_dir"

# One query that lists, for every table in the public schema, its name, row count and an
# order-independent digest of its rows (md5 of the sorted md5s of each row's text form).
digest_sql=$(psql "${psql_opts[@]}" -d "$source_db" <<'SQL'
SELECT coalesce(string_agg(
    format('SELECT %L AS t, count(*) AS n, md5(coalesce(string_agg(md5(r::text), '''' ORDER BY md5(r::text)), '''')) FROM %I.%I r',
           c.relname, n.nspname, c.relname),
    ' UNION ALL ' ORDER BY c.relname) || ' ORDER BY 1', 'SELECT 1 WHERE false')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p');
SQL
)

# Hold a repeatable-read transaction open, export its snapshot, dump from that snapshot and take the
# source digests in the same transaction.
coproc SNAPSHOT { psql "${psql_opts[@]}" -d "$source_db"; }
# Bash unsets SNAPSHOT and SNAPSHOT_PID as soon as psql exits: keep our own copies.
snapshot_pid=$SNAPSHOT_PID
exec {to_snapshot}>&"${SNAPSHOT[1]}" {from_snapshot}<&"${SNAPSHOT[0]}"
echo "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT pg_export_snapshot();" >&"$to_snapshot"
read -r snapshot <&"$from_snapshot"
pg_dump --format=custom --snapshot="$snapshot" --file="$dump" "$source_db"
printf '%s;\nSELECT %s;\n' "$digest_sql" "'-- end --'" >&"$to_snapshot"
source_digests=""
while read -r line <&"$from_snapshot"; do
    [[ $line == "-- end --" ]] && break
    source_digests+="$line"$'\n'
done
printf 'COMMIT;\n\\q\n' >&"$to_snapshot"
exec {to_snapshot}>&- {from_snapshot}<&-
wait "$snapshot_pid" 2>/dev/null || true

# createdb refuses a name that exists, so the drill never restores over (or drops) a real database.
createdb "$scratch_db"
cleanup() { dropdb --if-exists "$scratch_db" >/dev/null 2>&1 || true; }
trap cleanup EXIT
pg_restore --exit-on-error --no-owner --dbname="$scratch_db" "$dump"
restored_digests=$(psql "${psql_opts[@]}" -d "$scratch_db" -c "$digest_sql")$'\n'

tables=$(grep -c . <<<"$source_digests" || true)
rows=$(awk -F'|' '{ s += $2 } END { print s + 0 }' <<<"$source_digests")
size=$(du -h "$dump" | cut -f1)
if [[ "$source_digests" != "$restored_digests" ]]; then
    echo "FAILED: the restored copy differs from $source_db in these tables:" >&2
    diff <(cut -d'|' -f1,2 <<<"$source_digests") <(cut -d'|' -f1,2 <<<"$restored_digests") >&2 || true
    diff <(cut -d'|' -f1 <<<"$source_digests" | sort) <(cut -d'|' -f1 <<<"$restored_digests" | sort) >&2 || true
    comm -3 <(sort <<<"$source_digests") <(sort <<<"$restored_digests") | cut -d'|' -f1 | sort -u >&2
    exit 1
fi
echo "OK: $dump ($size) restores into a scratch database; $tables tables, $rows rows match ($((SECONDS - started)) s)."
