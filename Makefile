# Targets used by developers and by CI (.ci/run calls `make test`).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
CDP := $(BIN)/cdp
JAR := neo4j-local/target/neo4j-local-1.0.0.jar

# The tests get their own local Neo4j (port and data directory), so running them never
# touches the data of the demo/development server on 7687.
# TEST_PORT lets several checkouts (git worktrees) test side by side, each on its own server.
TEST_PORT ?= 7688
TEST_ENV := ENVIRONMENT=test NEO4J_URI=bolt://127.0.0.1:$(TEST_PORT) NEO4J_LOCAL_PORT=$(TEST_PORT) \
	NEO4J_LOCAL_HOME=$(CURDIR)/var/neo4j-test NEO4J_LOCAL_HEAP=1g NEO4J_LOCAL_PAGECACHE=512m

# The web app (web/, TypeScript + Vite) is built into the Python package (api/web/dist);
# the browser tests drive Debian's Chromium (Playwright's own download cannot be reached).
WEB_DIST := api/web/dist/index.html
WEB_SRC := $(shell find web/src -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install web browser neo4j-build neo4j-start neo4j-stop lint format test test-unit test-integration demo serve bench clean

install: $(VENV)/.installed $(JAR) web browser

web: $(WEB_DIST)

web/node_modules/.package-lock.json: web/package-lock.json web/package.json
	cd web && npm ci --no-audit --no-fund --loglevel=error

$(WEB_DIST): web/node_modules/.package-lock.json $(WEB_SRC)
	cd web && npm run build --silent

# Only when there is no Chromium: apt-get once (root, or sudo).
browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
		{ $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; }

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(JAR): neo4j-local/pom.xml $(shell find neo4j-local/src -name '*.java')
	mvn -B -q -f neo4j-local/pom.xml package -DskipTests

neo4j-build: $(JAR)

neo4j-start: install
	$(CDP) neo4j start

neo4j-stop:
	-$(CDP) neo4j stop

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test-unit: install
	$(BIN)/pytest -m unit -q

# The whole suite: lint, unit tests, then integration tests on a real Neo4j started here
# and stopped afterwards, whatever the result.
test: install lint
	$(TEST_ENV) $(CDP) neo4j start
	set +e; $(TEST_ENV) $(BIN)/pytest -q -p no:cacheprovider --durations=30; rc=$$?; \
		$(TEST_ENV) $(CDP) neo4j stop; exit $$rc

test-integration: install
	$(TEST_ENV) $(CDP) neo4j start
	$(TEST_ENV) $(BIN)/pytest -m integration -q

# The demo: local Neo4j, the pipeline end to end on generated data, then the API.
demo: install
	$(CDP) neo4j start
	$(CDP) demo
	$(CDP) serve

serve: install
	$(CDP) serve

clean:
	-$(CDP) neo4j stop
	rm -rf var neo4j-local/target api/web/dist web/node_modules
