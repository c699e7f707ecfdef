# The README's commands. Each target installs what it needs into .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# pytest-xdist workers for `make test` (each test file runs whole in one worker, so that a
# module's server starts once); TEST_WORKERS=0 runs everything in one process.
TEST_WORKERS ?= 2

RP     := tests/e2e/rp
AXE    := tests/e2e/axe

.PHONY: serve test lint browser rp axe wrk bench clean

$(STAMP): pyproject.toml clients/python/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip install --quiet -e './clients/python[test]'
	@touch $(STAMP)

serve: $(STAMP)
	$(BIN)/authgate serve --demo

test: $(STAMP) lint browser rp axe
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# Debian's Chromium for the browser tests (Playwright drives it; it downloads no browser),
# and curl, which they run on the demo callback page's command line.
browser:
	@test -x /usr/bin/chromium -a -x /usr/bin/curl || { \
	  if [ "$$(id -u)" -eq 0 ]; then sudo=; else sudo=sudo; fi; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $$sudo apt-get install -y chromium curl \
	    || { $$sudo apt-get update && $$sudo apt-get install -y chromium curl; }; }

# The relying party of the OpenID Connect e2e tests: openid-client from npm, at the versions
# its package-lock.json pins, on the machine's Node.js (20 or newer).
rp: $(RP)/node_modules/.installed

$(RP)/node_modules/.installed: $(RP)/package.json $(RP)/package-lock.json
	@command -v node >/dev/null && command -v npm >/dev/null \
	  || { echo "make rp: needs Node.js 20+ and npm on PATH" >&2; exit 1; }
	@node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
	  || { echo "make rp: needs Node.js 20+, found $$(node --version)" >&2; exit 1; }
	npm ci --prefix $(RP) --no-audit --no-fund --loglevel=error
	@touch $@

# axe-core from npm, at the version its package-lock.json pins: the browser tests inject it
# into every page they visit and fail on serious or critical accessibility violations.
axe: $(AXE)/node_modules/.installed

$(AXE)/node_modules/.installed: $(AXE)/package.json $(AXE)/package-lock.json
	@command -v npm >/dev/null || { echo "make axe: needs npm on PATH" >&2; exit 1; }
	npm ci --prefix $(AXE) --no-audit --no-fund --loglevel=error
	@touch $@

lint: $(STAMP)
	$(BIN)/ruff check src tests bench examples clients/python
	$(BIN)/ruff format --check src tests bench examples clients/python
	$(BIN)/mypy
	$(BIN)/lint-imports

# Debian's wrk, the load generator of the benchmark.
wrk:
	@test -x /usr/bin/wrk || { \
	  if [ "$$(id -u)" -eq 0 ]; then sudo=; else sudo=sudo; fi; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $$sudo apt-get install -y wrk || { $$sudo apt-get update && $$sudo apt-get install -y wrk; }; }

bench: $(STAMP) wrk
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build data .pytest_cache .mypy_cache .ruff_cache $(RP)/node_modules \
	  $(AXE)/node_modules
