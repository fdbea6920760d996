# Two commands: `make run` (set up + run the baseline) and `make test` (set up + run all the tests).
# `make test-quick`: the inner loop, without the slow, browser and Dask tests (markers in pyproject.toml).
# Both lint first (`make lint`).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
REPLICATIONS ?= 40

.PHONY: run test test-quick setup lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/market-sim run configs/baseline_2024.yaml --replications $(REPLICATIONS) --workers 2 --posterior calibration/baseline_2024 --runs-per-draw 2 --out results/baseline_2024

test: lint
	$(BIN)/python -m pytest -q

test-quick: lint
	$(BIN)/python -m pytest -q -m "not slow and not browser and not dask"

# ruff: pyflakes, pycodestyle (lines up to 120), import order, bugbear, pyupgrade, complexity <= 12
lint: $(STAMP)
	$(BIN)/ruff check market_sim tests benchmarks tools

clean:
	rm -rf $(VENV) results
