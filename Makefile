# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
APP_PY := .venv-app/bin/python
export PYTHONPATH := $(CURDIR)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export RASA_TELEMETRY_ENABLED := false

.PHONY: setup run test validate index bench eval clean

setup:            ## install everything (idempotent; seconds when nothing changed)
	@bash scripts/setup.sh

run: setup        ## run the whole bot at http://127.0.0.1:8000 (Ctrl-C stops it)
	@$(APP_PY) -m bot.launcher

test: setup       ## validate the knowledge base and run every test (slow model tests included)
	@$(APP_PY) -m bot.kb validate
	@$(APP_PY) -m pytest -q

validate:
	@$(APP_PY) -m bot.kb validate

index:
	@$(APP_PY) -m bot.kb index

bench: setup      ## benchmarks against a stack the script starts itself; results in bench/results/
	@$(APP_PY) bench/latency.py

eval: setup       ## routing evaluation on the dev set; report in bench/results/
	@$(APP_PY) -m bot.evaluate routing --queries tests/data/routing_dev.jsonl --out bench/results

clean:
	rm -rf build models data .rasa
