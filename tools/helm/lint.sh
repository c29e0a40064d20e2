#!/usr/bin/env bash
# Lints and renders the Helm chart; CI runs this. Exits non-zero on the first failure.
#   1. helm lint --strict with the default values and with ci/production-values.yaml
#   2. helm template both ways (plus the rebuild Job switched on) and check the output parses as
#      YAML and holds the 4 Deployments and, when enabled, the rebuild Job (check-rendered.js)
#   3. values that values.schema.json must reject are rejected
# Usage: tools/helm/lint.sh
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "${repo_root}"

export HELM_CACHE_HOME="${repo_root}/.tools/helm/home/cache"
export HELM_CONFIG_HOME="${repo_root}/.tools/helm/home/config"
export HELM_DATA_HOME="${repo_root}/.tools/helm/home/data"
mkdir -p "${HELM_CACHE_HOME}" "${HELM_CONFIG_HOME}" "${HELM_DATA_HOME}"

helm="$(tools/helm/fetch-helm.sh)"
chart='deploy/helm/postwave'
production="${chart}/ci/production-values.yaml"
out="$(mktemp -d)"
trap 'rm -rf "${out}"' EXIT

step() { printf '\n==> %s\n' "$*"; }

step "helm lint --strict (default values)"
"${helm}" lint --strict "${chart}"

step "helm lint --strict (${production})"
"${helm}" lint --strict "${chart}" -f "${production}"

render() {
  local name="$1"; shift
  "${helm}" template postwave "${chart}" --namespace postwave "$@" >"${out}/${name}.yaml"
}

step "helm template + checks"
render default
node tools/helm/check-rendered.js "${out}/default.yaml" Deployment=4 Job=0 Service=5 ConfigMap=1 \
  ServiceAccount=1 HorizontalPodAutoscaler=0 PodDisruptionBudget=0 Secret=0
render default-rebuild --set rebuildProjection.enabled=true
node tools/helm/check-rendered.js "${out}/default-rebuild.yaml" Deployment=4 Job=1 Secret=0
render production -f "${production}"
node tools/helm/check-rendered.js "${out}/production.yaml" Deployment=4 Job=0 Service=5 \
  HorizontalPodAutoscaler=2 PodDisruptionBudget=2 Secret=0
render production-rebuild -f "${production}" --set rebuildProjection.enabled=true
node tools/helm/check-rendered.js "${out}/production-rebuild.yaml" Deployment=4 Job=1 Secret=0

step "values.schema.json rejects bad values"
reject() {
  if "${helm}" template postwave "${chart}" "$@" >/dev/null 2>"${out}/reject.err"; then
    echo "schema accepted bad values: $*" >&2
    exit 1
  fi
  grep -q 'values don.t meet the specifications of the schema' "${out}/reject.err" || {
    echo "expected a schema error for: $*" >&2
    cat "${out}/reject.err" >&2
    exit 1
  }
  echo "rejected as expected: $*"
}
reject --set kafka.partitions=six
reject --set bounceQualifier.smtp.service.type=NodePort
reject --set telemetry.tracesExporter=jaeger
reject --set telemetry.tracesExporter=otlp
reject --set sendingMta.hostNetwork=yes
reject --set deliveryPlanner.replicaCount=-1
reject --set sendingMta.buildThreads=-1
reject --set unknownTopLevelKey=1
reject --set "extraEnv[0].name=FOO" --set "extraEnv[0].value=1"

step "ok"
