# tradecast: two commands from a fresh clone.
#   make run   - set up .venv if needed, then run the main job on embedded data
#   make test  - same set-up, then the test suite
# Set-up is re-done whenever pyproject.toml changes (the stamp below is older).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.tradecast-installed
# Where a machine without a GPU gets the CPU build of torch when no local wheel is found.
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu
PYTEST_ARGS ?=

.PHONY: run test lint install data bench clean help example notebook docs

help:
	@echo "make run    - run the main job on the embedded S&P 500 (creates .venv if needed)"
	@echo "make test   - lint (ruff format, ruff check, mypy), then the test suite (creates .venv if needed)"
	@echo "make lint   - ruff format --check, ruff check and mypy only"
	@echo "make example  - run examples/walk_forward_backtest.py in .venv"
	@echo "make notebook - execute notebooks/volatility_showdown.ipynb in .venv, in place"
	@echo "make bench  - run benchmarks/*.py; their figures go to benchmarks/results.md"
	@echo "make docs   - the API reference from the docstrings, into docs/api/ (a warning fails it)"
	@echo "make clean  - remove .venv and caches"

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "tradecast needs Python >= 3.11; set PYTHON=/path/to/python3.11"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@# A machine without a GPU gets the CPU build of torch first: the default
	@# resolution would pull a multi-GB CUDA build. A local wheel store wins;
	@# otherwise PyTorch's CPU index.
	@if ! $(PY) -c 'import torch' >/dev/null 2>&1 && ! nvidia-smi >/dev/null 2>&1; then \
	  echo "no GPU found: installing the CPU build of torch"; \
	  $(PIP) install --quiet --no-index --no-deps 'torch>=2.3' 2>/dev/null \
	  || $(PIP) install --quiet 'torch>=2.3' --index-url $(TORCH_CPU_INDEX) --extra-index-url https://pypi.org/simple; \
	fi
	$(PIP) install --quiet -e '.[dev,ray]'
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/tradecast run

# The example and the notebook in the environment make created (no activation needed).
example: $(STAMP)
	$(PY) examples/walk_forward_backtest.py

notebook: $(STAMP)
	$(VENV)/bin/jupyter-execute --inplace notebooks/volatility_showdown.ipynb

# Lint first: a formatting slip fails in seconds, not after the suite.
lint: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# The suite in one process per core (pytest-xdist; each pins torch and BLAS to one thread,
# tests/conftest.py; tests/scheduling.py keeps tests that share a fixture on one worker and
# starts slow ones first); tests marked slow run too. make test TEST_WORKERS=0 runs it serially.
TEST_WORKERS ?= auto
test: lint
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# Figures go to benchmarks/results.md, a section per benchmark: make bench BENCH="accuracy gpu" reruns some.
BENCH ?=
bench: $(STAMP)
	$(PY) benchmarks/_record.py $(BENCH)

# The API reference from the numpydoc docstrings (pdoc); every warning (an annotation it cannot
# resolve, say) is an error. The test suite builds it too (tests/test_api_docs.py), so CI checks it.
docs: $(STAMP)
	$(PY) -W error -m pdoc --docformat numpy -o docs/api core engine signals strategies reports tradecast

clean:
	rm -rf $(VENV) .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
