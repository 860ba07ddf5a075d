# Shared by the agent benchmarks (sourced): podman settings, logging, the load image, the local broker and podman's API.
# Expects $root, $work and the arrays pids/containers from the script that sources it.

podman_flags=(--runtime runc --cgroup-manager cgroupfs --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none)
# podman's Docker-compatible API, for the agent's Agent:ContainerRuntimeEndpoint (see start_broker_and_podman).
socket="$work/podman.sock"

log() { echo "[bench] $*" >&2; }

# A busybox image with the static openloop load and 2,000 empty files under /data, imported from a rootfs tarball (no
# registry). $1 = image reference, $2 = the built openloop binary.
import_load_image() {
  local image=$1 openloop=$2 rootfs="$work/rootfs"
  mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/data"
  cp /bin/busybox "$rootfs/bin/"
  cp "$openloop" "$rootfs/bin/openloop"
  for applet in $(/bin/busybox --list); do [[ "$applet" == busybox ]] || ln -sf busybox "$rootfs/bin/$applet"; done
  echo "benchmark" > "$rootfs/etc/motd"
  (cd "$rootfs/data" && for i in $(seq -w 0 1999); do : > "f$i"; done)
  tar -C "$rootfs" -c . | podman import - "$image" >/dev/null
}

# The local broker command on 127.0.0.1:$1 (built into $work/broker) and podman's API service on $socket;
# returns once both answer.
start_broker_and_podman() {
  local port=$1
  log "starting local broker on 127.0.0.1:$port and podman API service"
  "$work/broker/WorkloadProfiles.LocalBroker" --port "$port" > "$work/broker.log" 2>&1 &
  pids+=($!)
  podman system service --time=0 "unix://$socket" > "$work/podman.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 200); do grep -q '^ready' "$work/broker.log" && [[ -S "$socket" ]] && break; sleep 0.1; done
  grep -q '^ready' "$work/broker.log" || { cat "$work/broker.log" >&2; exit 1; }
}

# libbpf attaches tracepoints through tracefs; the agent mounts it when it is missing (as on a fresh boot), the bare
# reader does not — so the benches mount it before anything runs.
ensure_tracefs() {
  mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing
}
