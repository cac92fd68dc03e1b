# The two commands a user needs (README): `make run` and `make test`. Both install what is missing
# first: Debian packages, a .venv, the package itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test lint typecheck pytest bench screenshots package package-test clean system-run system-test

run: system-run $(VENV)/.run-installed
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ] && [ "$$QT_QPA_PLATFORM" != "offscreen" ]; then \
	  echo "make run: no display found (DISPLAY and WAYLAND_DISPLAY are unset)."; \
	  echo "  On a desktop, run it from a terminal inside your session."; \
	  echo "  On a headless machine: xvfb-run -a make run   (Xvfb was installed for you)"; \
	  echo "  Over SSH: ssh -X host, then make run"; \
	  exit 1; fi
	$(BIN)/stream-console --demo

test: system-test $(VENV)/.test-installed lint typecheck pytest

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml

typecheck: $(VENV)/.test-installed
	$(BIN)/mypy

pytest: $(VENV)/.test-installed
	scripts/with-test-keyring.sh $(BIN)/python -m pytest $(PYTEST_ARGS)

# Every benchmark, then one table of their figures and verdicts, also written into README's
# performance section (scripts/bench_table.py; BENCH_ARGS="--only startup" runs some of them).
bench: $(VENV)/.test-installed
	QT_QPA_PLATFORM=offscreen $(BIN)/python scripts/bench_table.py --readme README.md $(BENCH_ARGS)

screenshots: system-run $(VENV)/.test-installed
	xvfb-run -a -s "-screen 0 1920x1200x24" scripts/with-test-keyring.sh env QT_QPA_PLATFORM=xcb $(BIN)/python scripts/screenshots.py docs/screenshots

# dist/stream-console_<version>_<arch>.deb from a PyInstaller one-folder build (packaging/).
package: $(VENV)/.run-installed
	@scripts/system-deps.sh package
	$(BIN)/python -m pip install -q -e '.[packaging]'
	$(BIN)/python packaging/build_deb.py

# Installs the .deb (built first if missing or stale) into a throwaway Debian 12 root, runs
# --version and self-test there, removes it and checks nothing is left (packaging/README.md).
# Needs root; not part of `make test` (see README "Packaging").
package-test:
	packaging/package_test.sh

system-run:
	@scripts/system-deps.sh run

system-test:
	@scripts/system-deps.sh test

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.run-installed

clean:
	rm -rf $(VENV) build dist .mypy_cache .ruff_cache .pytest_cache
