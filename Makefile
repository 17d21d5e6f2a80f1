# Two commands on a fresh machine: `make run` serves the portal, `make test` runs every test.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian packages the tests use for real: both PDF engines' needs and the browser.
SYSTEM_PACKAGES := wkhtmltopdf chromium fonts-dejavu-core poppler-utils
FLASK := $(BIN)/flask --app app
# `make run PORT=5123 SMTP_PORT=2525`: the portal's port and the development mail sink's.
PORT ?= 5000
SMTP_PORT ?= 1025

.PHONY: run serve test bench loadtest setup system-deps forms-check corpus-report fuzz clean

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements-dev.txt -c constraints.txt
	touch $(STAMP)

# Installs the Debian packages when they are missing and we may (root with apt-get).
system-deps:
	@missing=""; for p in wkhtmltopdf chromium pdftotext; do command -v $$p >/dev/null || missing=1; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(SYSTEM_PACKAGES); \
	  else echo "Installera Debian-paketen: $(SYSTEM_PACKAGES)"; exit 1; fi; \
	fi

setup: $(STAMP)
	$(FLASK) init-db
	$(FLASK) users demo

run: setup
	$(FLASK) forms check
	$(FLASK) dev --host 127.0.0.1 --port $(PORT) --smtp-port $(SMTP_PORT)

# Production-like: gunicorn (gunicorn.conf.py) and the outbox worker, with env = production, so
# the development secret key in config.toml is refused: give a PORTAL_CONFIG file (or
# PORTAL_SECRET_KEY, PORTAL_DATABASE_URL, ...) first. Ctrl-C stops both.
serve: $(STAMP)
	PORTAL_ENV=production $(FLASK) init-db
	PORTAL_ENV=production sh -c 'trap "kill 0" INT TERM EXIT; $(FLASK) outbox send --loop & $(BIN)/gunicorn -c gunicorn.conf.py'

test: $(STAMP) system-deps
	$(BIN)/ruff check app casetypes webforms renderers bench tests
	$(BIN)/mypy
	$(BIN)/python -m pytest -q tests

bench: $(STAMP)
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.pdf
	$(BIN)/python -m bench.queue
	$(BIN)/python -m bench.api
	$(BIN)/python -m bench.row_import
	$(BIN)/python -m bench.attachments
	$(BIN)/python -m bench.drafts
	$(BIN)/python -m bench.statistics

# The portal under gunicorn on PostgreSQL against a floor app, driven by wrk (not a test; a few
# minutes). LOADTEST_DATABASE_URL names the server; LOADTEST_ARGS e.g. "--duration 20".
loadtest: $(STAMP)
	@command -v wrk >/dev/null || { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; \
	  else echo "Installera Debian-paketet wrk"; exit 1; fi; }
	$(BIN)/python -m bench.loadtest $(LOADTEST_ARGS)

forms-check: $(STAMP)
	$(FLASK) forms check

# What the schema engine makes of the published form schemas in tests/corpus/ (issue 9).
corpus-report: $(STAMP)
	$(BIN)/python -m bench.corpus_report

# The property tests at scale, with fresh random seeds (not part of `make test`): FUZZ_EXAMPLES
# random schema-shaped files through the loader (prints schemas tried, accepted, refused,
# crashes, hangs, slowest load), then FUZZ_EXAMPLES hostile posts to the preview and filing
# routes (prints posts tried and 5xx answers), then FUZZ_EXAMPLES generated files judged by the
# merged-reference copy and as written (casetypes/inlining.py). Crashes, hangs and 5xx must be 0.
FUZZ_EXAMPLES ?= 10000
fuzz: $(STAMP)
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m tests.fuzz_schemas
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -s tests/test_posted_fuzz.py
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -s tests/test_schema_fuzz_forms.py
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q tests/test_inlining.py -k generated

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
