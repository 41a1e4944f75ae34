#!/usr/bin/env bash
# Production serving, as the README shows it: check the backends, migrate, collect static files,
# then gunicorn with several workers. All configuration comes from the environment (README,
# "Configuration"); this script adds only where gunicorn listens and how many workers it runs:
#   BIND     address:port gunicorn listens on (default 127.0.0.1:8000; behind nginx, keep loopback)
#   WORKERS  gunicorn worker processes (default 4)
#   PYTHON   the interpreter with the requirements installed (default .venv/bin/python)
#   MIGRATE  1 (default) runs `migrate`; with several app hosts, set 0 on all but one
# The systemd unit (deploy/sparksso.service) and `make smoke` run exactly this script.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-.venv/bin/python}"
export SPARKSSO_MODE="${SPARKSSO_MODE:-production}"

# One line naming DATABASE_URL or CACHE_URL, and exit 4, when either cannot be used.
"$PYTHON" -m sparksso.preflight --before-migrate
if [ "${MIGRATE:-1}" = 1 ]; then "$PYTHON" manage.py migrate --noinput -v0; fi
"$PYTHON" manage.py collectstatic --noinput -v0

# gunicorn.conf.py: --preload (the backend check runs once, in the master), no control socket,
# a 20 s graceful timeout, no access log (sparksso logs one JSON line per request itself).
exec "$PYTHON" -m gunicorn sparksso.wsgi \
  --config gunicorn.conf.py \
  --bind "${BIND:-127.0.0.1:8000}" \
  --workers "${WORKERS:-4}" \
  "$@"
