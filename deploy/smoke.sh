#!/usr/bin/env bash
# `make smoke`: the README's production setup, started and exercised over HTTP.
# A fresh PostgreSQL database, the Redis cache, deploy/serve.sh (collectstatic, migrate, gunicorn
# with WORKERS workers in SPARKSSO_MODE=production) on 127.0.0.1:SMOKE_PORT, then the scenario in
# tests/smoke/scenario.py. Everything it starts (the server, the database) is stopped on exit.
#
#   SMOKE_PORT       where gunicorn listens (default 8280)
#   SMOKE_PG         PostgreSQL server URL without a database (default postgres://postgres@127.0.0.1:5432)
#   SMOKE_DB         database name to create and drop (default sparksso_smoke_<pid>)
#   SMOKE_REDIS_URL  the cache (default redis://127.0.0.1:6379/0); not flushed: keys expire
#   WORKERS          gunicorn workers (default 4)
#
# Plain http on loopback: BASE_URL=http://127.0.0.1:SMOKE_PORT is the URL the scenario reaches, so
# SAML destinations and audiences match it. An http BASE_URL (allowed by ALLOW_INSECURE_BASE_URL=true,
# which production otherwise refuses) turns off the Secure cookie flag and HSTS, nothing else;
# `check --deploy` is then run separately with an https BASE_URL, as a real deployment behind TLS has.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-.venv/bin/python}"
PORT="${SMOKE_PORT:-8280}"
PG="${SMOKE_PG:-postgres://postgres@127.0.0.1:5432}"
DB="${SMOKE_DB:-sparksso_smoke_$$}"
WORKERS="${WORKERS:-4}"
BASE="http://127.0.0.1:$PORT"
work="$(mktemp -d "${TMPDIR:-/tmp}/sparksso-smoke.XXXXXX")"
server_pid=""

fail() { echo "smoke: FAILED: $*" >&2; exit 1; }

cleanup() {
  status=$?
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM -- "-$server_pid" 2>/dev/null || true  # its own process group (setsid below)
    for _ in $(seq 1 30); do kill -0 "$server_pid" 2>/dev/null || break; sleep 1; done
    kill -KILL -- "-$server_pid" 2>/dev/null || true
  fi
  psql "$PG/postgres" -q -c "DROP DATABASE IF EXISTS \"$DB\"" >/dev/null 2>&1 || true
  if [ "$status" -ne 0 ] && [ -f "$work/server.log" ]; then
    echo "--- last lines of the server log" >&2; tail -n 40 "$work/server.log" >&2
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pg_isready -d "$PG/postgres" -q || fail "PostgreSQL does not answer at $PG"
redis_url="${SMOKE_REDIS_URL:-redis://127.0.0.1:6379/0}"
redis-cli -u "$redis_url" ping >/dev/null 2>&1 || fail "Redis does not answer at $redis_url"
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then fail "port $PORT is already in use (set SMOKE_PORT)"; fi
psql "$PG/postgres" -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$DB\"" -c "CREATE DATABASE \"$DB\"" >/dev/null

export SPARKSSO_MODE=production
SECRET_KEY="$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(50))')"
# Loopback http, said explicitly: production refuses an http BASE_URL without it.
export SECRET_KEY BASE_URL="$BASE" ALLOW_INSECURE_BASE_URL=true DATABASE_URL="$PG/$DB" CACHE_URL="$redis_url"
export SPARKSSO_VAR_DIR="$work/var" PYTHON
unset LOG_FORMAT ALLOWED_HOSTS DEBUG  # the production defaults

echo "== serve: deploy/serve.sh, $WORKERS workers on $BASE (PostgreSQL $DB, Redis $redis_url)"
: >"$work/server.log"
BIND="127.0.0.1:$PORT" WORKERS="$WORKERS" setsid bash deploy/serve.sh >>"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
  kill -0 "$server_pid" 2>/dev/null || fail "the server exited: $(grep -v '^\[' "$work/server.log" | tail -n 3)"
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200 ] && break
  sleep 0.5
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200 ] || fail "/healthz never answered 200"
booted="$(grep -c 'Booting worker' "$work/server.log" || true)"
[ "$booted" -ge "$WORKERS" ] || fail "gunicorn booted $booted workers, expected $WORKERS"

echo "== scenario: tests/smoke/scenario.py"
# pysaml2 (the test IdP) imports a cipher mode from its deprecated place; not ours to fix.
PYTHONWARNINGS="ignore:CFB has been moved" \
  "$PYTHON" -m tests.smoke.scenario --base-url "$BASE" --server-log "$work/server.log" --workers "$WORKERS"
