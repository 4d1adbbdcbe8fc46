#!/usr/bin/env bash
# Run the whole test suite: first the layer contracts (import-linter, pyproject.toml), then pytest on SQLite
# and on a real PostgreSQL server started here (and stopped after), then schemathesis against the served
# OpenAPI document on both databases (scripts/fuzz_api.py; skipped when pytest is given arguments).
# REQUIRE_POSTGRES=1 / REQUIRE_BROWSER=1 turn "skipped because it is missing" into a failure (CI sets both).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "Checking the layers (lint-imports)"
.venv/bin/lint-imports --no-cache
exec scripts/with-postgres.sh bash -c '
  set -euo pipefail
  .venv/bin/python -m pytest "$@"
  if [ "$#" -eq 0 ]; then
    echo "Fuzzing the API (schemathesis) on SQLite"
    .venv/bin/python scripts/fuzz_api.py
    if [ -n "${TEST_DATABASE_URL:-}" ]; then
      echo "Fuzzing the API (schemathesis) on PostgreSQL"
      .venv/bin/python scripts/fuzz_api.py --database-url "$TEST_DATABASE_URL"
    elif [ "${REQUIRE_POSTGRES:-}" = 1 ]; then
      echo "PostgreSQL is required (REQUIRE_POSTGRES=1) but TEST_DATABASE_URL is not set" >&2; exit 1
    fi
  fi
' bash "$@"
