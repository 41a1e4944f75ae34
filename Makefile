# sparksso: `make run` serves the app with a demo account; `make test` runs the whole suite.
# Both bootstrap everything from a fresh clone: Debian packages (when run as root), .venv,
# the pinned requirements.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Absolute URLs (SP entity id, ACS) come from BASE_URL; by default, where `make run` listens.
BASE_URL ?= http://$(HOST):$(PORT)
# Debian packages the tests and dev tools need (`make run` needs none): xmlsec1 (the independent test IdP signs through it) and
# chromium (browser tests).
APT_PACKAGES := xmlsec1 chromium
# Two stamps: `make run` installs only the runtime requirements; test/lint/bench add the dev ones.
STAMP_RUN := $(VENV)/.installed-run
STAMP := $(VENV)/.installed
# axe-core (the accessibility rules the browser tests run in each page), pinned, from the npm
# registry into var/node/ (tests/browser/test_pages_browser.py reads axe.min.js from there).
AXE_VERSION := 4.14.1
AXE_DIR := var/node
AXE_STAMP := $(AXE_DIR)/.axe-core-$(AXE_VERSION)

.PHONY: run test idp lint format bench smoke screenshots bootstrap bootstrap-run apt clean

bootstrap: apt $(STAMP) $(AXE_STAMP)

bootstrap-run: $(STAMP_RUN)

apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "warning: missing Debian packages:$$missing (run make as root, or apt-get install them)"; \
	  fi; \
	fi

$(AXE_STAMP):
	@command -v npm >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq npm >/dev/null; } \
	  || echo "warning: npm is missing (run make as root, or install npm): the accessibility tests will fail"
	mkdir -p $(AXE_DIR)
	npm install --silent --no-audit --no-fund --prefix $(AXE_DIR) axe-core@$(AXE_VERSION)
	touch $(AXE_STAMP)

$(STAMP_RUN): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $(STAMP_RUN)

$(STAMP): $(STAMP_RUN) requirements-dev.txt
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

run: bootstrap-run
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_setup
	@echo "Serving on http://$(HOST):$(PORT)/login"
	BASE_URL=$(BASE_URL) $(PY) manage.py runserver $(HOST):$(PORT)

test: bootstrap
	$(PY) -m pytest $(PYTEST_ARGS)

# The development IdP (devidp/, not part of the product): plays JumpCloud's part on this machine.
# Its key pair is generated once into var/devidp/ and kept. Refuses SPARKSSO_MODE=production.
# It needs the dev requirements (pysaml2) and xmlsec1, hence `bootstrap`, not `bootstrap-run`.
IDP_PORT ?= 8001
idp: bootstrap
	IDP_PORT=$(IDP_PORT) $(PY) -m devidp

# The README walkthrough's pictures (docs/walkthrough/), regenerated from the real pages: sparksso
# on 127.0.0.1:8100 and the dev IdP on 127.0.0.1:8101, a fresh database, the walkthrough typed as the
# README says (tests/browser/walkthrough.py). Needs chromium (bootstrap installs it as root).
screenshots: bootstrap
	$(PY) -m tests.browser.screenshots --out docs/walkthrough

lint: bootstrap
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: bootstrap
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# `make bench`: every benchmark on SQLite, then scale, import and load on PostgreSQL with Redis
# (BENCH_PG; Redis DB 2), then the pictures in docs/performance/. 15 minutes on two idle cores, up to an hour on two busy
# shared cores, most of it the 100,000-user runs. Smaller: make bench BENCH_ARGS="--sizes 1000,10000 --import-sizes 1000,10000".
# The peers (django-scim2, python3-saml, djangosaml2, the floor) get their own venv: var/bench-peers-venv.
# The SQLite line includes `scimlog` (bench/scim_log.py): the SCIM request log on and off, the cost issue 22 caps at 10 %.
BENCH_PG ?= postgres://postgres@127.0.0.1:5432/sparksso_bench
BENCH_ARGS ?=
bench: bootstrap
	DATABASE_URL= $(PY) -m bench $(BENCH_ARGS)
	DATABASE_URL=$(BENCH_PG) $(PY) -m bench --only scale,import,load $(BENCH_ARGS)
	$(PY) -m bench.charts
	$(PY) -m bench.verdicts

# The README's production setup (deploy/serve.sh: gunicorn, 4 workers, PostgreSQL, Redis) started
# and exercised over HTTP; needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (see
# deploy/smoke.sh for SMOKE_PORT, SMOKE_REDIS_URL, ...). First deploy/checks.sh: the systemd units'
# sandbox score (systemd-analyze) and `nginx -t` on deploy/nginx.conf, each when the tool is
# installed (neither is installed for this: nginx would lengthen every CI run).
smoke: bootstrap
	bash deploy/checks.sh
	PYTHON=$(PY) bash deploy/smoke.sh

clean:
	rm -rf $(VENV) var
