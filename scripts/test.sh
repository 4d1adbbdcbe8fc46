#!/usr/bin/env bash
# Run the whole test suite: first the layer contracts (import-linter, pyproject.toml); then pytest on SQLite and on
# a real PostgreSQL server started here (and stopped after), spread over TEST_WORKERS processes (pytest-xdist;
# default 2, this machine's cores), while schemathesis fuzzes the served OpenAPI document on both databases in the
# background (scripts/fuzz_api.py; skipped when pytest is given arguments). COVERAGE=1 adds the line coverage of
# campaigns/. REQUIRE_POSTGRES=1 / REQUIRE_BROWSER=1 / REQUIRE_REDIS=1 turn "skipped because it is missing" into a
# failure (CI sets all three; the tests start their own redis-server on a free port and stop it). The fuzzes' reports are shown only when they fail, so the run's last summary line is pytest's (what CI
# reads); the wall time is printed at the very end.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
echo "Checking the layers (lint-imports)"
.venv/bin/lint-imports --no-cache
set +e
scripts/with-postgres.sh bash -c '
  set -uo pipefail
  logs="$(mktemp -d)"
  fuzzes=()
  if [ "$#" -eq 0 ]; then
    echo "Fuzzing the API (schemathesis) on SQLite and PostgreSQL in the background"
    .venv/bin/python scripts/fuzz_api.py > "$logs/sqlite" 2>&1 & fuzzes+=("sqlite:$!")
    if [ -n "${TEST_DATABASE_URL:-}" ]; then
      .venv/bin/python scripts/fuzz_api.py --database-url "$TEST_DATABASE_URL" > "$logs/postgresql" 2>&1 &
      fuzzes+=("postgresql:$!")
    elif [ "${REQUIRE_POSTGRES:-}" = 1 ]; then
      echo "PostgreSQL is required (REQUIRE_POSTGRES=1) but TEST_DATABASE_URL is not set" >&2; echo 1 > "$logs/missing"
    fi
  fi
  coverage=()
  if [ "${COVERAGE:-}" = 1 ]; then coverage=(--cov=campaigns --cov-report=term:skip-covered); fi
  .venv/bin/python -m pytest -n "${TEST_WORKERS:-2}" --dist worksteal "${coverage[@]}" "$@"; status=$?
  fuzz=0
  [ -e "$logs/missing" ] && fuzz=1
  for entry in "${fuzzes[@]}"; do
    name="${entry%%:*}"
    if wait "${entry#*:}"; then
      # Said without the words of a pytest summary (N passed), so that CI still reads the summary of pytest.
      echo "API fuzz on $name: no failure in $(grep -o "test cases [0-9]* generated" "$logs/$name" | grep -o "[0-9]*" || echo "?") cases"
    else
      echo "--- the API fuzz on $name failed:"; cat "$logs/$name"; fuzz=1
    fi
  done
  rm -rf "$logs"
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
