#!/usr/bin/env bash
# Run the whole test suite: first the layer contracts (import-linter, pyproject.toml), then schemathesis
# against the served OpenAPI document on both databases (scripts/fuzz_api.py; skipped when pytest is given
# arguments), then pytest on SQLite and on a real PostgreSQL server started here (and stopped after).
# REQUIRE_POSTGRES=1 / REQUIRE_BROWSER=1 turn "skipped because it is missing" into a failure (CI sets both).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "Checking the layers (lint-imports)"
.venv/bin/lint-imports --no-cache
exec scripts/with-postgres.sh bash -c '
  set -uo pipefail
  fuzz=0
  if [ "$#" -eq 0 ]; then
    # The fuzz runs first so that the run ends with the pytest summary line (what CI reads).
    echo "Fuzzing the API (schemathesis) on SQLite"
    .venv/bin/python scripts/fuzz_api.py || fuzz=1
    if [ -n "${TEST_DATABASE_URL:-}" ]; then
      echo "Fuzzing the API (schemathesis) on PostgreSQL"
      .venv/bin/python scripts/fuzz_api.py --database-url "$TEST_DATABASE_URL" || fuzz=1
    elif [ "${REQUIRE_POSTGRES:-}" = 1 ]; then
      echo "PostgreSQL is required (REQUIRE_POSTGRES=1) but TEST_DATABASE_URL is not set" >&2; fuzz=1
    fi
  fi
  .venv/bin/python -m pytest "$@"; status=$?
  if [ "$fuzz" -ne 0 ]; then
    echo "The API fuzz (schemathesis) failed: see its report above" >&2
    [ "$status" -ne 0 ] || status=1
  fi
  exit "$status"
' bash "$@"
