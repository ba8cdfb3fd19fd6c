# The same commands everywhere: `make demo` and `make test` set everything up themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_INDEX ?= .cache/demo-index

.PHONY: demo test test-long lint typecheck unit bench bench-scale quality clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: index data/, then a ranked search and a date-range search
demo: $(STAMP)
	$(BIN)/newssearch index data/ --index $(DEMO_INDEX)
	$(BIN)/newssearch search "gaza truce" --index $(DEMO_INDEX) --limit 5
	$(BIN)/newssearch search "cocoa exports" --index $(DEMO_INDEX) --since 1987-03 --until 1987-03 --limit 5

## test: everything CI runs -- lint, format check, types, tests
test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q

## test-long: the test suite with the kill loop over the whole Reuters corpus (needs ../shared)
test-long: $(STAMP)
	NEWSSEARCH_LONG_TESTS=1 $(BIN)/pytest -q

## bench: indexing and search speed against naive Whoosh (needs ../shared)
bench: $(STAMP)
	$(BIN)/python bench/speed.py

## bench-scale: time, memory, latency and size at 19k, 50k and 250k stories (needs ../shared; about 30 min)
bench-scale: $(STAMP)
	$(BIN)/python bench/scale.py

## quality: ranking quality on the four judged collections, beside two baselines (needs ../shared)
quality: $(STAMP)
	$(BIN)/python bench/quality.py

clean:
	rm -rf $(VENV) .cache .mypy_cache .pytest_cache .ruff_cache
