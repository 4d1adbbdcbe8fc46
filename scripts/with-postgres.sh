#!/usr/bin/env bash
# Run a command with a throw-away PostgreSQL server on loopback, stopped afterwards:
#   scripts/with-postgres.sh CMD ARGS…   (CMD sees TEST_DATABASE_URL; without PostgreSQL it runs without it)
# pg_ctl refuses to run as root, so as root the server runs as the postgres user.
set -euo pipefail
PG_PORT="${PG_PORT:-54329}"
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)}"
PG_DIR=""

as_pg() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$1"; else bash -c "$1"; fi
}

stop_pg() {
  local status=$?
  if [ "$status" != 0 ] && [ -n "$PG_DIR" ] && [ -f "$PG_DIR/log" ]; then
    # A failed run shows what the server itself saw go wrong (deadlocks, refused connections), which the
    # client's error names only by its class.
    grep -E "deadlock|FATAL|too many|DETAIL:  Process" "$PG_DIR/log" | tail -n 20 | sed 's/^/postgresql log: /' || true
  fi
  if [ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ]; then
    as_pg "'$PG_BIN/pg_ctl' -D '$PG_DIR/data' -m immediate stop" >/dev/null 2>&1 || true
  fi
  if [ -n "$PG_DIR" ]; then rm -rf "$PG_DIR"; fi
}
trap stop_pg EXIT

if [ -z "${TEST_DATABASE_URL:-}" ] && [ -n "$PG_BIN" ] && [ -x "$PG_BIN/pg_ctl" ]; then
  PG_DIR="$(mktemp -d /tmp/reciprocate-pg.XXXXXX)"
  if [ "$(id -u)" = 0 ]; then chown postgres "$PG_DIR"; fi
  as_pg "'$PG_BIN/initdb' -D '$PG_DIR/data' -U postgres --auth=trust >/dev/null"
  as_pg "'$PG_BIN/pg_ctl' -D '$PG_DIR/data' -l '$PG_DIR/log' -w -o \"-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200\" start >/dev/null"
  export TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/postgres"
  echo "PostgreSQL started on port $PG_PORT"
elif [ -z "${TEST_DATABASE_URL:-}" ]; then
  echo "PostgreSQL binaries not found: running without PostgreSQL"
fi

"$@"
