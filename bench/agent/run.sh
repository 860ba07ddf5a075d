#!/usr/bin/env bash
# Agent benchmark (issues 7 and 11): the agent against a bare C libbpf ring-buffer reader (ringbuf_reader.c) on the same
# sensor object and the same load, measured in one run.
#
#  1. Throughput: a flat-out open loop in one container; published events/s of the agent vs records/s of the reader.
#  2. Cost at ~5,000 events/s (one container): agent CPU % of one core, RSS, drops; CPU per 1,000 events vs the reader's.
#  3. Fleet: WP_BENCH_CONTAINERS containers (default 50) sharing ~5,000 events/s; 5 hold profiling slots, the rest are
#     watched for detection only. Per scope: events/s and bytes/s published; agent CPU per 1,000 events, RSS and drops,
#     against the reader watching the same containers.
#
# Load: openloop.c (static) in podman busybox containers: short-lived children that each open distinct files, so the
# kernel's per-process dedup passes every open (plus fork/exit per child). The agent publishes to the local broker
# (real Kafka protocol) with its production settings. Needs root, podman (runc, cgroupfs), clang/bpftool/libbpf-dev,
# busybox-static, curl.
#
#   bench/agent/run.sh            WP_BENCH_SECONDS (default 10) per measurement; the agent as it ships (published ahead
#                                 of time, native); WP_BENCH_JIT=1 measures the JIT build (dotnet build) instead
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds="${WP_BENCH_SECONDS:-10}"
fleet_size="${WP_BENCH_CONTAINERS:-50}"
work="$(mktemp -d /tmp/wp-agent-bench.XXXXXX)"
broker_port=19392
metrics_port=19464
pids=()
containers=()
source "$root/bench/agent/lib.sh"

cleanup() {
  local status=$?
  if [[ $status -ne 0 && -f "$work/agent.log" ]]; then echo "[bench] failed; agent log:" >&2; tail -20 "$work/agent.log" >&2; fi
  if (( ${#containers[@]} > 0 )); then
    echo "[bench] removing ${#containers[@]} containers" >&2
    podman rm --force --ignore --time 0 "${containers[@]}" >/dev/null 2>"/tmp/wp-agent-bench-cleanup.log" \
      || echo "[bench] warning: podman rm failed: $(tail -3 /tmp/wp-agent-bench-cleanup.log)" >&2
  fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

log "building sensor, C reader, agent (Release) and local broker"
"$root/bpf/build.sh" "$work/bpf" >/dev/null
gcc -O2 -Wall -o "$work/ringbuf_reader" "$root/bench/agent/ringbuf_reader.c" -lbpf
gcc -O2 -Wall -static -o "$work/openloop" "$root/bench/agent/openloop.c"
if [[ "${WP_BENCH_JIT:-0}" == 1 ]]; then
  dotnet build -c Release -v q -nologo "$root/agent/WorkloadProfiles.Agent/WorkloadProfiles.Agent.csproj" -o "$work/agent" >/dev/null
else
  dotnet publish -c Release -v q -nologo -r linux-x64 "$root/agent/WorkloadProfiles.Agent/WorkloadProfiles.Agent.csproj" -o "$work/agent" >/dev/null
fi
dotnet build -c Release -v q -nologo "$root/local/WorkloadProfiles.LocalBroker/WorkloadProfiles.LocalBroker.csproj" -o "$work/broker" >/dev/null
cp "$work/bpf/sensor.bpf.o" "$work/agent/sensor.bpf.o"

ensure_tracefs
start_broker_and_podman "$broker_port"
import_load_image localhost/wp-bench:1 "$work/openloop"

start_load() { # script; sets $started to the container id
  started=$(podman run -d "${podman_flags[@]}" localhost/wp-bench:1 /bin/sh -c "$1")
  containers+=("$started")
}
cgroup_of() { echo "$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)/libpod_parent/libpod-$1"; }
metric() { curl -s "http://127.0.0.1:$metrics_port/metrics" | awk -v name="$1" '$1 == name {print $2}' | head -1; }
metric_or_zero() { local v; v=$(metric "$1"); echo "${v:-0}"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_mb() { awk '$1 == "VmRSS:" {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
hwm_mb() { awk '$1 == "VmHWM:" {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

run_agent() { # expected profiled containers; sets $agent to the pid and waits until that many are profiled
  WP_Agent__ContainerRuntimeEndpoint="unix://$socket" \
  WP_Agent__ImageFilter='^localhost/wp-bench@1$' \
  WP_Agent__MetricsListen="127.0.0.1:$metrics_port" \
  WP_Agent__FollowProfiles=false \
  WP_Agent__SessionLength=01:00:00 \
  WP_Kafka__BootstrapServers="127.0.0.1:$broker_port" \
    "$work/agent/wp-agent" run > "$work/agent.log" 2>&1 &
  agent=$!
  pids+=("$agent")
  for _ in $(seq 1 600); do [[ "$(metric wp_agent_profiled_containers)" == "$1" ]] && break; sleep 0.1; done
  [[ "$(metric wp_agent_profiled_containers)" == "$1" ]] || { log "agent did not profile $1 containers"; exit 1; }
  sleep 3 # warm-up: JIT and connection set-up are not the steady state
}

counter() { # scope → "events bytes"
  echo "$(metric_or_zero "wp_agent_events_published_total{scope=\"$1\"}") $(metric_or_zero "wp_agent_bytes_published_total{scope=\"$1\"}")"
}

thread_ns() { # pid → "name ns" per thread: CPU time so far (schedstat, in ns), librdkafka's broker threads as one name
  local task name
  for task in /proc/"$1"/task/*; do
    name=$(cat "$task/comm" 2>/dev/null) || continue
    [[ "$name" == rdk:broker* ]] && name=rdk:broker
    echo "${name// /_} $(awk '{print $1}' "$task/schedstat" 2>/dev/null || echo 0)"
  done
}

thread_split() { # before-file after-file seconds → "name ms/s, …" by thread name, largest first (threads alive throughout)
  awk -v t="$3" 'NR == FNR { b[$1] += $2; next } { a[$1] += $2 } END {
      for (n in a) if (n in b && a[n] > b[n]) printf "%s %.1f\n", n, (a[n] - b[n]) / 1e6 / t }' "$1" "$2" |
    sort -k2 -n -r | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 } END { print "" }'
}

measure_agent() { # pid [threads-file] → "events/s cpu% cpu_us_per_1k rss_mb drops profiling_events/s profiling_bytes/s detection_events/s detection_bytes/s allocated_bytes_per_event gc_heap_mb"
  local pid=$1 c0 c1 t0 t1 p0 p1 d0 d1 a0 a1 hz
  read -r -a p0 < <(counter profiling); read -r -a d0 < <(counter detection); a0=$(metric_or_zero wp_agent_gc_allocated_bytes)
  thread_ns "$pid" > "$work/threads.before"
  c0=$(cpu_ticks "$pid"); t0=$(date +%s.%N)
  sleep "$seconds"
  read -r -a p1 < <(counter profiling); read -r -a d1 < <(counter detection); a1=$(metric_or_zero wp_agent_gc_allocated_bytes)
  c1=$(cpu_ticks "$pid"); t1=$(date +%s.%N)
  thread_ns "$pid" > "$work/threads.after"
  [[ -n "${2:-}" ]] && thread_split "$work/threads.before" "$work/threads.after" "$seconds" > "$2"
  hz=$(getconf CLK_TCK)
  awk -v pe0="${p0[0]}" -v pb0="${p0[1]}" -v pe1="${p1[0]}" -v pb1="${p1[1]}" \
      -v de0="${d0[0]}" -v db0="${d0[1]}" -v de1="${d1[0]}" -v db1="${d1[1]}" \
      -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v hz="$hz" -v rss="$(rss_mb "$pid")" \
      -v drops="$(metric_or_zero wp_agent_kernel_ringbuf_drops)" -v a0="$a0" -v a1="$a1" \
      -v heap="$(metric_or_zero wp_agent_gc_heap_bytes)" 'BEGIN {
        t = t1 - t0; e = (pe1 - pe0) + (de1 - de0); cpu = (c1 - c0) / hz;
        printf "%.0f %.2f %.0f %s %d %.0f %.0f %.0f %.0f %.0f %.1f\n", e / t, 100 * cpu / t, (e > 0 ? cpu * 1e6 / (e / 1000) : 0), rss, drops,
          (pe1 - pe0) / t, (pb1 - pb0) / t, (de1 - de0) / t, (db1 - db0) / t, (e > 0 ? (a1 - a0) / e : 0), heap / 1048576 }'
}

measure_reader() { # cgroup dirs… → "records/s cpu_us_per_1k drops" (CPU while reading, not loading the object)
  local out
  out=$("$work/ringbuf_reader" "$work/bpf/sensor.bpf.o" "$seconds" "$@" 2>/dev/null | tail -1)
  awk -v line="$out" 'BEGIN {
    match(line, /records=[0-9]+/); r = substr(line, RSTART + 8, RLENGTH - 8)
    match(line, /seconds=[0-9.]+/); s = substr(line, RSTART + 8, RLENGTH - 8)
    match(line, /drops=[0-9]+/); d = substr(line, RSTART + 6, RLENGTH - 6)
    match(line, /cpu_us=[0-9]+/); cpu = substr(line, RSTART + 7, RLENGTH - 7)
    printf "%.0f %.0f %d\n", r / s, (r > 0 ? cpu / (r / 1000) : 0), d }'
}

stop_agent() { kill -TERM "$1"; wait "$1" 2>/dev/null || true; } # background jobs of a script ignore SIGINT

# 1. Saturating load: a tight open loop, 2,000 distinct files per child process.
start_load "exec /bin/openloop /data 2000 0"; load=$started
log "raw reader: $seconds s on the flat-out open loop"
read -r raw_rate _ raw_drops < <(measure_reader "$(cgroup_of "$load")")
log "agent: $seconds s on the same load, publishing to the local broker"
run_agent 1
read -r agent_rate agent_cpu _ _ agent_drops _ < <(measure_agent "$agent")
stop_agent "$agent"
podman rm -f -t 0 "$load" >/dev/null

# 2. Paced load: about 5,000 opens/s in one container.
start_load "exec /bin/openloop /data 2000 5000"; load=$started
log "reader: $seconds s on the paced load"
read -r paced_reader_rate paced_reader_k _ < <(measure_reader "$(cgroup_of "$load")")
log "agent: $seconds s on the paced load"
run_agent 1
read -r paced_rate paced_cpu paced_k paced_rss paced_drops _ _ _ _ paced_alloc paced_heap < <(measure_agent "$agent" "$work/paced.threads")
paced_hwm=$(hwm_mb "$agent")
stop_agent "$agent"
podman rm -f -t 0 "$load" >/dev/null

# 3. Fleet: $fleet_size containers sharing ~5,000 opens/s; 5 profiled, the rest detection-only.
per_container=$(( 5000 / fleet_size ))
log "starting $fleet_size containers at $per_container opens/s each"
fleet=()
for _ in $(seq 1 "$fleet_size"); do start_load "exec /bin/openloop /data 500 $per_container"; fleet+=("$started"); done
fleet_cgroups=()
for id in "${fleet[@]}"; do fleet_cgroups+=("$(cgroup_of "$id")"); done
log "reader: $seconds s on the fleet"
read -r fleet_reader_rate fleet_reader_k fleet_reader_drops < <(measure_reader "${fleet_cgroups[@]}")
log "agent: $seconds s on the fleet"
run_agent 5
read -r fleet_rate fleet_cpu fleet_k fleet_rss fleet_drops p_rate p_bytes d_rate d_bytes fleet_alloc fleet_heap < <(measure_agent "$agent" "$work/fleet.threads")
fleet_hwm=$(hwm_mb "$agent")
watched=$(metric wp_agent_watched_containers)
stop_agent "$agent"

echo
echo "Agent benchmark ($(nproc) CPUs, $(uname -r), ${seconds}s per measurement)"
echo "1. throughput, one container, flat out"
printf "  %-44s %10s events/s  (kernel ring-buffer drops %s)\n" "bare C libbpf ring-buffer reader" "$raw_rate" "$raw_drops"
printf "  %-44s %10s events/s  (kernel ring-buffer drops %s, agent CPU %s%%)\n" "agent: decode + batch + Kafka publish" "$agent_rate" "$agent_drops" "$agent_cpu"
awk -v a="$agent_rate" -v r="$raw_rate" 'BEGIN { printf "  ratio agent / raw reader: %.2f\n", a / r }'
echo "2. one container paced at ~5,000 opens/s"
printf "  agent: %s events/s, CPU %s%% of one core, %s µs CPU per 1k events, RSS %s MB (peak %s MB), drops %s\n" \
  "$paced_rate" "$paced_cpu" "$paced_k" "$paced_rss" "$paced_hwm" "$paced_drops"
printf "         managed heap %s MB, %s bytes allocated per event\n" "$paced_heap" "$paced_alloc"
printf "         by thread, ms of CPU per second: %s (the reader: %s)\n" "$(cat "$work/paced.threads")" \
  "$(awk -v k="$paced_reader_k" -v r="$paced_reader_rate" 'BEGIN { printf "%.1f", k * r / 1e6 }')"
printf "  reader: %s records/s, %s µs CPU per 1k records → agent / reader CPU per event: " "$paced_reader_rate" "$paced_reader_k"
awk -v a="$paced_k" -v r="$paced_reader_k" 'BEGIN { printf "%.2f\n", (r > 0 ? a / r : 0) }'
printf "3. fleet: %s containers (%s watched, 5 profiled) sharing ~5,000 opens/s\n" "$fleet_size" "$watched"
printf "  %-22s %12s %14s\n" scope "events/s" "bytes/s"
printf "  %-22s %12s %14s\n" profiling "$p_rate" "$p_bytes"
printf "  %-22s %12s %14s\n" detection-only "$d_rate" "$d_bytes"
printf "  agent: CPU %s%% of one core, %s µs CPU per 1k events, RSS %s MB (peak %s MB), kernel drops %s\n" \
  "$fleet_cpu" "$fleet_k" "$fleet_rss" "$fleet_hwm" "$fleet_drops"
printf "         managed heap %s MB, %s bytes allocated per event\n" "$fleet_heap" "$fleet_alloc"
printf "         by thread, ms of CPU per second: %s (the reader: %s)\n" "$(cat "$work/fleet.threads")" \
  "$(awk -v k="$fleet_reader_k" -v r="$fleet_reader_rate" 'BEGIN { printf "%.1f", k * r / 1e6 }')"
printf "  reader: %s records/s, %s µs CPU per 1k records (drops %s) → agent / reader CPU per event: " "$fleet_reader_rate" "$fleet_reader_k" "$fleet_reader_drops"
awk -v a="$fleet_k" -v r="$fleet_reader_k" 'BEGIN { printf "%.2f\n", (r > 0 ? a / r : 0) }'
