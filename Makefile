# Two entry points for a fresh machine: `make demo` and `make test`. Both create .venv and install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The CPU build of PyTorch, installed before sentence-transformers so that pip does not pull a CUDA build.
TORCH_SPEC ?= torch==2.13.0
DEMO_STORE ?= .kgrag/demo.db
DEMO_QUESTIONS = "Which European regulator approved the antibody developed by the company Halvorsen bought in 2019?" \
	"Who is the chief executive of the company that acquired Calder Pharmaceuticals?" \
	"Who won the Tour de France in 2018?"

.PHONY: install demo test lint lint-cypher bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/pip install --quiet -e ".[models,onnx,pii,serve,graphrag,langchain,llamaindex,dev]"
	touch $@

demo: install
	$(BIN)/kgrag ingest data/corpus --domain data/domain/pharma.json --store $(DEMO_STORE)
	$(BIN)/kgrag query --store $(DEMO_STORE) --domain data/domain/pharma.json $(DEMO_QUESTIONS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The whole suite, with a throwaway Neo4j test server from ../shared/neo4j when there is one (tests/with-neo4j.sh):
# without it the Neo4j tests skip, except in CI (CI=true) or with KGRAG_REQUIRE_NEO4J=1, where they must run.
test: lint
	tests/with-neo4j.sh $(BIN)/pytest -q

# Neo4j's own Cypher parser (from npm) checks every statement in cypher/ without a server.
CYPHER_LINT := .cypher-lint
CYPHER_LINT_PACKAGE := @neo4j-cypher/language-support@2.0.0-next.38

lint-cypher:
	test -d $(CYPHER_LINT)/node_modules/@neo4j-cypher || npm install --silent --prefix $(CYPHER_LINT) $(CYPHER_LINT_PACKAGE)
	cp cypher/lint.mjs $(CYPHER_LINT)/lint.mjs
	node $(CYPHER_LINT)/lint.mjs cypher

clean:
	rm -rf $(VENV) .kgrag .pytest_cache .ruff_cache $(CYPHER_LINT)
