#!/usr/bin/env bash
# Builds the CO-RE sensor object from source against the running kernel's BTF.
#   bpf/build.sh [OUT_DIR]     (default: bpf/build)
# Needs clang (-target bpf), bpftool and libbpf-dev headers. vmlinux.h is generated, never committed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/build}"
btf="${WP_BTF:-/sys/kernel/btf/vmlinux}"
clang="${CLANG:-clang}"
bpftool="${BPFTOOL:-bpftool}"

if [[ ! -r "$btf" ]]; then
  echo "bpf/build.sh: kernel BTF not found at $btf (needs CONFIG_DEBUG_INFO_BTF=y, or set WP_BTF)" >&2
  exit 2
fi
for tool in "$clang" "$bpftool"; do
  command -v "$tool" >/dev/null || { echo "bpf/build.sh: '$tool' not found (apt-get install clang llvm bpftool libbpf-dev)" >&2; exit 2; }
done
[[ -r /usr/include/bpf/bpf_helpers.h ]] || { echo "bpf/build.sh: libbpf headers missing (apt-get install libbpf-dev)" >&2; exit 2; }

mkdir -p "$out"
# Regenerate vmlinux.h only when the BTF changed (a new kernel), so incremental builds stay fast.
if [[ ! -s "$here/vmlinux.h" || "$btf" -nt "$here/vmlinux.h" ]]; then
  "$bpftool" btf dump file "$btf" format c > "$here/vmlinux.h.tmp"
  mv "$here/vmlinux.h.tmp" "$here/vmlinux.h"
fi

arch="$(uname -m)"
case "$arch" in
  x86_64) target_arch=x86 ;;
  aarch64) target_arch=arm64 ;;
  *) target_arch="$arch" ;;
esac

"$clang" -O2 -g -Wall -Werror -target bpf -D__TARGET_ARCH_"$target_arch" \
  -I"$here" -c "$here/sensor.bpf.c" -o "$out/sensor.bpf.o.tmp"
mv "$out/sensor.bpf.o.tmp" "$out/sensor.bpf.o"
echo "bpf/build.sh: built $out/sensor.bpf.o"
