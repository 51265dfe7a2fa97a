# Thin wrappers around the `expressroute-encryption` command (src/expressroute_encryption/cli.py),
# run from the project's own virtualenv (.venv), created on first use. What each target and
# each subcommand exits with: docs/commands.md, "Exit codes".
#
# Two virtualenvs: .venv, the deployment one (Pulumi.yaml and policy/PulumiPolicy.yaml name
# it), holds the runtime pins of requirements.txt only, as `pulumi install` makes it; the
# test tools of requirements-dev.txt go into .venv-test, which only `make test` uses.
#
#   make preview       [STACK=dev] [PREVIOUS=f] [EXPORT=f] [CONFIG=f] [JSON=1] [VERBOSE=1]
#   make rotation-plan [STACK=dev] [PREVIOUS=f]
#   make check-policy  FILE=f [CONFIG=f] [JSON=1]
#   make bench         [RUNS=5]
#   make adopt         STACK=name PORT=f [CIRCUITS=f] [VAULT=f] [EXEMPT_UNTIL=YYYY-MM-DD]
#   make policy-config STACK=name [CONFIG=f] [OUT=f]
#   make test | venv | clean | help
#
# Three promises, and how they are kept:
#
# - No injection. Every value reaches the command as one argument: it is read with $(value),
#   so make never expands a `$(...)` in it (nor does a recipe's environment: see `unexport`),
#   and put in '...' quotes for the shell (' -> '\'').
#   Options are passed as --flag='value' and FILE after `--`, so a value that starts with `-`
#   stays a value.
# - The command's exit code: 0 ok, 1 refused, 2 bad input. GNU make exits 2 whenever a recipe
#   fails, and only 1 under -q, so the four command targets run their command while this file
#   is read (one command per make run: the target must be the only goal), then end as a rule
#   that does nothing (command exited 0), under -q (exited 1: make exits 1) or with $(error)
#   (anything else: make exits 2). The command's stdout is printed as it was; stderr is live.
# - Nothing else on stdout, so that JSON=1 prints exactly one JSON document: no recipe echo,
#   and the venv creation (python -m venv, pip) writes to stderr.
#
# `make -n <target>` (also -q, -t) runs nothing: it prints the command it would run.
# Needs GNU make 4.2 or later ($(file <)); macOS ships 3.81: `brew install make`, then `gmake`.

ifneq ($(filter 3.% 4.0 4.0.% 4.1 4.1.%,$(MAKE_VERSION)),)
$(error GNU make 4.2 or later is needed (this is $(MAKE_VERSION)); on macOS: brew install make, then gmake)
endif

# -n/--just-print, -q/--question or -t/--touch: show, never run. Single-letter flags lead
# MAKEFLAGS as one word (`ns`); long-only options start with `--`.
short_flags := $(filter-out --%,$(firstword -$(MAKEFLAGS)))
dry_run := $(findstring n,$(short_flags))$(findstring q,$(short_flags))$(findstring t,$(short_flags))
MAKEFLAGS += --no-print-directory
# make exports command-line variables to every recipe's environment, expanding them on the
# way (a `$(shell ...)` in a value would run there): none is exported, values are quoted.
unexport $(foreach variable,$(.VARIABLES),$(if $(filter command line,$(origin $(variable))),$(variable)))
PYTHON ?= python3
VENV := .venv
TEST_VENV := .venv-test
CLI := $(VENV)/bin/expressroute-encryption
STACK ?= dev

# '...'-quote one value for the shell.
quote = '$(subst ','\'',$(1))'
# --flag='value of variable $(2)' when that variable is set, nothing otherwise.
option = $(if $(value $(2)),$(1)=$(call quote,$(value $(2))))
json = $(if $(value JSON),--json)
verbose = $(if $(value VERBOSE),--verbose)

# The command behind each command target.
preview.command = $(CLI) preview $(call option,--stack,STACK) $(call option,--previous,PREVIOUS) \
	$(call option,--export,EXPORT) $(call option,--policy-config,CONFIG) $(call option,--vault,VAULT) $(json) $(verbose)
rotation-plan.command = $(CLI) rotation-plan $(call option,--stack,STACK) $(call option,--previous,PREVIOUS)
check-policy.command = $(CLI) check-policy $(call option,--config,CONFIG) $(json) -- $(call quote,$(value FILE))
bench.command = $(CLI) bench $(call option,--runs,RUNS)
# STACK has a default for the other targets; adopt needs it said (the command refuses without).
adopt.command = $(CLI) adopt $(if $(filter command line environment,$(origin STACK)),$(call option,--stack,STACK)) \
	$(call option,--port,PORT) $(call option,--circuits,CIRCUITS) $(call option,--vault,VAULT) \
	$(call option,--exempt-until,EXEMPT_UNTIL)
# The stack's policy-config.<stack>.json as pulumi --policy-pack-config takes it (to OUT, or stdout).
policy-config.command = $(CLI) policy-config $(call option,--stack,STACK) $(call option,--config,CONFIG) \
	$(call option,--output,OUT)

COMMANDS := preview rotation-plan check-policy bench adopt policy-config
goal := $(filter $(COMMANDS),$(MAKECMDGOALS))

.PHONY: help venv test clean $(COMMANDS)

help:
	@echo "make preview [STACK=dev] [PREVIOUS=export.json] [EXPORT=file] [CONFIG=policy-config] [JSON=1] [VERBOSE=1]"
	@echo "                                         offline preview of Pulumi.<stack>.yaml, with the policy pack"
	@echo "make rotation-plan [STACK=dev] [PREVIOUS=export.json]         what the next pulumi up changes per link, and the runbook"
	@echo "make test                                the whole test suite (from .venv-test; creates .venv too)"
	@echo "make check-policy FILE=path [CONFIG=f] [JSON=1]   policy pack over a stack export or preview --json file"
	@echo "make bench [RUNS=5]                      timings of the offline preview and policy check (docs/performance.md)"
	@echo "make adopt STACK=name PORT=port.json [CIRCUITS=circuits.json] [VAULT=vault.json] [EXEMPT_UNTIL=YYYY-MM-DD]"
	@echo "                                         write Pulumi.<STACK>.yaml for an existing port (never overwrites)"
	@echo "make policy-config STACK=name [CONFIG=f] [OUT=f]"
	@echo "                                         policy-config.<STACK>.json as pulumi --policy-pack-config takes it"
	@echo "exit codes: 0 ok, 1 refused (policy violation, refused change), 2 bad input (docs/commands.md, \"Exit codes\")"

# The deployment virtualenv: the runtime pins (requirements.txt, what `pulumi install` uses)
# with the package itself installed editable, and nothing else: --clear empties a .venv made
# before the split (its stamp had another name), so no test tool stays behind. All output to
# stderr.
$(VENV)/.runtime-installed: requirements.txt pyproject.toml
	@$(call quote,$(value PYTHON)) -m venv --clear $(VENV) >&2
	@$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
	@$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt >&2
	@touch $@

# The test virtualenv: the same runtime pins and package, plus the test tools.
$(TEST_VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	@$(call quote,$(value PYTHON)) -m venv --clear $(TEST_VENV) >&2
	@$(TEST_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
	@$(TEST_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt >&2
	@touch $@

venv: $(VENV)/.runtime-installed

# The tests run the command of .venv (make targets, the policy pack's virtualenv) as users do.
test: venv $(TEST_VENV)/.installed
	@$(TEST_VENV)/bin/python -m pytest

clean:
	rm -rf $(VENV) $(TEST_VENV) .pytest_cache

# The command targets. Refused before anything runs: a second goal (`make check-policy help`
# would otherwise skip the check and exit 0) and check-policy without FILE.
ifeq ($(goal),)
$(COMMANDS):
else ifneq ($(words $(MAKECMDGOALS)),1)
$(error $(firstword $(goal)) runs on its own, one command per make run: make $(firstword $(goal)) [VARIABLE=value ...])
else ifeq ($(goal):$(value FILE),check-policy:)
$(error usage: make check-policy FILE=<stack export or preview --json> [CONFIG=<policy config>] [JSON=1])
else ifneq ($(dry_run),)
# -n, -q, -t: make prints (-n) the command without running it, nor creating the venv.
$(goal): venv
	$($(goal).command)
else
# Run it now (creating the venv first, all on stderr), keep its stdout and exit code.
output := $(shell mktemp)
code := $(shell if { $(MAKE) -s -q $(VENV)/.runtime-installed || $(MAKE) -s venv PYTHON=$(call quote,$(value PYTHON)); } >&2; \
	then $($(goal).command) > $(output); echo $$?; else echo venv; fi)
stdout := $(file < $(output))
$(shell rm -f $(output))
$(if $(stdout),$(info $(stdout)))
ifeq ($(code),0)
$(goal):
	@:
else ifeq ($(code),1)
# Refused: the goal is left out of date under -q, which is how make exits 1.
MAKEFLAGS += -q
$(goal):
	@:
else ifeq ($(code),venv)
$(error could not create $(VENV) (see above); `make venv` retries)
else
$(error $(goal): expressroute-encryption exited $(code))
endif
endif
