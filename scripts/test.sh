#!/usr/bin/env bash
# Run the whole test suite: on SQLite, and on a real PostgreSQL server started here (and stopped after).
# REQUIRE_POSTGRES=1 / REQUIRE_BROWSER=1 turn "skipped because it is missing" into a failure (CI sets both).
set -euo pipefail
cd "$(dirname "$0")/.."
exec scripts/with-postgres.sh .venv/bin/python -m pytest "$@"
