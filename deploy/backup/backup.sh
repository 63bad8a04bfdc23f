#!/usr/bin/env bash
# Back up Wolaro's PostgreSQL database to one pg_dump archive (custom format: compressed, restorable table by
# table, readable by pg_restore of the same or a newer PostgreSQL).
#
#   deploy/backup/backup.sh <postgres-url> [archive]
#   deploy/backup/backup.sh postgresql://wolaro:secret@127.0.0.1:5432/wolaro backups/wolaro.dump
#
# The URL is libpq's (postgresql://...), not SQLAlchemy's (no +asyncpg). pg_dump takes a consistent snapshot:
# the bot, API and workers keep running. The archive is written beside its final name and renamed only once
# pg_restore has read its table of contents, so a failed backup never leaves a truncated archive behind.
set -euo pipefail

url=${1:?usage: backup.sh <postgres-url> [archive]}
archive=${2:-wolaro-$(date -u +%Y%m%dT%H%M%SZ).dump}
url=${url/postgresql+asyncpg:/postgresql:}

partial="$archive.partial"
trap 'rm -f "$partial"' EXIT
pg_dump --format=custom --compress=6 --no-owner --no-privileges --file="$partial" --dbname="$url"
pg_restore --list "$partial" >/dev/null
mv "$partial" "$archive"
trap - EXIT
echo "$archive"
