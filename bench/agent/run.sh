#!/usr/bin/env bash
# Agent throughput benchmark (issue 7): the agent's published events/s against a bare C libbpf ring-buffer reader
# (ringbuf_reader.c) on the same sensor object and the same load, as a ratio; plus the agent's CPU at ~5,000 events/s.
#
# Load: openloop.c (static) in a podman busybox container: short-lived children that each open 2,000 distinct files,
# so the kernel's per-process dedup passes every open (plus fork/exit per child). A shell loop cannot produce enough
# events to load the consumer: measured here, busybox sh tops out near 10k opens/s. The agent publishes to the local broker (real Kafka protocol) with its
# production settings. Needs root, podman (runc, cgroupfs), clang/bpftool/libbpf-dev, busybox-static, curl.
#
#   bench/agent/run.sh            WP_BENCH_SECONDS (default 10) per measurement
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds="${WP_BENCH_SECONDS:-10}"
work="$(mktemp -d /tmp/wp-agent-bench.XXXXXX)"
broker_port=19392
metrics_port=19464
socket="$work/podman.sock"
podman_flags=(--runtime runc --cgroup-manager cgroupfs --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none)
pids=()
containers=()

cleanup() {
  local status=$?
  if [[ $status -ne 0 && -f "$work/agent.log" ]]; then echo "[bench] failed; agent log:" >&2; tail -20 "$work/agent.log" >&2; fi
  for c in "${containers[@]}"; do podman rm -f -t 0 "$c" >/dev/null 2>&1 || true; done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

log() { echo "[bench] $*" >&2; }

log "building sensor, C reader, agent (Release) and local broker"
"$root/bpf/build.sh" "$work/bpf" >/dev/null
gcc -O2 -Wall -o "$work/ringbuf_reader" "$root/bench/agent/ringbuf_reader.c" -lbpf
gcc -O2 -Wall -static -o "$work/openloop" "$root/bench/agent/openloop.c"
dotnet build -c Release -v q -nologo "$root/agent/WorkloadProfiles.Agent/WorkloadProfiles.Agent.csproj" -o "$work/agent" >/dev/null
dotnet build -c Release -v q -nologo "$root/local/WorkloadProfiles.LocalBroker/WorkloadProfiles.LocalBroker.csproj" -o "$work/broker" >/dev/null
cp "$work/bpf/sensor.bpf.o" "$work/agent/sensor.bpf.o"

log "starting local broker on 127.0.0.1:$broker_port and podman API service"
"$work/broker/WorkloadProfiles.LocalBroker" --port "$broker_port" > "$work/broker.log" 2>&1 &
pids+=($!)
podman system service --time=0 "unix://$socket" > "$work/podman.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 200); do grep -q '^ready' "$work/broker.log" && [[ -S "$socket" ]] && break; sleep 0.1; done
grep -q '^ready' "$work/broker.log" || { cat "$work/broker.log" >&2; exit 1; }

# A busybox image imported from a rootfs tarball (no registry).
mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp"
cp /bin/busybox "$work/rootfs/bin/"
cp "$work/openloop" "$work/rootfs/bin/openloop"
for applet in $(/bin/busybox --list); do [[ "$applet" == busybox ]] || ln -sf busybox "$work/rootfs/bin/$applet"; done
echo "benchmark" > "$work/rootfs/etc/motd"
mkdir -p "$work/rootfs/data"
(cd "$work/rootfs/data" && for i in $(seq -w 0 1999); do : > "f$i"; done)
tar -C "$work/rootfs" -c . | podman import - localhost/wp-bench:1 >/dev/null

start_load() { # script; sets $started to the container id
  started=$(podman run -d "${podman_flags[@]}" localhost/wp-bench:1 /bin/sh -c "$1")
  containers+=("$started")
}
cgroup_of() { echo "$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)/libpod_parent/libpod-$1"; }
metric() { curl -s "http://127.0.0.1:$metrics_port/metrics" | awk -v name="$1" '$1 == name {print $2}' | head -1; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run_agent() { # sets $agent to the pid; waits until the load container is profiled
  WP_Agent__ContainerRuntimeEndpoint="unix://$socket" \
  WP_Agent__ImageFilter='^localhost/wp-bench@1$' \
  WP_Agent__MetricsListen="127.0.0.1:$metrics_port" \
  WP_Agent__FollowProfiles=false \
  WP_Agent__SessionLength=01:00:00 \
  WP_Kafka__BootstrapServers="127.0.0.1:$broker_port" \
    "$work/agent/wp-agent" run > "$work/agent.log" 2>&1 &
  agent=$!
  pids+=("$agent")
  for _ in $(seq 1 300); do [[ "$(metric wp_agent_profiled_containers)" == "1" ]] && break; sleep 0.1; done
  [[ "$(metric wp_agent_profiled_containers)" == "1" ]] || exit 1
  sleep 3 # warm-up: JIT and connection set-up are not the steady state
}

measure_agent() { # pid → "events_per_second cpu_percent kernel_drops"
  local pid=$1 e0 e1 c0 c1 t0 t1
  e0=$(metric wp_agent_events_published_total); c0=$(cpu_ticks "$pid"); t0=$(date +%s.%N)
  sleep "$seconds"
  e1=$(metric wp_agent_events_published_total); c1=$(cpu_ticks "$pid"); t1=$(date +%s.%N)
  local hz; hz=$(getconf CLK_TCK)
  awk -v e0="$e0" -v e1="$e1" -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v hz="$hz" -v d="$(metric wp_agent_kernel_ringbuf_drops)" \
    'BEGIN { t = t1 - t0; printf "%.0f %.1f %d\n", (e1 - e0) / t, 100 * (c1 - c0) / hz / t, d }'
}

stop_agent() { kill -TERM "$1"; wait "$1" 2>/dev/null || true; } # background jobs of a script ignore SIGINT

# 1. Saturating load: a tight open loop, 1,000 distinct files per shell process.
start_load "exec /bin/openloop /data 2000 0"; load=$started
log "raw reader: $seconds s on the flat-out open loop"
raw=$("$work/ringbuf_reader" "$work/bpf/sensor.bpf.o" "$seconds" "$(cgroup_of "$load")" | tail -1)
raw_rate=$(sed -E 's/.*rate=([0-9]+).*/\1/' <<<"$raw")
raw_drops=$(sed -E 's/.*drops=([0-9]+).*/\1/' <<<"$raw")

log "agent: $seconds s on the same load, publishing to the local broker"
run_agent
read -r agent_rate agent_cpu agent_drops < <(measure_agent "$agent")
stop_agent "$agent"
podman rm -f -t 0 "$load" >/dev/null

# 2. Paced load: about 5,000 opens/s.
start_load "exec /bin/openloop /data 2000 5000"
log "agent: $seconds s on the paced load"
run_agent
read -r paced_rate paced_cpu paced_drops < <(measure_agent "$agent")
stop_agent "$agent"

echo
echo "Agent benchmark ($(nproc) CPUs, $(uname -r), ${seconds}s per measurement)"
printf "  %-44s %10s events/s  (kernel ring-buffer drops %s)\n" "bare C libbpf ring-buffer reader" "$raw_rate" "$raw_drops"
printf "  %-44s %10s events/s  (kernel ring-buffer drops %s, agent CPU %s%%)\n" "agent: decode + batch + Kafka publish" "$agent_rate" "$agent_drops" "$agent_cpu"
awk -v a="$agent_rate" -v r="$raw_rate" 'BEGIN { printf "  ratio agent / raw reader: %.2f\n", a / r }'
printf "  agent CPU at %s events/s (paced load): %s%% of one core" "$paced_rate" "$paced_cpu"
awk -v c="$paced_cpu" -v r="$paced_rate" 'BEGIN { if (r > 0) printf " → %.1f%% at 5,000 events/s (linear)\n", c * 5000 / r; else print "" }'
