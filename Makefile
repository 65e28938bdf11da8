# warroom: `make run` opens the app, `make test` checks lint and types, then runs the whole suite.
# Both create .venv and install what they need on a fresh machine.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench postgres chromium clean

# Python caches compiled modules unless told not to; the suite's many interpreters (workers,
# child processes) would otherwise compile the same sources again each time.
unexport PYTHONDONTWRITEBYTECODE

run: $(STAMP)
	$(BIN)/warroom

# Five workers on two cores: many tests wait on child processes, servers and timers (2:42 against
# 2:53 with four). A worker that runs out of tests takes some from another's queue, so that all
# end together.
TEST_WORKERS ?= 5

# The sources are compiled once first: on a fresh clone each worker would compile them itself.
test: lint postgres chromium
	$(BIN)/python -m compileall -q -j 0 storage screens widgets tui tests bench
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal

# Ruff's rules and mypy's files and strictness are set in pyproject.toml.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "warroom needs Python 3.11 or newer (found: $$($(PYTHON) --version))"; exit 1; }
	@$(PYTHON) -m venv $(VENV) || { \
		echo "python venv is missing: installing Debian's python3-venv"; \
		$(call apt_install,python3-venv) && rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	@touch $(STAMP)

# The suite starts its own PostgreSQL server from the local binaries: install them when missing.
postgres:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then :; \
	else echo "PostgreSQL server binaries not found: installing Debian's postgresql"; \
		$(call apt_install,postgresql); fi

# `warroom serve` is tested in a real browser: Debian's Chromium, driven by Playwright.
chromium:
	@if command -v chromium >/dev/null 2>&1; then :; \
	else echo "Chromium not found (the browser tests of warroom serve use it): installing Debian's chromium"; \
		$(call apt_install,chromium); fi

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis .mypy_cache .ruff_cache

define apt_install
	if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(1)
endef

# What a person sees, each app in a pty of its own, against baselines run in turn with it
# (docs/performance.md). BENCH_ARGS=--quick for fewer repetitions, --only SECTION for one part.
bench: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)
