#!/usr/bin/env bash
# What the agent, its tests and its benchmark need on a Debian 12 host or CI machine (run as root):
# the BPF toolchain (clang -target bpf, bpftool for vmlinux.h, libbpf headers and libbpf.so.1), podman with runc,
# busybox-static for the test images, and a mounted tracefs (tracepoint ids are read from it).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq clang llvm libbpf-dev libbpf1 bpftool podman runc uidmap busybox-static gcc curl >/dev/null
[[ -d /sys/kernel/tracing/events ]] || mount -t tracefs tracefs /sys/kernel/tracing
[[ -r /sys/kernel/btf/vmlinux ]] || { echo "kernel BTF missing: the sensor needs CONFIG_DEBUG_INFO_BTF=y" >&2; exit 1; }
echo "agent prerequisites ready"
