# Everything runs from the project's own virtualenv, created on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= dev

.PHONY: help venv preview rotation-plan test check-policy clean

help:
	@echo "make preview [STACK=dev] [PREVIOUS=export.json] [EXPORT=file] [CONFIG=policy-config] [JSON=1]"
	@echo "                                         offline preview of Pulumi.<stack>.yaml, with the policy pack"
	@echo "make rotation-plan [STACK=dev] [PREVIOUS=export.json]         what the next pulumi up changes per link, and the runbook"
	@echo "make test                                the whole test suite"
	@echo "make check-policy FILE=path [CONFIG=f]   policy pack over a stack export or preview --json file"

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

venv: $(VENV)/.installed

preview: venv
	$(PY) -m offline.preview --stack $(STACK) $(if $(EXPORT),--export $(EXPORT)) $(if $(CONFIG),--policy-config $(CONFIG)) $(if $(JSON),--json) $(if $(PREVIOUS),--previous $(PREVIOUS))

rotation-plan: venv
	$(PY) -m offline.rotation_plan --stack $(STACK) $(if $(PREVIOUS),--previous $(PREVIOUS))

check-policy: venv
	@test -n "$(FILE)" || { echo "usage: make check-policy FILE=<stack export or preview --json> [CONFIG=<policy config>]" >&2; exit 2; }
	$(PY) -m policy.expressroute_policy.checker $(FILE) $(if $(CONFIG),--config $(CONFIG)) $(if $(JSON),--json)

test: venv
	$(PY) -m pytest

clean:
	rm -rf $(VENV) .pytest_cache
