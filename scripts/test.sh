#!/usr/bin/env bash
# Run the whole test suite: first the layer contracts (import-linter, pyproject.toml), then schemathesis against
# the served OpenAPI document on both databases at once (scripts/fuzz_api.py; skipped when pytest is given
# arguments), then pytest on SQLite and on a real PostgreSQL server started here (and stopped after), spread over
# TEST_WORKERS processes (pytest-xdist; default 2, this machine's cores). COVERAGE=1 adds the line coverage of
# campaigns/. REQUIRE_POSTGRES=1 / REQUIRE_BROWSER=1 turn "skipped because it is missing" into a failure (CI sets both).
# The wall time is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
echo "Checking the layers (lint-imports)"
.venv/bin/lint-imports --no-cache
set +e
scripts/with-postgres.sh bash -c '
  set -uo pipefail
  fuzz=0
  if [ "$#" -eq 0 ]; then
    # Both fuzzes run side by side, each with its own server; pytest runs last, so the run ends with its
    # summary line (what CI reads).
    logs="$(mktemp -d)"
    echo "Fuzzing the API (schemathesis) on SQLite and PostgreSQL"
    .venv/bin/python scripts/fuzz_api.py > "$logs/sqlite" 2>&1 & sqlite_fuzz=$!
    if [ -n "${TEST_DATABASE_URL:-}" ]; then
      .venv/bin/python scripts/fuzz_api.py --database-url "$TEST_DATABASE_URL" > "$logs/postgresql" 2>&1 & pg_fuzz=$!
      wait "$pg_fuzz" || { echo "--- the PostgreSQL fuzz failed:"; cat "$logs/postgresql"; fuzz=1; }
      tail -n 3 "$logs/postgresql"
    elif [ "${REQUIRE_POSTGRES:-}" = 1 ]; then
      echo "PostgreSQL is required (REQUIRE_POSTGRES=1) but TEST_DATABASE_URL is not set" >&2; fuzz=1
    fi
    wait "$sqlite_fuzz" || { echo "--- the SQLite fuzz failed:"; cat "$logs/sqlite"; fuzz=1; }
    tail -n 3 "$logs/sqlite"
    rm -rf "$logs"
  fi
  coverage=()
  if [ "${COVERAGE:-}" = 1 ]; then coverage=(--cov=campaigns --cov-report=term:skip-covered); fi
  .venv/bin/python -m pytest -n "${TEST_WORKERS:-2}" --dist loadgroup "${coverage[@]}" "$@"; status=$?
  if [ "$fuzz" -ne 0 ]; then
    echo "The API fuzz (schemathesis) failed: see its report above" >&2
    [ "$status" -ne 0 ] || status=1
  fi
  exit "$status"
' bash "$@"
status=$?
elapsed=$((SECONDS - started))
printf "make test took %d min %02d s\n" $((elapsed / 60)) $((elapsed % 60)) >&2
exit "$status"
