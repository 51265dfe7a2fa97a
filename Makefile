# Everything runs from the project's own virtualenv, created on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= dev

.PHONY: help venv preview rotation-plan test check-policy bench clean

help:
	@echo "make preview [STACK=dev] [PREVIOUS=export.json] [EXPORT=file] [CONFIG=policy-config] [JSON=1]"
	@echo "                                         offline preview of Pulumi.<stack>.yaml, with the policy pack"
	@echo "make rotation-plan [STACK=dev] [PREVIOUS=export.json]         what the next pulumi up changes per link, and the runbook"
	@echo "make test                                the whole test suite"
	@echo "make check-policy FILE=path [CONFIG=f]   policy pack over a stack export or preview --json file"
	@echo "make bench [RUNS=5]                      timings of the offline preview and policy check (docs/performance.md)"

# The pinned requirements, then the components as the package `expressroute_encryption`
# (editable: it is this checkout's components/), which the examples/ programs import.
$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

venv: $(VENV)/.installed

preview: venv
	$(PY) -m offline.preview --stack $(STACK) $(if $(EXPORT),--export $(EXPORT)) $(if $(CONFIG),--policy-config $(CONFIG)) $(if $(JSON),--json) $(if $(PREVIOUS),--previous $(PREVIOUS))

rotation-plan: venv
	$(PY) -m offline.rotation_plan --stack $(STACK) $(if $(PREVIOUS),--previous $(PREVIOUS))

# `make check-policy` keeps the checker's exit codes (0 clean, 1 mandatory violation,
# 2 unreadable input). GNU make itself only exits 0 or 2 (and 1 under -q), so the check
# runs while the Makefile is read: a violation turns on -q, which makes the out-of-date
# phony goal exit 1; bad input stops with make's own exit 2.
ifeq ($(MAKECMDGOALS),check-policy)
ifeq ($(FILE),)
$(error usage: make check-policy FILE=<stack export or preview --json> [CONFIG=<policy config>] [JSON=1])
endif
CHECK_LOG := $(shell mktemp)
CHECK_CODE := $(shell { $(MAKE) -q $(VENV)/.installed || $(MAKE) -s --no-print-directory venv; } >&2 && \
	$(PY) -m policy.expressroute_policy.checker $(FILE) $(if $(CONFIG),--config $(CONFIG)) $(if $(JSON),--json) \
	> $(CHECK_LOG) 2>&1; echo $$?; )
$(info $(file < $(CHECK_LOG)))
$(shell rm -f $(CHECK_LOG))
ifeq ($(CHECK_CODE),1)
MAKEFLAGS += -q
else ifneq ($(CHECK_CODE),0)
$(error check-policy: the file or policy config could not be read (exit 2))
endif
endif

check-policy:
	@true

test: venv
	$(PY) -m pytest

bench: venv
	$(PY) -m bench.run $(if $(RUNS),--runs $(RUNS))

clean:
	rm -rf $(VENV) .pytest_cache
