# Set-up and everyday commands. `make run` and `make test` are all a newcomer needs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DOCS ?= seeds
INDEX ?= embeddings
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
SQUAD ?= ../shared/eval/squad-dev-public.json

.PHONY: run index test lint browser bench bench-speed bench-scale bench-docs bench-pydocs bench-nodedocs bench-ontopic bench-milvus bench-conflicts load clean

run: $(STAMP)  ## Build or update the index from seeds/, then serve the chat page and /ask
	$(BIN)/qa index $(DOCS) --index $(INDEX)
	$(BIN)/qa serve --host $(HOST) --port $(PORT) --index $(INDEX) --workers $(WORKERS)

index: $(STAMP)
	$(BIN)/qa index $(DOCS) --index $(INDEX)

# torch first, pinned to the CPU wheel: any other request pulls a multi-GB CUDA build.
# (torch is used once, to export the model to ONNX; ONNX Runtime runs it.)
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test,milvus]'
	touch $@

# The browser tests drive Debian's Chromium; install it when missing (as root).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else echo "chromium is missing: run 'sudo apt-get install chromium chromium-driver' for the browser tests"; fi; }

lint: $(STAMP)
	$(BIN)/ruff check qa web tests bench
	$(BIN)/ruff format --check qa web tests bench
	$(BIN)/mypy qa web --ignore-missing-imports

test: $(STAMP) browser lint
	$(BIN)/pytest

bench: $(STAMP)  ## Answer quality beside the baselines, four question styles (needs ../shared/eval)
	$(BIN)/pip install --quiet -e '.[test,milvus,bench]'
	$(BIN)/python -m bench.quality $(SQUAD)

bench-docs: $(STAMP)  ## Documentation questions over the PostgreSQL 15 docs (apt-get install postgresql-doc-15)
	$(BIN)/python -m bench.docs

bench-pydocs: $(STAMP)  ## "What does X do" over the Python 3.11 library docs (apt-get install python3.11-doc)
	$(BIN)/python -m bench.pydocs

bench-nodedocs: $(STAMP)  ## "What does X do" over the Node.js API reference in Markdown (Debian's nodejs package)
	$(BIN)/python -m bench.nodedocs

bench-ontopic: $(STAMP)  ## Declining questions on a short document's topic that it does not answer (needs ../shared/eval)
	$(BIN)/python -m bench.ontopic $(SQUAD)

bench-speed: $(STAMP)
	$(BIN)/python -m bench.speed $(SQUAD)

bench-scale: $(STAMP)  ## 100k, 300k and all sentences of four Debian documentation packages (hours)
	$(BIN)/python -m bench.scale $(SQUAD)

bench-milvus: $(STAMP)
	$(BIN)/python -m bench.milvus $(SQUAD)

bench-conflicts: $(STAMP)
	$(BIN)/python -m bench.conflicts

load: $(STAMP)
	$(BIN)/python -m bench.load --clients 32 --seconds 60

clean:
	rm -rf $(VENV) $(INDEX)/CURRENT $(INDEX)/v-* $(INDEX)/.tmp-* $(INDEX)/cache $(INDEX)/.lock tests/artifacts
