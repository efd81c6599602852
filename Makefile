# Two commands do everything on a fresh machine: `make build` and `make test`.
# Both create .venv/ and install the pinned dependencies (requirements.lock) first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: build test check lint clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

build: $(STAMP)
	$(BIN)/ai-lab-funding build

check: $(STAMP)
	$(BIN)/ai-lab-funding build --check

lint: $(STAMP)
	$(BIN)/ruff check src tests build.py bench
	$(BIN)/ruff format --check src tests build.py bench

test: $(STAMP)
	$(BIN)/ruff check src tests build.py bench
	$(BIN)/ruff format --check src tests build.py bench
	$(BIN)/ai-lab-funding build --check
	$(BIN)/frictionless validate datapackage.json
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
