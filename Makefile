# Two commands on a fresh machine with Python 3.11+ and make: `make demo` and `make test`.
# Every target installs what it needs from requirements.lock into .venv first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8

# The demo's Dagster instance and warehouse live inside the project folder (ignored by git), so
# `make ui` shows the runs `make demo` made.
export DAGSTER_HOME := $(CURDIR)/.dagster_home
export HL_D365_DATA_DIR ?= $(CURDIR)/data

.PHONY: install demo ui backfill test postgres-server bench wheel image lint format clean

# Bytecode is compiled at install (uv's --compile-bytecode, compileall for the project): where
# PYTHONDONTWRITEBYTECODE is set, as on our CI machines, Python never writes .pyc files, and every
# process (each test worker, each `hl-d365`, `dg`, webserver and code server) compiled Dagster,
# scikit-learn and this package from source again: 6 s of CPU a process start, measured.
$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m compileall -q -j 0 hl_d365_assets hl_d365_assets_tests
	touch $@

install: $(VENV)/.installed

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

demo: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/hl-d365 demo

# `dg dev` (Dagster 1.13 warns that `dagster dev` is superseded by it), started from inside
# DAGSTER_HOME: it warns on every start when the folder it runs in holds a dagster.yaml that is
# not DAGSTER_HOME's (the project's, copied there above). test_webserver.py runs this target.
UI_PORT ?= 3000
ui: install $(DAGSTER_HOME)/dagster.yaml
	cd $(DAGSTER_HOME) && $(CURDIR)/$(BIN)/dg dev -w $(CURDIR)/workspace.yaml -h 127.0.0.1 -p $(UI_PORT)

# make backfill FROM=2026-10-01 TO=2026-10-03 [SOURCE=api] [TENANT=id]: what `hl-d365 backfill` does, with
# the demo's instance, so the run shows in `make ui`.
SOURCE ?= landing
backfill: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/hl-d365 backfill --from $(FROM) --to $(TO) --source $(SOURCE) $(if $(TENANT),--tenant $(TENANT))

# `dg check defs` loads every definition, the YAML component instances under defs/ included
# (docs/low-code.md): a business rule, store or alert route that does not validate stops here.
# Four pytest-xdist workers on CI's and this machine's two cores: a worker waiting on a child
# process (a webserver, a daemon, `hl-d365`) or its event log leaves a core idle that another
# fills. Stop 35's CI: 16 min 42 s with four (30 min CPU, 1.80 cores busy); stop 34's 18 min 17 s
# with three (32 min CPU, 1.76 cores); stop 33's 22 min 16 s with two (36 min CPU, 1.6 cores). The
# code differed each time, so the workers' share is not separated. A test file is one unit of work;
# long files first (hl_d365_assets_tests/conftest.py says what keeps a test parallel-safe).
TEST_WORKERS ?= 4
test: install postgres-server
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/dg check defs
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# test_postgres_instance.py starts a real PostgreSQL server (docs/postgres.md): Debian's
# `postgresql` package is installed, quietly, when no server binaries are found on PATH or where
# Debian puts them. Only as root (CI); elsewhere it says what to install.
postgres-server:
	@if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "installing Debian's postgresql package for test_postgres_instance.py"; \
		apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends postgresql >/dev/null; \
	else echo "test_postgres_instance.py needs PostgreSQL's server: apt-get install postgresql"; fi

bench: install
	$(BIN)/hl-d365 bench

# The wheel deploy/Dockerfile installs, and the image (docs/kubernetes.md; needs a Docker daemon).
IMAGE ?= hl-d365-assets:0.1.0
wheel: install
	rm -rf dist
	$(BIN)/uv build --quiet --wheel --no-build-isolation --python $(BIN)/python --out-dir dist

image: wheel
	docker build -f deploy/Dockerfile -t $(IMAGE) .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf data bench_data bench_data_risk .dagster_home dist build
