# Two commands on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast bench setup forms-check clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)
	$(BIN)/flask --app app init-db

run: setup
	$(BIN)/flask --app app forms check
	$(BIN)/flask --app app run --host 127.0.0.1 --port 5000

test: $(STAMP)
	$(BIN)/python -m pytest -q tests

bench: $(STAMP)
	$(BIN)/python -m bench.run

forms-check: $(STAMP)
	$(BIN)/flask --app app forms check

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
