# Thin wrappers around the `expressroute-encryption` command (src/expressroute_encryption/cli.py),
# all run from the project's own virtualenv, created on first use.
#
# Every variable reaches the command as one quoted argument (`$(call arg,...)`), so no value
# can inject shell syntax. Recipes are not echoed, and pip's output goes to stderr, so that
# `JSON=1` prints exactly one JSON document on stdout.
#
# Exit codes: the command returns 0 ok, 1 refused, 2 bad input. GNU make itself exits 2
# whenever a recipe fails, so `make preview`, `make rotation-plan` and `make bench` exit 0 or 2
# (the command's own code is printed on stderr; call `.venv/bin/expressroute-encryption`
# directly where 1 and 2 must be told apart). `make check-policy` keeps 0/1/2 (see below).
PYTHON ?= python3
VENV := .venv
CLI := $(VENV)/bin/expressroute-encryption
STACK ?= dev

# '...'-quote one value for the shell ('  -> '\'').
quote = '$(subst ','\'',$(1))'
# "--flag 'value'" when the variable is set, nothing otherwise.
arg = $(if $(2),$(1) $(call quote,$(2)))
# Report the command's own exit code before make turns it into 2.
status = || { code=$$?; echo "make: $@: expressroute-encryption exited $$code" >&2; exit $$code; }

.PHONY: help venv preview rotation-plan test check-policy bench adopt clean

help:
	@echo "make preview [STACK=dev] [PREVIOUS=export.json] [EXPORT=file] [CONFIG=policy-config] [JSON=1]"
	@echo "                                         offline preview of Pulumi.<stack>.yaml, with the policy pack"
	@echo "make rotation-plan [STACK=dev] [PREVIOUS=export.json]         what the next pulumi up changes per link, and the runbook"
	@echo "make test                                the whole test suite"
	@echo "make check-policy FILE=path [CONFIG=f] [JSON=1]   policy pack over a stack export or preview --json file"
	@echo "make bench [RUNS=5]                      timings of the offline preview and policy check (docs/performance.md)"
	@echo "make adopt STACK=name PORT=port.json [CIRCUITS=circuits.json] [VAULT=vault.json]"
	@echo "                                         write Pulumi.<STACK>.yaml for an existing port (never overwrites)"

# Runtime pins (requirements.txt, also what `pulumi install` uses) with the package itself
# installed editable, then the test tools (requirements-dev.txt).
$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -m venv $(VENV) >&2
	@$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
	@$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt >&2
	@touch $@

venv: $(VENV)/.installed

preview: venv
	@$(CLI) preview --stack $(call quote,$(STACK)) $(call arg,--export,$(EXPORT)) \
		$(call arg,--policy-config,$(CONFIG)) $(call arg,--previous,$(PREVIOUS)) $(call arg,--vault,$(VAULT)) \
		$(if $(JSON),--json) $(status)

rotation-plan: venv
	@$(CLI) rotation-plan --stack $(call quote,$(STACK)) $(call arg,--previous,$(PREVIOUS)) $(status)

test: venv
	@$(VENV)/bin/python -m pytest

bench: venv
	@$(CLI) bench $(call arg,--runs,$(RUNS)) $(status)

# `make check-policy` keeps the checker's exit codes 0/1/2. A failed recipe always makes
# make exit 2, and only `-q` makes it exit 1, so the check runs while this file is read
# (only when check-policy is the sole goal, and never under -n/--just-print), and a
# mandatory violation turns on -q, under which the out-of-date goal exits 1. Bad input
# stops with make's own exit 2.
ifneq ($(filter check-policy,$(MAKECMDGOALS)),)
ifneq ($(MAKECMDGOALS),check-policy)
$(error check-policy runs on its own: make check-policy FILE=<file> [CONFIG=<file>] [JSON=1])
endif
ifeq ($(FILE),)
$(error usage: make check-policy FILE=<stack export or preview --json> [CONFIG=<policy config>] [JSON=1])
endif
ifeq ($(findstring n,$(firstword -$(MAKEFLAGS))),)
CHECK_LOG := $(shell mktemp)
CHECK_CODE := $(shell { $(MAKE) -s --no-print-directory -q $(VENV)/.installed || $(MAKE) -s --no-print-directory venv; } >&2 && \
	$(CLI) check-policy $(call quote,$(FILE)) $(call arg,--config,$(CONFIG)) $(if $(JSON),--json) > $(CHECK_LOG); echo $$?)
$(info $(file < $(CHECK_LOG)))
$(shell rm -f $(CHECK_LOG))
ifeq ($(CHECK_CODE),1)
MAKEFLAGS += -q
else ifneq ($(CHECK_CODE),0)
$(error check-policy: the file or policy config could not be read (exit 2))
endif
endif
endif

check-policy:
	@true

# STACK has a default for the other targets; adopt needs it said, so it reads the command line.
adopt: venv
	@if [ -z $(call quote,$(filter command line environment,$(origin STACK))) ] || [ -z $(call quote,$(PORT)) ]; then \
		echo "usage: make adopt STACK=<name> PORT=<az network express-route port show JSON> [CIRCUITS=<az network express-route list JSON>] [VAULT=<az keyvault show JSON>]" >&2; exit 2; fi
	@$(CLI) adopt --stack $(call quote,$(STACK)) --port $(call quote,$(PORT)) $(call arg,--circuits,$(CIRCUITS)) \
		$(call arg,--vault,$(VAULT)) $(status)

clean:
	rm -rf $(VENV) .pytest_cache
