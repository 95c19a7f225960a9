# The index of commands. Quick start: `make run`, then `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
ADDR ?= 127.0.0.1:8000

.PHONY: run install test test-fast lint format demo bench messages browser oidc-provider clean lock coverage

## Development install: production lock + development lock (tests, linters, mypy), every file hashed.
## Production installs only requirements.lock (docs/deploy.md).
$(STAMP): pyproject.toml requirements.lock requirements-dev.lock requirements-nodeps.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q --require-hashes -r requirements.lock -r requirements-dev.lock
	$(BIN)/pip install -q --require-hashes --no-deps -r requirements-nodeps.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

## Install, migrate the embedded SQLite database, load instruments and demo data, serve on $(ADDR).
run: install
	$(BIN)/respite migrate --noinput
	$(BIN)/respite demo
	$(BIN)/respite serve $(ADDR)

demo: install
	$(BIN)/respite migrate --noinput
	$(BIN)/respite demo

## The whole suite: lint, migrations up to date, unit, property, security and browser tests.
## Prints a coverage table (branch coverage) and fails if any app is under $(COVERAGE_MIN)%.
COVERAGE_MIN ?= 90
test: install browser oidc-provider
	$(BIN)/ruff check src bench
	$(BIN)/respite makemigrations --check --dry-run
	$(BIN)/pytest --cov=respite --cov-branch --cov-report=
	$(MAKE) --no-print-directory coverage

coverage:
	$(BIN)/python scripts/coverage-by-app --min $(COVERAGE_MIN)

test-fast: install
	$(BIN)/pytest -m "not browser"

lint: install
	$(BIN)/ruff check src bench
	$(BIN)/ruff format --check src bench
	$(BIN)/mypy

## Regenerate the lock files from pyproject.toml (keeps existing pins; upgrade with UV_ARGS=--upgrade).
LOCK := $(BIN)/uv pip compile --python-version 3.11 --generate-hashes $(UV_ARGS)
lock: install
	$(LOCK) pyproject.toml -o requirements.lock
	$(LOCK) pyproject.toml --extra dev -c requirements.lock -o requirements-dev.lock

format: install
	$(BIN)/ruff format src bench
	$(BIN)/ruff check --fix src bench

## The OpenID Connect provider the single sign-on tests start (npm's oidc-provider, pinned by its
## package-lock.json; installed once into the git-ignored node_modules beside it).
OIDC_DIR := src/respite/core/tests/oidc
oidc-provider: $(OIDC_DIR)/node_modules/.package-lock.json
$(OIDC_DIR)/node_modules/.package-lock.json: $(OIDC_DIR)/package-lock.json
	cd $(OIDC_DIR) && npm ci --no-audit --no-fund --loglevel=error

## Headless Chromium for the browser tests (Debian's package; root installs it if missing).
browser:
	@scripts/ensure-chromium

## Regenerate and compile Spanish translations (needs GNU gettext). Each app keeps its own catalog.
APPS := core screening directory counseling peers pulse assessments credentialing community
messages: install
	cd src/respite && ../../$(BIN)/django-admin makemessages -l es --no-obsolete --ignore=static \
		$(foreach a,$(APPS),--ignore=$(a)/*)
	for app in $(APPS); do (cd src/respite/$$app && mkdir -p locale && \
		../../../$(BIN)/django-admin makemessages -l es --no-obsolete --ignore='tests/*') || exit 1; done
	for po in $$(find src/respite -path '*/locale/es/LC_MESSAGES/django.po'); do msgfmt -c -o $${po%.po}.mo $$po || exit 1; done

## Benchmarks (bench/, results in bench/results/latest.md). bench_http drives gunicorn with wrk (root
## installs Debian's package if missing). In-process modules use their own SQLite file unless DATABASE_URL is set.
BENCH_DATABASE_URL ?= sqlite:///$(CURDIR)/var/bench.sqlite3
bench: install
	@command -v wrk >/dev/null || { if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "Installing wrk for the HTTP benchmark..."; apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
		else echo "bench_http needs wrk (sudo apt-get install wrk)." >&2; fi; }
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} $(BIN)/respite migrate --noinput -v 0
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} $(BIN)/python -m bench

clean:
	rm -rf $(VENV) var
