#!/usr/bin/env bash
# The offline checks of one stack, as both CI systems run them (GitHub Actions:
# .github/workflows/pulumi-stack.yml; Azure Pipelines: pipelines/templates/pulumi-stack.yml).
# Needs the project's virtualenv (`make venv`), no cloud credentials and no network: the
# caller fetches the last deployment first (`pulumi stack export`), which is what arms the
# MACsec rotation guard.
#
#   pipelines/offline-checks.sh STACK [PREVIOUS_EXPORT]
#
# Environment: OUT_DIR (default .pipeline-out), POLICY_CONFIG (optional policy pack config).
# Writes to OUT_DIR:
#   offline-preview-STACK.json  make preview STACK=.. [PREVIOUS=..] EXPORT=.. JSON=1
#   preview-export-STACK.json   what that preview registered, as a stack export (secrets withheld)
#   policy-check-STACK.json     make check-policy FILE=<that export> JSON=1
#   summary-STACK.md            both as Markdown, for the pull request (also printed here)
# Exit status: the offline preview's (0 ok, 1 mandatory policy violation, 2 config, stack-file or
# policy-config error, or a MACsec change the rotation guard refuses), else the policy check's.
# (`make preview` and `make check-policy` exit with the command's own code; pr_summary.py reads
# it back from the JSON summaries, so the status holds even when a step could not run at all.)
set -uo pipefail

stack=${1:?usage: offline-checks.sh STACK [PREVIOUS_EXPORT]}
previous=${2:-}
out=${OUT_DIR:-.pipeline-out}
cd "$(dirname "$0")/.." || exit 2
mkdir -p "$out"

preview_json="$out/offline-preview-$stack.json"
export_json="$out/preview-export-$stack.json"
policy_json="$out/policy-check-$stack.json"
summary_md="$out/summary-$stack.md"
rm -f "$preview_json" "$export_json" "$policy_json" "$summary_md"

args=(STACK="$stack" EXPORT="$export_json" JSON=1)
if [[ -n $previous ]]; then
  args+=(PREVIOUS="$previous")
fi
if [[ -n ${POLICY_CONFIG:-} ]]; then
  args+=(CONFIG="$POLICY_CONFIG")
fi

echo "offline preview: make preview ${args[*]}"
make -s --no-print-directory preview "${args[@]}" > "$preview_json"

summary_args=(--stack "$stack" --preview "$preview_json" --out "$summary_md")
if [[ -f $export_json ]]; then
  echo "offline policy check: make check-policy FILE=$export_json JSON=1"
  check_args=(FILE="$export_json" JSON=1)
  if [[ -n ${POLICY_CONFIG:-} ]]; then
    check_args+=(CONFIG="$POLICY_CONFIG")
  fi
  make -s --no-print-directory check-policy "${check_args[@]}" > "$policy_json"
  summary_args+=(--policy "$policy_json")
fi

python3 pipelines/pr_summary.py "${summary_args[@]}"
status=$?
echo
cat "$summary_md"
exit "$status"
