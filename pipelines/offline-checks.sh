#!/usr/bin/env bash
# The offline checks of one stack, as both CI systems run them (GitHub Actions:
# .github/workflows/pulumi-stack.yml; Azure Pipelines: pipelines/templates/pulumi-stack.yml).
# Needs the project's virtualenv (`make venv`), no cloud credentials and no network: the
# caller fetches the last deployment first (`pulumi stack export`), which is what arms the
# MACsec rotation guard.
#
#   pipelines/offline-checks.sh STACK [PREVIOUS_EXPORT]
#
# Environment: OUT_DIR (default .pipeline-out), POLICY_CONFIG (optional policy config; default
# policy-config.STACK.json when it exists).
# Writes to OUT_DIR:
#   policy-pack-config-STACK.json  make policy-config STACK=.. [CONFIG=..] OUT=..: the stack's policy
#                               config as pulumi preview/up --policy-pack-config takes it ({} without
#                               one); the offline gate below and the workflows' pulumi commands all
#                               use this one file
#   offline-preview-STACK.json  make preview STACK=.. [PREVIOUS=..] EXPORT=.. CONFIG=.. JSON=1
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
policy_pack_config="$out/policy-pack-config-$stack.json"
rm -f "$preview_json" "$export_json" "$policy_json" "$summary_md" "$policy_pack_config"

# The policy config: rendered for the Pulumi CLI, and that same file checked offline. When it
# cannot be rendered, the preview reads the source itself and reports why (exit 2) in its summary.
source_config=${POLICY_CONFIG:-}
if [[ -z $source_config && -f "policy-config.$stack.json" ]]; then
  source_config="policy-config.$stack.json"
fi
render_args=(STACK="$stack" OUT="$policy_pack_config")
if [[ -n $source_config ]]; then
  render_args+=(CONFIG="$source_config")
fi
echo "policy config: make policy-config ${render_args[*]}"
if make -s --no-print-directory policy-config "${render_args[@]}"; then
  config="$policy_pack_config"
else
  config="$source_config"
fi

args=(STACK="$stack" EXPORT="$export_json" JSON=1)
if [[ -n $previous ]]; then
  args+=(PREVIOUS="$previous")
fi
if [[ -n $config ]]; then
  args+=(CONFIG="$config")
fi

echo "offline preview: make preview ${args[*]}"
make -s --no-print-directory preview "${args[@]}" > "$preview_json"

summary_args=(--stack "$stack" --preview "$preview_json" --out "$summary_md")
if [[ -f $export_json ]]; then
  echo "offline policy check: make check-policy FILE=$export_json JSON=1"
  check_args=(FILE="$export_json" JSON=1)
  if [[ -n $config ]]; then
    check_args+=(CONFIG="$config")
  fi
  make -s --no-print-directory check-policy "${check_args[@]}" > "$policy_json"
  summary_args+=(--policy "$policy_json")
fi

python3 pipelines/pr_summary.py "${summary_args[@]}"
status=$?
echo
cat "$summary_md"
exit "$status"
