#!/usr/bin/env bash
# Agent flush latency (issue 16): from the live sensor, how long a kernel event waits before its batch is produced to
# wp.events.raw (the record timestamp librdkafka stamps when the agent hands the batch over, minus the event's kernel
# time), at steady loads of about 10, 1,000 and 10,000 events/s in one container. The other half of "kernel event ->
# enriched signal"; the stream side is `wp-streams latency-bench`.
# Then the whole path live: wp-streams (production defaults) joins, a container runs shells (`sh -c :`, which the
# default rules flag) at about 10 and 100 a second, and the enriched signals are read as they come:
# read time - kernel event time.
#
# Load: openloop.c (static) in a podman busybox container, paced opens of distinct files by short-lived children (fork,
# exit and open events). The agent runs with its production settings (Agent:FlushInterval 100 ms, MaxBatchEvents 512)
# against the local broker command; `wp-streams latency-bench --agent-flush` reads wp.events.raw meanwhile.
# Needs root, podman (runc, cgroupfs), clang/bpftool/libbpf-dev, busybox-static, curl.
#
#   bench/agent/flush-latency.sh        WP_BENCH_SECONDS (default 15) per rate, WP_BENCH_RATES (default "10 1000 10000"),
#                                       WP_BENCH_SHELL_RATES (default "10 100")
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds="${WP_BENCH_SECONDS:-15}"
rates="${WP_BENCH_RATES:-10 1000 10000}"
shell_rates="${WP_BENCH_SHELL_RATES:-10 100}"
work="$(mktemp -d /tmp/wp-flush-bench.XXXXXX)"
broker_port=19492
metrics_port=19564
streams_http_port=19565
pids=()
containers=()
source "$root/bench/agent/lib.sh"

cleanup() {
  local status=$?
  if [[ $status -ne 0 && -f "$work/agent.log" ]]; then echo "[bench] failed; agent log:" >&2; tail -20 "$work/agent.log" >&2; fi
  if (( ${#containers[@]} > 0 )); then podman rm --force --ignore --time 0 "${containers[@]}" >/dev/null 2>&1 || true; fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

log "building sensor, load, agent, local broker and wp-streams (Release)"
"$root/bpf/build.sh" "$work/bpf" >/dev/null
gcc -O2 -Wall -static -o "$work/openloop" "$root/bench/agent/openloop.c"
dotnet build -c Release -v q -nologo "$root/agent/WorkloadProfiles.Agent/WorkloadProfiles.Agent.csproj" -o "$work/agent" >/dev/null
dotnet build -c Release -v q -nologo "$root/local/WorkloadProfiles.LocalBroker/WorkloadProfiles.LocalBroker.csproj" -o "$work/broker" >/dev/null
dotnet build -c Release -v q -nologo "$root/streams/WorkloadProfiles.Streams.Host/WorkloadProfiles.Streams.Host.csproj" -o "$work/streams" >/dev/null
cp "$work/bpf/sensor.bpf.o" "$work/agent/sensor.bpf.o"

start_broker_and_podman "$broker_port"
import_load_image localhost/wp-flush-bench:1 "$work/openloop"

metric() { curl -s "http://127.0.0.1:$metrics_port/metrics" | awk -v name="$1" '$1 == name {print $2}' | head -1; }
# The agent with its production settings, watching the load image only; sets $agent.
start_agent() {
  WP_Agent__ContainerRuntimeEndpoint="unix://$socket" \
  WP_Agent__ImageFilter='^localhost/wp-flush-bench@1$' \
  WP_Agent__MetricsListen="127.0.0.1:$metrics_port" \
  WP_Agent__FollowProfiles=false \
  WP_Kafka__BootstrapServers="127.0.0.1:$broker_port" \
    "$work/agent/wp-agent" run > "$work/agent.log" 2>&1 &
  agent=$!
  pids+=("$agent")
}

echo
echo "Agent flush latency ($(nproc) CPUs, $(uname -r), ${seconds}s per rate; events are opens, forks and exits of one container)"
for rate in $rates; do
  # About 100 short-lived children a second (10 at the lowest rate), each opening rate/100 files: a steady trickle of
  # fork, open and exit events rather than bursts (openloop paces children, each opening its files at once).
  files=$(( rate >= 100 ? rate / 100 : 1 ))
  container=$(podman run -d "${podman_flags[@]}" localhost/wp-flush-bench:1 /bin/sh -c "exec /bin/openloop /data $files $rate")
  containers+=("$container")
  start_agent
  for _ in $(seq 1 600); do [[ "$(metric wp_agent_profiled_containers)" == "1" ]] && break; sleep 0.1; done
  [[ "$(metric wp_agent_profiled_containers)" == "1" ]] || { log "agent did not profile the load container"; exit 1; }
  sleep 3 # warm-up: JIT, the /proc scan of the running load, connection set-up
  printf "  ~%6s events/s: " "$rate"
  dotnet "$work/streams/wp-streams.dll" latency-bench --agent-flush --bootstrap "127.0.0.1:$broker_port" --seconds "$seconds"
  kill -TERM "$agent"; wait "$agent" 2>/dev/null || true
  podman rm -f -t 0 "$container" >/dev/null
done

echo "Kernel event -> enriched signal, live (agent, wp-streams with its defaults, local broker; ${seconds}s per rate)"
WP_Kafka__BootstrapServers="127.0.0.1:$broker_port" \
WP_Kafka__LocalBrokerControlPort="$(sed -n 's/^ready .*control=127.0.0.1:\([0-9]*\).*/\1/p' "$work/broker.log")" \
WP_Streams__StateDir="$work/streams-state" \
WP_Http__Port="$streams_http_port" \
  dotnet "$work/streams/wp-streams.dll" > "$work/streams.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$streams_http_port/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$streams_http_port/healthz" >/dev/null || { log "wp-streams not healthy"; tail -20 "$work/streams.log" >&2; exit 1; }
for rate in $shell_rates; do
  container=$(podman run -d "${podman_flags[@]}" localhost/wp-flush-bench:1 /bin/sh -c "while :; do sh -c :; usleep $(( 1000000 / rate )); done")
  containers+=("$container")
  start_agent
  for _ in $(seq 1 600); do [[ "$(metric wp_agent_watched_containers)" -ge 1 ]] 2>/dev/null && break; sleep 0.1; done
  sleep 5 # warm-up: JIT of the agent, the first signals through every stream task
  printf "  ~%4s shells/s: " "$rate"
  dotnet "$work/streams/wp-streams.dll" latency-bench --live --bootstrap "127.0.0.1:$broker_port" --seconds "$seconds"
  kill -TERM "$agent"; wait "$agent" 2>/dev/null || true
  podman rm -f -t 0 "$container" >/dev/null
done
