#!/usr/bin/env bash
# Run the whole test suite: first the layer contracts (import-linter, pyproject.toml), then pytest on SQLite
# and on a real PostgreSQL server started here (and stopped after).
# REQUIRE_POSTGRES=1 / REQUIRE_BROWSER=1 turn "skipped because it is missing" into a failure (CI sets both).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "Checking the layers (lint-imports)"
.venv/bin/lint-imports --no-cache
exec scripts/with-postgres.sh .venv/bin/python -m pytest "$@"
