# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("pressmon needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

demo: $(BIN)/.installed  ## serve the sample newsroom, crawl it into ./data/demo.db, print the results
	$(BIN)/pressmon demo

test: $(BIN)/.installed  ## lint and type-check, then every test on SQLite and on PostgreSQL
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest
	PRESSMON_TEST_DB=postgresql $(BIN)/pytest

bench: $(BIN)/.installed  ## the crawl benchmark (a few minutes)
	$(BIN)/python benchmarks/crawl.py

clean:
	rm -rf $(VENV) data .pytest_cache
