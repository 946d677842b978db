# The two set-up commands: `make demo` and `make test`. Both create .venv when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_STORE := demo-store

.PHONY: demo test setup bench-quality bench-speed bench-quick clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	rm -rf $(DEMO_STORE)
	$(BIN)/dedup index --store $(DEMO_STORE) --tz Asia/Jakarta examples/sample/night1.jsonl
	$(BIN)/dedup index --store $(DEMO_STORE) --tz Asia/Jakarta examples/sample/night2.jsonl
	$(BIN)/dedup report --store $(DEMO_STORE) --since all

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench-speed: $(STAMP)
	$(BIN)/python benchmarks/speed.py

bench-quick: $(STAMP)
	$(BIN)/python benchmarks/speed.py --quick

clean:
	rm -rf $(DEMO_STORE) .pytest_cache build *.egg-info
