PY ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?= --durations=15

.PHONY: setup demo test test-all bench lint clean

$(BIN)/asdlens: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip >/dev/null
	$(BIN)/python -m pip install -c constraints.txt -e ".[all]"
	touch $(BIN)/asdlens

setup: $(BIN)/asdlens

demo: setup
	$(BIN)/asdlens demo --quick --out demo-out

# Fast suite plus the slow tests marked for CI (-m "not slow or ci").
test: setup
	$(BIN)/python -m pytest -m "not slow or ci" $(PYTEST_ARGS)

test-all: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/run.py --out bench/results.json

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

clean:
	rm -rf $(VENV) demo-out .pytest_cache
