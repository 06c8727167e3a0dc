#!/usr/bin/env bash
# make local-up / make local-down: the kind cluster and the local stack (spec 6.1).
#
#   up:   check the tools and the kind version, get the service images into the cluster, create
#         the kind cluster "tiketi" (if missing), then `pulumi up --stack local`, and wait until
#         every workload is Available.
#   down: `pulumi destroy --stack local` (if the stack exists) and delete the cluster.
#
# Where the eight service images come from (their sources are not in this repository):
#   APP_DIR=/path/to/tiketi   build them from an application checkout: services-spring/<service>/
#                             and frontend/ (each with its Dockerfile), then `kind load` them;
#   (nothing)                 `kind load` the images already built locally (tiketi-spring-<service>:<tag>);
#   MODE=platform             no services at all: PostgreSQL, Dragonfly, Kafka, Zipkin, Loki, Promtail
#                             and Grafana only, for running the services from an IDE
#                             (tiketi:workloads.deployServices=false, in a copy of Pulumi.local.yaml).
# Without any of them and with an image missing, it stops before creating anything.
set -euo pipefail
cd "$(dirname "$0")/.."

CLUSTER=tiketi
NAMESPACE=tiketi-spring
# kind >= 0.28.0 ships kube-network-policies v0.8.0, whose e2e suite checks that kubelet probes pass
# under a default-deny ingress+egress policy (kubernetes-sigs/kind#3875, kube-network-policies#150).
# Older kind enforces no NetworkPolicy at all (< 0.24) or ships builds under which TCP probes were
# reported failing behind a default deny (0.24-0.27). The version this stack is written for, and
# whose default node image local/kind-config.yaml pins:
KIND_MINIMUM=0.28.0
KIND_PINNED=0.31.0
SPRING_SERVICES=(gateway-service auth-service ticket-service payment-service stats-service queue-service community-service)
MODE=${MODE:-full}
APP_DIR=${APP_DIR:-}
PYTHON=${PYTHON:-venv/bin/python}

need() {
  local missing=()
  for tool in "$@"; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
  if ((${#missing[@]})); then
    echo "error: missing ${missing[*]}. The local stack needs:" >&2
    echo "  docker  a running Docker engine (Docker Desktop, colima, ...)" >&2
    echo "  kind    v$KIND_PINNED: https://kind.sigs.k8s.io/docs/user/quick-start/#installation" >&2
    echo "  pulumi  https://www.pulumi.com/docs/install/ (then: pulumi login --local, or your backend)" >&2
    exit 127
  fi
  if [[ " $* " == *" docker "* ]] && ! docker info >/dev/null 2>&1; then
    echo "error: docker is installed but its engine is not running; start it and try again" >&2
    exit 1
  fi
}

version_at_least() {  # version_at_least 0.27.0 0.28.0 -> false
  [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]
}

check_kind_version() {
  local version
  version=$(kind version 2>/dev/null | sed -n 's/^kind v\([0-9][0-9.]*\).*/\1/p')
  if [[ -z "$version" ]]; then
    echo "error: could not read the kind version from 'kind version'; install kind v$KIND_PINNED" >&2
    exit 1
  fi
  if ! version_at_least "$version" "$KIND_MINIMUM"; then
    echo "error: kind v$version is too old: this stack's default-deny NetworkPolicies need kind >= v$KIND_MINIMUM" >&2
    echo "  (older kind enforces no NetworkPolicy, or fails kubelet TCP probes under them: kubernetes-sigs/kind#3875)." >&2
    echo "  Install kind v$KIND_PINNED: https://kind.sigs.k8s.io/docs/user/quick-start/#installation" >&2
    exit 1
  fi
  if [[ "$version" != "$KIND_PINNED" ]]; then
    echo "warning: kind v$version; this stack pins v$KIND_PINNED (and its node image, in local/kind-config.yaml)" >&2
  fi
}

image_tag() {  # tiketi:workloads.imageTag of the local stack
  "$PYTHON" -c 'import yaml; c = yaml.safe_load(open("Pulumi.local.yaml"))["config"]; print(c["tiketi:workloads"].get("imageTag", "local"))'
}

build_from_checkout() {
  local tag=$1 missing=() service dir
  for service in "${SPRING_SERVICES[@]}" frontend; do
    dir="$APP_DIR/services-spring/$service"
    [[ $service == frontend ]] && dir="$APP_DIR/frontend"
    [[ -f "$dir/Dockerfile" ]] || missing+=("$dir/Dockerfile")
  done
  if ((${#missing[@]})); then
    echo "error: APP_DIR=$APP_DIR is not a Tiketi application checkout; missing:" >&2
    printf '  %s\n' "${missing[@]}" >&2
    exit 1
  fi
  for service in "${SPRING_SERVICES[@]}" frontend; do
    dir="$APP_DIR/services-spring/$service"
    [[ $service == frontend ]] && dir="$APP_DIR/frontend"
    echo "building tiketi-spring-$service:$tag from $dir"
    docker build --tag "tiketi-spring-$service:$tag" "$dir"
  done
}

check_images() {
  local tag=$1 missing=() service
  for service in "${SPRING_SERVICES[@]}" frontend; do
    docker image inspect "tiketi-spring-$service:$tag" >/dev/null 2>&1 || missing+=("tiketi-spring-$service:$tag")
  done
  if ((${#missing[@]})); then
    echo "error: these service images are not built, and kind cannot pull them from anywhere:" >&2
    printf '  %s\n' "${missing[@]}" >&2
    echo "Choose one:" >&2
    echo "  make local-up APP_DIR=/path/to/tiketi   build them from an application checkout and load them" >&2
    echo "  make local-up MODE=platform             the platform and observability only, no services" >&2
    echo "  or build them yourself with these names, then run make local-up again" >&2
    exit 1
  fi
}

platform_only_config() {  # a copy of Pulumi.local.yaml with deployServices off; prints its path
  mkdir -p build/local-up
  "$PYTHON" - <<'PY'
import yaml
with open("Pulumi.local.yaml") as source:
    document = yaml.safe_load(source)
document["config"].setdefault("tiketi:workloads", {})["deployServices"] = False
with open("build/local-up/Pulumi.local.yaml", "w") as target:
    yaml.safe_dump(document, target, sort_keys=False)
PY
  echo build/local-up/Pulumi.local.yaml
}

up() {
  need docker kind pulumi
  check_kind_version
  local tag images=() config_args=()
  tag=$(image_tag)
  case "$MODE" in
    full)
      [[ -n "$APP_DIR" ]] && build_from_checkout "$tag"
      check_images "$tag"
      for service in "${SPRING_SERVICES[@]}" frontend; do images+=("tiketi-spring-$service:$tag"); done
      ;;
    platform)
      config_args=(--config-file "$(platform_only_config)")
      echo "platform-only mode: no service Deployments (tiketi:workloads.deployServices=false)"
      ;;
    *) echo "error: MODE=$MODE; expected full (the default) or platform" >&2; exit 2 ;;
  esac
  if ! kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
    kind create cluster --config local/kind-config.yaml --wait 120s
  fi
  if ((${#images[@]})); then
    kind load docker-image --name "$CLUSTER" "${images[@]}"
  fi
  # Pulumi itself waits until every Deployment and the Promtail DaemonSet are Ready (its await
  # logic), so a successful `pulumi up` already means everything is up.
  pulumi up --stack local ${config_args[@]+"${config_args[@]}"}
  echo "Ready. See it with: kubectl --context kind-$CLUSTER -n $NAMESPACE get deployments,daemonsets,pods"
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
