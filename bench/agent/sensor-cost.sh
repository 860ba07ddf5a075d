#!/usr/bin/env bash
# Sensor cost benchmark: what the kernel side of the sensor costs per 1,000 opens, before and after a change to it
# (issue 12: kernel-side canonical paths), measured in the same run against a baseline without any sensor.
#
# Load: openloop (static) in a podman container, paced at WP_BENCH_RATE opens/s (default 20,000) in short-lived children,
# so every open is a new (process, file) and passes the kernel's dedup. The BPF programs run in the load's syscall
# context, so the container's own CPU time (cgroup cpu.stat usage_usec) carries their cost; the bare C ring-buffer
# reader consumes the records (its CPU measured too). Modes, interleaved over WP_BENCH_ROUNDS rounds (default 3):
#   none      no sensor attached: the load's own cost
#   baseline  the sensor of WP_BENCH_BASELINE_REF (default 3f9cc70, before kernel-side path resolution)
#   current   bpf/ as checked out
# Prints the median per mode and the sensor's share (mode − none) per 1,000 opens. Needs root, podman (runc, cgroupfs),
# clang/bpftool/libbpf-dev, busybox-static, gcc with a static libc, git.
#
#   bench/agent/sensor-cost.sh            WP_BENCH_SECONDS (default 5) per measurement
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds="${WP_BENCH_SECONDS:-5}"
rounds="${WP_BENCH_ROUNDS:-3}"
rate="${WP_BENCH_RATE:-20000}"
baseline_ref="${WP_BENCH_BASELINE_REF:-3f9cc70}"
work="$(mktemp -d /tmp/wp-sensor-cost.XXXXXX)"
container=""
source "$root/bench/agent/lib.sh"

cleanup() {
  [[ -n "$container" ]] && podman rm -f -t 0 "$container" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

log "building the current and the baseline ($baseline_ref) sensor and reader, and the load"
"$root/bpf/build.sh" "$work/current" >/dev/null
gcc -O2 -Wall -o "$work/current/reader" "$root/bench/agent/ringbuf_reader.c" -lbpf
mkdir -p "$work/old/bpf" "$work/old/bench/agent"
for file in $(git -C "$root" ls-tree -r --name-only "$baseline_ref" -- bpf bench/agent/ringbuf_reader.c); do
  mkdir -p "$work/old/$(dirname "$file")"
  git -C "$root" show "$baseline_ref:$file" > "$work/old/$file"
done
# The baseline's build.sh may predate the pinned header: give it the kernel's types where it looks for them.
WP_VMLINUX=kernel bash "$root/bpf/build.sh" "$work/kernel-types" >/dev/null
cp "$work/kernel-types/vmlinux/vmlinux.h" "$work/old/bpf/vmlinux.h"
bash "$work/old/bpf/build.sh" "$work/old/build" >/dev/null
gcc -O2 -Wall -o "$work/old/build/reader" "$work/old/bench/agent/ringbuf_reader.c" -lbpf
gcc -O2 -Wall -static -o "$work/openloop" "$root/bench/agent/openloop.c"

ensure_tracefs
import_load_image localhost/wp-sensor-cost:1 "$work/openloop"
container=$(podman run -d "${podman_flags[@]}" localhost/wp-sensor-cost:1 /bin/openloop /data 500 "$rate")
cgroup="$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)/libpod_parent/libpod-$container"
usage() { awk '$1 == "usage_usec" {print $2}' "$cgroup/cpu.stat"; }

measure() { # mode → "container_cpu_us reader_cpu_us records drops"
  local mode=$1 before after reader_out reader_cpu
  case "$mode" in
    none)
      before=$(usage); sleep "$seconds"; after=$(usage)
      echo "$((after - before)) 0 $((rate * seconds)) 0" ;;
    *)
      local dir=$work/current; [[ "$mode" == baseline ]] && dir=$work/old/build
      local object=$dir/sensor.bpf.o; [[ "$mode" == current ]] && object=$work/current/sensor.bpf.o
      before=$(usage)
      reader_out=$( { TIMEFORMAT='%3U %3S'; time "$dir/reader" "$object" "$seconds" "$cgroup" 2>/dev/null | tail -1; } 2>"$work/time" )
      after=$(usage)
      reader_cpu=$(awk '{printf "%.0f", ($1 + $2) * 1e6}' "$work/time")
      echo "$((after - before)) $reader_cpu $(sed -E 's/.*records=([0-9]+).*/\1/' <<<"$reader_out") $(sed -E 's/.*drops=([0-9]+).*/\1/' <<<"$reader_out")" ;;
  esac
}

sleep 2 # the load's first children start
declare -A results
for round in $(seq 1 "$rounds"); do
  for mode in none baseline current; do
    log "round $round: $mode"
    results[$mode]+="$(measure "$mode")"$'\n'
  done
done

echo
echo "Sensor cost ($(nproc) CPUs, $(uname -r); load paced at $rate opens/s; median of $rounds rounds of ${seconds}s)"
printf "  %-10s %14s %16s %24s %10s\n" mode "opens/s" "load CPU/1k" "reader CPU/1k (with load)" "drops"
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
declare -A per_k
for mode in none baseline current; do
  rows=$(awk 'NF == 4 && $3 > 0 { printf "%.2f %.2f %d %d\n", $1 / ($3 / 1000), $2 / ($3 / 1000), $3, $4 }' <<<"${results[$mode]}")
  load_k=$(cut -d' ' -f1 <<<"$rows" | median)
  reader_k=$(cut -d' ' -f2 <<<"$rows" | median)
  opens=$(cut -d' ' -f3 <<<"$rows" | median)
  drops=$(cut -d' ' -f4 <<<"$rows" | awk '{ d += $1 } END { print d + 0 }')
  per_k[$mode]=$load_k
  printf "  %-10s %14.0f %13.1f µs %11.1f µs %10s\n" "$mode" "$(awk -v o="$opens" -v s="$seconds" 'BEGIN { print o / s }')" "$load_k" "$reader_k" "$drops"
done
awk -v n="${per_k[none]}" -v b="${per_k[baseline]}" -v c="${per_k[current]}" 'BEGIN {
  printf "  sensor share of the load per 1k opens: baseline %.1f µs, current %.1f µs (current / baseline %.2f)\n", b - n, c - n, (c - n) / (b - n) }'
