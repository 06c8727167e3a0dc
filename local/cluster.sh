#!/usr/bin/env bash
# make local-up / make local-down: the kind cluster and the local stack (spec 6.1).
#   up:   create the kind cluster "tiketi" (if missing), load the locally built service images,
#         then `pulumi up --stack local`.
#   down: `pulumi destroy --stack local` (if the stack exists) and delete the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."

CLUSTER=tiketi
SERVICES=(gateway-service auth-service ticket-service payment-service stats-service queue-service community-service frontend)

need() {
  local missing=()
  for tool in "$@"; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
  if ((${#missing[@]})); then
    echo "error: missing ${missing[*]}. The local stack needs:" >&2
    echo "  docker  a running Docker engine (Docker Desktop, colima, ...)" >&2
    echo "  kind    https://kind.sigs.k8s.io/docs/user/quick-start/#installation" >&2
    echo "  pulumi  https://www.pulumi.com/docs/install/ (then: pulumi login --local, or your backend)" >&2
    exit 127
  fi
  if [[ " $* " == *" docker "* ]] && ! docker info >/dev/null 2>&1; then
    echo "error: docker is installed but its engine is not running; start it and try again" >&2
    exit 1
  fi
}

up() {
  need docker kind pulumi
  if ! kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
    kind create cluster --config local/kind-config.yaml --wait 120s
  fi
  for service in "${SERVICES[@]}"; do
    image="tiketi-spring-${service}:local"
    if docker image inspect "$image" >/dev/null 2>&1; then
      kind load docker-image --name "$CLUSTER" "$image"
    else
      echo "warning: $image is not built; its pods will wait in ImagePullBackOff until you build and load it" >&2
    fi
  done
  pulumi up --stack local
}

down() {
  need kind pulumi
  if pulumi stack ls --json 2>/dev/null | grep -q '"name": *"local"'; then
    pulumi destroy --stack local --yes
  fi
  kind delete cluster --name "$CLUSTER"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
