# Community+ — one command to run, one to test. Both bootstrap .venv on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PLUGINS := $(wildcard plugins/*/pyproject.toml)
SDK     := sdk/pyproject.toml sdk/harness/pyproject.toml

.PHONY: serve test install schema bench clean sandbox system-deps dist

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The SDK first (its own distribution, which the server depends on), then the harness, the
# server and the built-in modules, all editable.
$(STAMP): $(BIN)/python pyproject.toml setup.py $(SDK) $(PLUGINS)
	PYTHONWARNINGS=ignore::UserWarning $(BIN)/pip install --quiet -e sdk
	PYTHONWARNINGS=ignore::UserWarning $(BIN)/pip install --quiet -e sdk -e sdk/harness -e ".[dev]" $(foreach p,$(PLUGINS),-e $(dir $(p)))
	touch $(STAMP)

install: $(STAMP) ## create .venv and install Community+ with its built-in modules

serve: $(STAMP) ## run the server on http://127.0.0.1:8080 (embedded database, demo data)
	$(BIN)/community-plus serve --seed-if-empty

system-deps: ## Debian packages the tests need (chromium, a CJK font): apt-get as root, else prints the command
	scripts/system-deps

test: $(STAMP) system-deps ## run the whole test suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

schema: $(STAMP) ## regenerate the SDL files in schema/
	$(BIN)/community-plus schema export

sandbox: $(STAMP) ## run a plugin under development live: make sandbox PLUGIN=path/to/plugin (reloads on save)
	$(BIN)/community-plus sandbox $(PLUGIN)

dist: $(STAMP) ## wheels of the SDK, the harness, the server and the built-in modules into dist/
	$(BIN)/python scripts/build_dist.py dist

bench: $(STAMP) ## run the benchmarks in bench/
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .community-plus .pytest_cache dist
