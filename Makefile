# Everything a newcomer types: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint bench mutants install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/duban demo --dir demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check reporting jobs tests bench mutants templates
	$(BIN)/ruff format --check reporting jobs tests bench mutants templates
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench

# planted bugs, one at a time, against the tests that should catch each (not part of test)
mutants: $(STAMP)
	$(BIN)/python -m mutants

clean:
	rm -rf $(VENV) demo build *.egg-info
