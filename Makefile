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

.PHONY: run test lint format bench bootstrap bootstrap-run apt clean

bootstrap: apt $(STAMP)

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

lint: bootstrap
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: bootstrap
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: bootstrap
	$(PY) -m bench

clean:
	rm -rf $(VENV) var
