# The two set-up commands: `make demo` and `make test`. Both create .venv when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed
DEMO_STORE := demo-store

.PHONY: demo demo-index report-png test setup bench-quality bench-quality-quick bench-peers bench-peers-quick bench-plots bench-speed bench-quick bench-scale bench-faults bench-diskfull bench-memory bench-server clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: demo-index
	$(BIN)/dedup report --store $(DEMO_STORE) --since all

demo-index: $(STAMP)
	rm -rf $(DEMO_STORE)
	$(BIN)/dedup index --store $(DEMO_STORE) --tz Asia/Jakarta examples/sample/night1.jsonl
	$(BIN)/dedup index --store $(DEMO_STORE) --tz Asia/Jakarta examples/sample/night2.jsonl

# docs/report.png (the README's screenshot): the demo store's HTML report in headless Chromium, 1280 px wide.
report-png: demo-index setup-chromium setup-fonts
	$(BIN)/dedup report --store $(DEMO_STORE) --since all --no-mark --format html --out $(DEMO_STORE)/report.html
	profile=$$(mktemp -d) && trap 'rm -rf "$$profile"' EXIT && \
	  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --disable-extensions \
	    --user-data-dir="$$profile" --window-size=1280,2200 --screenshot=docs/report.png \
	    file://$(abspath $(DEMO_STORE))/report.html 2>$(DEMO_STORE)/chromium.log \
	  || { cat $(DEMO_STORE)/chromium.log; exit 1; }
	@echo "docs/report.png: the demo store's report, 1280x2200"

test: $(STAMP) setup-chromium setup-fonts setup-postgresql
	$(BIN)/python -m pytest -q

# Headless Chromium (Debian's package) for tests/report/test_html_browser.py, installed only
# when missing. Outside CI, if it cannot be installed the browser test is skipped with the reason;
# in CI (CI set) that is an error.
.PHONY: setup-chromium
setup-chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium for the HTML report test"; \
	  SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  { $$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; } \
	  || { [ -z "$$CI" ] || { echo "error: chromium is required in CI"; exit 1; }; \
	       echo "WARNING: could not install chromium; tests/report/test_html_browser.py will be skipped"; }; }

# PostgreSQL (Debian's package) for the shared-store tests, which start a throwaway server of their
# own (tests/_postgres.py: initdb + pg_ctl in a temporary directory), installed only when initdb is
# on neither PATH nor /usr/lib/postgresql/*/bin; the same rule: an error in CI, a skip elsewhere.
.PHONY: setup-postgresql
setup-postgresql:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "installing postgresql for the PostgreSQL store tests"; \
	  SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  { $$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql; } \
	  || { [ -z "$$CI" ] || { echo "error: postgresql is required in CI"; exit 1; }; \
	       echo "WARNING: could not install postgresql; the PostgreSQL store tests will be skipped"; }; }

# The local fonts the HTML report's font stack names, for Arabic/Urdu, Devanagari and Thai
# (fonts-noto-core, 12 MB) and CJK (fonts-noto-cjk, 57 MB), installed only when fontconfig
# lacks them (about 12 s here); the same rule as chromium: an error in CI, a skip elsewhere.
NOTO_CORE_FAMILIES := "Noto Sans" "Noto Naskh Arabic" "Noto Nastaliq Urdu" "Noto Sans Devanagari" "Noto Sans Thai"
NOTO_CJK_FAMILY := Noto Sans CJK SC
.PHONY: setup-fonts
setup-fonts:
	@pkgs=""; \
	for f in $(NOTO_CORE_FAMILIES); do fc-list -q ":family=$$f" 2>/dev/null || pkgs="fontconfig fonts-noto-core"; done; \
	fc-list -q ":family=$(NOTO_CJK_FAMILY)" 2>/dev/null || pkgs="$$pkgs fonts-noto-cjk"; \
	[ -z "$$pkgs" ] || { \
	  echo "installing$$pkgs for the HTML report test"; \
	  SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  { $$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$pkgs; } \
	  || { [ -z "$$CI" ] || { echo "error: the Noto fonts are required in CI"; exit 1; }; \
	       echo "WARNING: could not install$$pkgs; the glyph test in tests/report/test_html_browser.py will be skipped"; }; }

bench-speed: $(STAMP)
	$(BIN)/python benchmarks/speed.py

bench-scale: $(STAMP)
	$(BIN)/python benchmarks/scale.py

bench-quick: $(STAMP)
	$(BIN)/python benchmarks/speed.py --quick

# SIGKILL `dedup index` at 50 random points of a 20k run, re-run, compare (~10-15 min; see benchmarks/RELIABILITY.md).
bench-faults: $(STAMP)
	$(BIN)/python benchmarks/faults.py

# A full disk at 10 points of a 20k run, on a real tmpfs (needs root for mount).
bench-diskfull: $(STAMP)
	$(BIN)/python benchmarks/diskfull.py

# Peak memory at 1M articles (news-length and tiny) and of export; ~30 min.
bench-memory: $(STAMP)
	$(BIN)/python benchmarks/memory.py --n 1000000

# Optional extras for the peers benchmark and the plots: rensa, gaoya, matplotlib.
$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,bench]' || \
	  echo "note: some bench extras did not install; peers.py skips a missing peer, with a note"
	touch $(BENCH_STAMP)

# Detection quality on COUNTER and the syndication stress corpus (needs ../shared/data).
bench-quality: $(STAMP)
	$(BIN)/python benchmarks/quality.py --sweep

bench-quality-quick: $(STAMP)
	$(BIN)/python benchmarks/quality.py --quick

# dedup against datasketch, rensa and gaoya, same articles and shingles; then the plots.
bench-peers: $(BENCH_STAMP)
	$(BIN)/python benchmarks/peers.py
	$(BIN)/python benchmarks/plots.py

bench-peers-quick: $(BENCH_STAMP)
	$(BIN)/python benchmarks/peers.py --quick
	$(BIN)/python benchmarks/plots.py

bench-plots: $(BENCH_STAMP)
	$(BIN)/python benchmarks/plots.py

# Serving an index (issue 13): query latency over HTTP (`dedup serve`) and cold CLI on the embedded
# store and PostgreSQL, a nightly append, and datasketch's Redis-backed MinHashLSH on the same
# 100k articles (~15 min; benchmarks/SERVER.md). Debian's redis-server is installed when missing.
bench-server: $(BENCH_STAMP) setup-postgresql setup-redis
	$(BIN)/python benchmarks/server.py --n 100000 --append 10000 --queries 300 --cold 20

.PHONY: setup-redis
setup-redis:
	@command -v redis-server >/dev/null 2>&1 || { \
	  echo "installing redis-server for benchmarks/server.py"; \
	  SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server; }

clean:
	rm -rf $(DEMO_STORE) .pytest_cache build *.egg-info
