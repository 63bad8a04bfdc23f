#!/usr/bin/env bash
# Restore a backup.sh archive into an EMPTY database (create it first), in one transaction: either every table
# and row is restored or nothing is.
#
#   deploy/backup/restore.sh <archive> <postgres-url-of-an-empty-database>
#   createdb -h 127.0.0.1 -U postgres -O wolaro wolaro_restored
#   deploy/backup/restore.sh backups/wolaro.dump postgresql://wolaro:secret@127.0.0.1:5432/wolaro_restored
#
# Then point DATABASE_URL at it (or rename the databases) and start Wolaro: the restored schema carries its
# Alembic revisions, so `wolaro migrate` afterwards applies only what a newer version adds.
set -euo pipefail

archive=${1:?usage: restore.sh <archive> <postgres-url>}
url=${2:?usage: restore.sh <archive> <postgres-url>}
url=${url/postgresql+asyncpg:/postgresql:}

tables=$(psql --no-psqlrc --tuples-only --no-align --dbname="$url" \
  --command="SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')")
if [ "$tables" != "0" ]; then
  echo "restore.sh: the target database already has $tables tables; restore into a new, empty database" >&2
  exit 1
fi
pg_restore --exit-on-error --single-transaction --no-owner --no-privileges --dbname="$url" "$archive"
echo "restored $archive"
