# The two commands of the portal: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT

.PHONY: run test bench install assets messages services-check chromium migrate seed lint clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)."; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed

# The design system (GOV.UK Frontend, pinned in package-lock.json), compiled with our typography.
static/build/portal.css: package.json package-lock.json $(wildcard static/src/*.scss)
	@command -v npm >/dev/null || { echo "npm (Node.js 18+) is needed to install the design system."; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build

assets: static/build/portal.css

# Translations (DESIGN §8): the .po catalogues are committed, their compiled .mo files never are.
messages: install
	@DEBUG=true SECRET_KEY="$${SECRET_KEY:-compile-messages-only}" $(PY) manage.py compilemessages --verbosity 0 \
		--ignore '.venv/*' --ignore 'node_modules/*' --ignore 'var/*'

services-check: install
	@$(PY) scripts/check_services.py

chromium:
	@bash scripts/ensure_chromium.sh

# make run: everything set up, then the portal at http://127.0.0.1:$(PORT) with a worker and beat.
# Without DATABASE_URL: an embedded SQLite database, jobs run in-process (a demo, not production).
run: install assets messages
	@bash scripts/run.sh

# make test: the whole suite on real PostgreSQL + Redis + a Celery worker + headless Chromium,
# in TEST_WORKERS processes at once (pytest-xdist; each with its own database, worker and queue;
# a module's tests stay in one process). TEST_WORKERS=0 runs it in this one process.
TEST_WORKERS ?= 2
test: install assets messages chromium
	@$(PY) scripts/check_services.py
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=30 $(PYTEST_ARGS)

bench: install
	@$(PY) scripts/check_services.py
	$(PY) -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules static/build var
