# The same commands everywhere: `make demo` and `make test` set everything up themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
INSTALL := $(BIN)/python -m pip install --quiet
DEMO_INDEX ?= index

.PHONY: demo test test-long test-lowest lint typecheck unit bench bench-scale bench-cluster bench-load screenshot quality known-item clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(INSTALL) --upgrade pip
	$(INSTALL) -c constraints.txt -e '.[dev,cluster]'
	touch $(STAMP)

## demo: index data/ into ./index, then a ranked search and a date-range search
demo: $(STAMP)
	$(BIN)/newssearch index data/ --index $(DEMO_INDEX)
	$(BIN)/newssearch search "gaza truce" --index $(DEMO_INDEX) --limit 5
	$(BIN)/newssearch search "cocoa exports" --index $(DEMO_INDEX) --since 1987-03 --until 1987-03 --limit 5

## test: everything CI runs first -- lint, layering, format check, types, the everyday tests
test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q -m "not long" --durations=10

## test-long: the slow tests -- kill loops over a whole corpus, fuzzers, the cluster over every benchmark query (needs ../shared)
test-long: $(STAMP)
	NEWSSEARCH_LONG_TESTS=1 $(BIN)/pytest -q -m long --durations=10

## test-lowest: the tests with the lowest versions of the dependencies pyproject.toml allows,
## and the wheel installed beside a host's older pins of rich and typer
HOST_PINS := 'rich==14.3.*' 'typer==0.27.*'
test-lowest: $(STAMP)
	rm -rf .venv-lowest .venv-host .cache/wheel
	$(PYTHON) -m venv .venv-lowest
	.venv-lowest/bin/python -m pip install --quiet -c constraints-lowest.txt -e '.[dev,cluster]'
	.venv-lowest/bin/pytest -q -m "not long" -p no:cacheprovider
	$(PYTHON) -m venv .venv-host
	.venv-host/bin/python -m pip install --quiet $(HOST_PINS)
	.venv-host/bin/python -m pip wheel --quiet --no-deps -w .cache/wheel .
	.venv-host/bin/python -m pip install --quiet .cache/wheel/newssearch-*.whl $(HOST_PINS)
	.venv-host/bin/python -m pip check
	.venv-host/bin/newssearch index data --index .cache/wheel/index --quiet
	.venv-host/bin/newssearch search "gaza truce" --index .cache/wheel/index --limit 1 --format json

## bench: indexing and search speed against naive Whoosh (needs ../shared)
bench: $(STAMP)
	$(BIN)/python bench/speed.py

## bench-scale: time, memory, latency and size from 19,043 to 1,200,000 stories (needs ../shared; about 35 min)
bench-scale: $(STAMP)
	$(BIN)/python bench/scale.py

## bench-cluster: query latency of one index, 1 shard and 3 shards on a local Dask cluster (needs ../shared)
bench-cluster: $(STAMP)
	$(BIN)/python bench/cluster.py

## bench-load: 50 clients for 30 s against `newssearch serve` while an indexer commits (needs ../shared)
bench-load: $(STAMP)
	$(BIN)/python bench/load.py

## screenshot: the browser test, saving the README's picture of a results page
screenshot: $(STAMP)
	NEWSSEARCH_SCREENSHOT=docs/search-page.png $(BIN)/pytest -q tests/test_web_browser.py

## quality: ranking quality on the four judged collections, beside two baselines (needs ../shared)
quality: $(STAMP)
	$(BIN)/python bench/quality.py

## known-item: Persian and Arabic known-item search, per stemmer, against naive Whoosh (needs ../shared; about 10 min)
known-item: $(STAMP)
	$(BIN)/python bench/known_item.py

clean:
	rm -rf $(VENV) .venv-lowest .venv-host .cache .mypy_cache .pytest_cache .ruff_cache
