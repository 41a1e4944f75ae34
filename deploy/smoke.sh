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
#   SMOKE_FAULTS     1 (default): then the short fault run (bench/fault_load.py, about a minute) on a
#                    private PostgreSQL cluster and redis-server of its own; 0 skips it
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
faults_pid=""
faults_dir=""
PG_BIN="${SPARKSSO_PG_BIN:-/usr/lib/postgresql/15/bin}"

fail() { echo "smoke: FAILED: $*" >&2; exit 1; }

stop_group() {  # a process group started with setsid: TERM, up to 30 s, then KILL
  local pid="$1"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
}

cleanup() {
  status=$?
  stop_group "$server_pid"
  stop_group "$faults_pid"
  # A fault run killed before its own cleanup leaves its private PostgreSQL and Redis: stop them.
  for data in "${faults_dir:-/nonexistent}"/*/pg/data; do
    [ -f "$data/postmaster.pid" ] || continue
    as_pg=(); [ "$(id -u)" = 0 ] && as_pg=(runuser -u postgres --)
    "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  done
  for pidfile in "${faults_dir:-/nonexistent}"/*/redis/redis.pid; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  [ -n "$faults_dir" ] && rm -rf "$faults_dir"
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

if [ "${SMOKE_FAULTS:-1}" = 1 ]; then
  echo "== faults: Redis stopped, PostgreSQL restarted, a worker killed, under load (bench/fault_load.py)"
  # Its own redis-server and PostgreSQL cluster in $faults_dir (never the shared ones above), its own
  # gunicorn on a free port; the run fails on any 500, traceback, lost, duplicated or replayed sign-in,
  # or wrong /healthz sample. Bounded: the run is 24 s of load, killed after 4 minutes whatever happens.
  faults_port="$("$PYTHON" -c 'from bench.faults import free_port; print(free_port(8390))')"
  faults_dir="$(mktemp -d "${TMPDIR:-/tmp}/sparksso-faults.XXXXXX")"
  chmod 755 "$faults_dir"  # the postgres account runs the cluster inside it
  SPARKSSO_FAULTS_DIR="$faults_dir" SPARKSSO_BENCH_PORT="$faults_port" \
    setsid env -u CACHE_URL -u DATABASE_URL -u SECRET_KEY -u SPARKSSO_MODE -u BASE_URL -u ALLOW_INSECURE_BASE_URL \
    -u SPARKSSO_VAR_DIR timeout 240 "$PYTHON" -m bench --faults --load-seconds 24 --load-clients 8 \
    --load-workers "$WORKERS" --load-users 500 &
  faults_pid=$!
  wait "$faults_pid" || fail "the fault run found a problem (above)"
  faults_pid=""
fi
