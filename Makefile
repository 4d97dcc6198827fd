# Thin wrappers around scripts/ and the policybot CLI. Each target installs what is missing.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: help setup servers run test validate train eval bench bench-load clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup:  ## create .venv and install dependencies (only when requirements.lock changed)
	@bash scripts/setup-venv.sh

run: setup  ## validate content, train if needed, start the bot (Telegram if TELEGRAM_TOKEN is set, else terminal)
	@$(BIN)/policybot validate || echo "内容有错误（见上）：机器人用上一版正确的内容启动；没有上一版时会说明原因并退出。"
	@$(BIN)/policybot run

servers:  ## install PostgreSQL and Redis from Debian's packages (for the tests and --workers), if missing
	@bash scripts/install-servers.sh

test: setup servers  ## run the test suite (starts its own PostgreSQL and Redis on loopback)
	@$(BIN)/python -m pytest

validate: setup  ## check faq/ and knowledge/
	@$(BIN)/policybot validate

clean:  ## remove .venv and generated files (the shared dependency cache stays)
	rm -rf $(VENV) rasa_project/data/generated rasa_project/models .pytest_cache

eval: setup  ## accuracy on the labelled question set (tests/eval), report in reports/eval.json
	@$(BIN)/policybot eval

bench: setup  ## benchmark: start-up, turn latency, memory, training time (reports/bench.json)
	@$(BIN)/python bench/bench.py

train: setup  ## regenerate Rasa data from faq/ and train if its inputs changed
	@$(BIN)/policybot train

bench-load: setup servers  ## load benchmark: the front and 1, then 2 workers on real PostgreSQL and Redis, simulated users with think time (reports/bench_load.json, ~40 min)
	@$(BIN)/python bench/bench_load.py --workers $${WORKERS:-1,2}
