# Two commands matter (see README): `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
# Where `make run` serves (127.0.0.1 only).
PORT ?= 8000
# The PostgreSQL that `make test` also runs the suite against.
PG_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test

.DEFAULT_GOAL := install
.PHONY: install install-dev chromium clients pgbouncer axe mcp-ts mcp wrk run lint check-deploy test test-sqlite test-postgres bench

# --- The virtual environment -----------------------------------------------------------
# pyproject.toml asks for Python 3.11. The interpreter: PYTHON=... when given, otherwise
# python3.11, otherwise python3 if it is 3.11; none of them is an error that says so.
# The environment is built in steps, each with its stamp written only once it succeeded;
# a failed step removes the whole environment, so the next `make` starts again from scratch
# instead of trusting a half-built one. `make run` needs only the runtime packages (`.`);
# lint and the tests add the development ones (`.[dev]`).
IS_PY311 := -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'

# An environment made by another Python (an earlier make with Python 3.12, or a broken
# interpreter link) is removed before anything looks at its stamps, and so rebuilt. One made
# by Python 3.11 without the stamps (by hand, or by an earlier Makefile) is kept: the pip
# steps below check and complete it.
ifneq ($(wildcard $(PY)),)
ifneq ($(shell $(PY) $(IS_PY311) 2>/dev/null && echo ok),ok)
$(info $(VENV) was not made with Python 3.11: removing it to build it again.)
$(shell rm -rf $(VENV))
endif
endif

$(VENV)/.created:
	@if [ -x $(PY) ] && $(PY) -m pip --version >/dev/null 2>&1; then \
	  echo "Using the existing $(VENV) ($$($(PY) --version 2>&1))"; touch $@; exit 0; \
	fi; \
	if [ -n "$(PYTHON)" ]; then candidates="$(PYTHON)"; else candidates="python3.11 python3"; fi; \
	found=; \
	for candidate in $$candidates; do \
	  if command -v "$$candidate" >/dev/null 2>&1 && "$$candidate" $(IS_PY311) 2>/dev/null; then \
	    found=$$candidate; break; \
	  fi; \
	done; \
	if [ -z "$$found" ]; then \
	  echo "This project needs Python 3.11 (pyproject.toml: >=3.11,<3.12), and none was found:" >&2; \
	  for candidate in $$candidates; do \
	    echo "  $$candidate: $$("$$candidate" --version 2>/dev/null || echo not found)" >&2; \
	  done; \
	  echo "Install Python 3.11 (e.g. apt-get install python3.11-venv, or pyenv install 3.11)," >&2; \
	  echo "or name it: make PYTHON=/path/to/python3.11 $(or $(MAKECMDGOALS),install)" >&2; \
	  exit 1; \
	fi; \
	rm -rf $(VENV); \
	echo "Creating $(VENV) with $$found ($$("$$found" --version 2>&1))"; \
	"$$found" -m venv $(VENV) && $(PY) -m pip install --quiet --upgrade pip \
	  || { rm -rf $(VENV); echo "Could not create $(VENV); removed it." >&2; exit 1; }
	@touch $@

# What running the portal needs.
$(VENV)/.runtime: pyproject.toml $(VENV)/.created
	$(PY) -m pip install --quiet . \
	  || { rm -rf $(VENV); echo "pip install failed; removed $(VENV)." >&2; exit 1; }
	@touch $@

# And what lint, the tests and the benchmark need.
$(VENV)/.dev: pyproject.toml $(VENV)/.runtime
	$(PY) -m pip install --quiet ".[dev]" \
	  || { rm -rf $(VENV); echo "pip install failed; removed $(VENV)." >&2; exit 1; }
	@touch $@

install: $(VENV)/.runtime

install-dev: $(VENV)/.dev

# The browser tests drive Debian's Chromium; install it when it is missing (needs root or sudo).
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@test -x $(CHROMIUM) || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# The compatibility suite (tests/compat/) sends each VoipNow client's request from its own
# runtime: PHP 8 with curl, Node, Perl with LWP over HTTPS; the access-log test runs the guide's
# nginx. Install what is missing from Debian (root or sudo), as for Chromium.
clients:
	@missing=; \
	php -r 'exit(function_exists("curl_init") ? 0 : 1);' >/dev/null 2>&1 || missing="$$missing php-cli php-curl"; \
	node -e "require('https')" >/dev/null 2>&1 || missing="$$missing nodejs"; \
	perl -MLWP::UserAgent -MLWP::Protocol::https -MJSON::PP -e1 >/dev/null 2>&1 || \
	  missing="$$missing libwww-perl liblwp-protocol-https-perl"; \
	command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || missing="$$missing nginx-light"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing the compatibility suite's client runtimes:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

# The PgBouncer test (tests/deployment/test_pgbouncer.py) starts Debian's pgbouncer in front of
# the PostgreSQL the suite uses, in transaction pooling mode, as docs/deployment.md runs it.
# Install it when it is missing (root or sudo), as for nginx; the package's own service is
# not needed (the test starts its own on a free port).
PGBOUNCER ?= /usr/sbin/pgbouncer
pgbouncer:
	@test -x $(PGBOUNCER) || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq pgbouncer >/dev/null; }

# The accessibility tests inject axe-core from npm (tests/browser/axe/package.json, locked);
# installed into tests/browser/axe/node_modules (not committed), never fetched at run time.
AXE_JS := tests/browser/axe/node_modules/axe-core/axe.min.js
axe: $(AXE_JS)
$(AXE_JS): tests/browser/axe/package.json tests/browser/axe/package-lock.json
	cd tests/browser/axe && npm ci --no-audit --no-fund --silent
	@touch $@

# The MCP tests run the official TypeScript MCP SDK in Node (tests/mcp/typescript/package.json,
# locked); installed into tests/mcp/typescript/node_modules (not committed), as axe-core is.
MCP_TS := tests/mcp/typescript/node_modules/@modelcontextprotocol/sdk/package.json
mcp-ts: $(MCP_TS)
$(MCP_TS): tests/mcp/typescript/package.json tests/mcp/typescript/package-lock.json
	cd tests/mcp/typescript && npm ci --no-audit --no-fund --silent
	@touch $@

## Set up, migrate, seed the demo accounts and their Apps, serve on http://127.0.0.1:$(PORT)
# Every step sees the same development settings: `migrate` runs the system checks too, and an
# OAUTH_EXTRA_RESOURCES naming a loopback http server (README, "Connect an MCP client") is
# valid only while OAUTH_ALLOW_LOOPBACK_HTTP is on (oauth.E001 otherwise).
RUN_ENV := DEBUG=true OAUTH_ALLOW_LOOPBACK_HTTP=true OAUTH_ISSUER=http://127.0.0.1:$(PORT)
run: install
	$(RUN_ENV) $(PY) manage.py migrate --noinput
# The demo's notices (its disabled Apps) and confirmation links are dropped, not printed over
# the logins seed_demo lists: its outbox is emptied at once into dummymail://.
	$(RUN_ENV) EMAIL_URL=dummymail:// $(PY) manage.py seed_demo
	$(RUN_ENV) EMAIL_URL=dummymail:// $(PY) manage.py db_worker --batch --no-startup-delay --no-reload -v0
	@echo "Portal: http://127.0.0.1:$(PORT)/  (Ctrl-C to stop)"
# The outbox's worker runs beside the development server, which the e-mail notices leave (design
# §3; printed on the console, EMAIL_URL unset), and stops with it: Ctrl-C reaches both, and
# the trap ends the worker however runserver ends.
	$(RUN_ENV) $(PY) manage.py db_worker --no-reload --interval 0.5 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(RUN_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

## The official MCP SDK (and its httpx2, uvicorn) in .venv, for README's "Connect an MCP client"
mcp: $(VENV)/.mcp
$(VENV)/.mcp: pyproject.toml $(VENV)/.runtime
	$(PY) -m pip install --quiet ".[mcp]" \
	  || { rm -rf $(VENV); echo "pip install failed; removed $(VENV)." >&2; exit 1; }
	@touch $@

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## manage.py check --deploy with production-like settings (throwaway keys)
check-deploy: install
	DEBUG=false ALLOWED_HOSTS=portal.example.com OAUTH_ISSUER=https://portal.example.com DATABASE_URL= \
	EMAIL_URL=smtp://127.0.0.1:25 DEFAULT_FROM_EMAIL=portal@portal.example.com \
	SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	APP_SECRET_KEYS="$$($(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
	$(PY) manage.py check --deploy --fail-level WARNING

## Everything CI runs: lint, deploy checks, the suite on SQLite and on PostgreSQL
test: lint check-deploy test-sqlite test-postgres

test-sqlite: install-dev chromium clients pgbouncer axe mcp-ts
	DATABASE_URL= $(PY) -m pytest

test-postgres: install-dev chromium clients pgbouncer axe mcp-ts
	DATABASE_URL=$(PG_DATABASE_URL) $(PY) -m pytest

# The benchmark drives load with Debian's wrk; install it when it is missing (root or sudo).
WRK ?= /usr/bin/wrk
wrk:
	@test -x $(WRK) || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk >/dev/null; }

## The benchmark (bench/run.py): prints the table and writes docs/benchmarks.md. SQLite by
## default; DATABASE_URL=postgres://... uses PostgreSQL (its own database portal_bench).
bench: install-dev wrk
	WRK=$(WRK) $(PY) -m bench
