# Two entry points, each installs what it needs into .venv:
#   make plan STACK=dev   the offline plan of a committed stack (manifests + schema validation), into build/<stack>
#   make test             the whole test suite (includes a real local Flink cluster; needs Java 17, installed if missing)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STACK  ?= dev
OUT    ?= build/$(STACK)
# Offline runs read the operator CRDs from ../shared when it is there (digest-checked like a download).
SHARED_CRDS := $(abspath ../shared/upstream/crds)
CRD_CACHE_ENV := $(if $(wildcard $(SHARED_CRDS)),FLINK_PLATFORM_CRD_CACHE=$(SHARED_CRDS),)

.PHONY: plan test bench schema clean kube e2e

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	touch $@

$(VENV)/.dev: $(VENV)/.created requirements.txt requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

$(VENV)/.flink: $(VENV)/.dev requirements-flink.txt
	$(PY) -m pip install --quiet -r requirements-flink.txt
	touch $@

plan: $(VENV)/.dev
	$(CRD_CACHE_ENV) $(PY) -m tools.plan --stack $(STACK) --out $(OUT)

test: $(VENV)/.flink
	bash tools/ensure_system_deps.sh
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.flink
	bash tools/ensure_system_deps.sh
	$(CRD_CACHE_ENV) $(PY) -m bench.plan_scale
	$(CRD_CACHE_ENV) $(PY) -m bench.policy_gate
	$(PY) -m bench.upgrade

# The local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager built from testbed/recipes/kube,
# cached in ~/.cache/flink-platform) and the e2e tests against it, including the real Pulumi CLI and language host
# (testbed/pulumi/), a real cert-manager controller (testbed/certmanager/) and the real operator (testbed/operator/).
kube: $(VENV)/.dev
	$(PY) -m tools.kube_local build

e2e: $(VENV)/.dev
	$(PY) -m tools.kube_local build
	$(PY) -m tools.pulumi_local build
	$(PY) -m tools.cert_manager_local build
	$(PY) -m tools.operator_local build
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

schema: $(VENV)/.dev
	$(PY) -m tools.config_schema

clean:
	rm -rf build .pytest_cache
