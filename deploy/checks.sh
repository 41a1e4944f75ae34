#!/usr/bin/env bash
# The deployment files, checked by the tools that read them (part of `make smoke`):
#   - each systemd unit's sandbox: `systemd-analyze security --offline=true` must score 3 or below
#     when systemd-analyze is installed; otherwise the score is said to be unmeasured (the score is
#     read from its report: --threshold counts on a 0-100 scale in some versions, 0-10 in others);
#   - deploy/nginx.conf: `nginx -t` when nginx is installed (NGINX_BIN names another binary), inside a
#     minimal http block, with a throw-away certificate and log paths in a temporary directory.
# Nothing is installed, started or left behind.
set -euo pipefail
cd "$(dirname "$0")/.."

NGINX_BIN="${NGINX_BIN:-nginx}"
NGINX_CONF="${NGINX_CONF:-deploy/nginx.conf}"  # another file to check (the tests try a broken one)
work="$(mktemp -d "${TMPDIR:-/tmp}/sparksso-deploy-checks.XXXXXX")"
trap 'rm -rf "$work"' EXIT

if command -v systemd-analyze >/dev/null 2>&1; then
  for unit in deploy/sparksso.service deploy/sparksso-prune.service; do
    report="$(systemd-analyze security --offline=true "$unit" 2>&1)" \
      || { echo "deploy: FAILED: systemd-analyze security --offline=true $unit: $report" >&2; exit 1; }
    score="$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p' <<<"$report")"
    if [ -z "$score" ] || awk -v s="$score" 'BEGIN { exit !(s > 3) }'; then
      echo "deploy: FAILED: $unit exposure ${score:-unreadable} is over 3 (systemd-analyze security --offline=true $unit)" >&2
      exit 1
    fi
    echo "deploy: $unit exposure $score (at most 3)"
  done
else
  echo "deploy: systemd-analyze not installed: the units' exposure score is unmeasured here"
fi

if command -v "$NGINX_BIN" >/dev/null 2>&1; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "/CN=sso.example.com" \
    -keyout "$work/privkey.pem" -out "$work/fullchain.pem" >/dev/null 2>&1
  sed -e "s#/etc/letsencrypt/live/sso.example.com/#$work/#g" -e "s#/var/log/nginx/#$work/#g" "$NGINX_CONF" \
    >"$work/sparksso.conf"
  cat >"$work/nginx.conf" <<CONF
pid $work/nginx.pid;
error_log $work/error.log;
events {}
http {
    access_log $work/access.log;
    client_body_temp_path $work/body;
    proxy_temp_path $work/proxy;
    fastcgi_temp_path $work/fastcgi;
    uwsgi_temp_path $work/uwsgi;
    scgi_temp_path $work/scgi;
    include $work/sparksso.conf;
}
CONF
  if ! output="$("$NGINX_BIN" -t -q -p "$work" -e "$work/error.log" -c "$work/nginx.conf" 2>&1)"; then
    echo "deploy: FAILED: nginx -t on $NGINX_CONF: $output" >&2
    exit 1
  fi
  echo "deploy: nginx -t accepts $NGINX_CONF ($("$NGINX_BIN" -v 2>&1))"
else
  echo "deploy: nginx not installed: $NGINX_CONF not checked by nginx -t here"
fi
