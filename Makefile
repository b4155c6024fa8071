# suho: the two commands a user needs are `make demo` (set-up + a real scan on the embedded local
# model, ending with the report path) and `make test` (set-up + the whole test suite).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# llama.cpp is compiled from source once; a portable build lets pip cache and reuse the wheel.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF

.PHONY: setup demo test check lint typecheck bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,postgres]"
	touch $@

demo: setup
	$(BIN)/suho scan --suite quick --lang ko,en

test: setup
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: setup
	$(BIN)/mypy

check: lint typecheck
	$(BIN)/pytest -m "not slow"

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
