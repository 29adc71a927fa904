# Two commands matter (see README): `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
# The PostgreSQL that `make test` also runs the suite against.
PG_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: install chromium wrk run lint check-deploy test test-sqlite test-postgres bench

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet ".[dev]"
	touch $@

install: $(VENV)/.installed

# The browser tests drive Debian's Chromium; install it when it is missing (needs root or sudo).
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@test -x $(CHROMIUM) || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

## Set up, migrate, seed the demo accounts and serve on http://127.0.0.1:8000
run: install
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py seed_demo
	@echo "Portal: http://127.0.0.1:8000/  (Ctrl-C to stop)"
	DEBUG=true OAUTH_ALLOW_LOOPBACK_HTTP=true $(PY) manage.py runserver 127.0.0.1:8000

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## manage.py check --deploy with production-like settings (throwaway keys)
check-deploy: install
	DEBUG=false ALLOWED_HOSTS=portal.example.com DATABASE_URL= \
	SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	APP_SECRET_KEYS="$$($(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
	$(PY) manage.py check --deploy --fail-level WARNING

## Everything CI runs: lint, deploy checks, the suite on SQLite and on PostgreSQL
test: lint check-deploy test-sqlite test-postgres

test-sqlite: install chromium
	DATABASE_URL= $(PY) -m pytest

test-postgres: install chromium
	DATABASE_URL=$(PG_DATABASE_URL) $(PY) -m pytest

# The benchmark drives load with Debian's wrk; install it when it is missing (root or sudo).
WRK ?= /usr/bin/wrk
wrk:
	@test -x $(WRK) || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk >/dev/null; }

## The benchmark (bench/run.py): prints the table and writes docs/benchmarks.md. SQLite by
## default; DATABASE_URL=postgres://... uses PostgreSQL (its own database portal_bench).
bench: install wrk
	WRK=$(WRK) $(PY) -m bench
