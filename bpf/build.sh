#!/usr/bin/env bash
# Builds the CO-RE sensor object from source.
#   bpf/build.sh [OUT_DIR]     (default: bpf/build)
# Needs clang (-target bpf) and libbpf-dev headers.
#
# vmlinux.h (the kernel types the sensor reads) is by default the pinned header committed in bpf/vmlinux/<arch>/
# (bpf/vmlinux/update.sh generates it), so the object — and the agent image — is the same on any build machine and
# needs no BTF there: CO-RE relocates it at load time on every kernel with BTF. WP_VMLINUX=kernel generates the header
# from this machine's BTF instead (WP_BTF, default /sys/kernel/btf/vmlinux; needs bpftool), e.g. while adding a type the
# pinned header lacks.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/build}"
clang="${CLANG:-clang}"
bpftool="${BPFTOOL:-bpftool}"

arch="$(uname -m)"
case "$arch" in
  x86_64) target_arch=x86 ;;
  aarch64) target_arch=arm64 ;;
  *) target_arch="$arch" ;;
esac

command -v "$clang" >/dev/null || { echo "bpf/build.sh: '$clang' not found (apt-get install clang llvm libbpf-dev)" >&2; exit 2; }
[[ -r /usr/include/bpf/bpf_helpers.h ]] || { echo "bpf/build.sh: libbpf headers missing (apt-get install libbpf-dev)" >&2; exit 2; }

mkdir -p "$out"
# An older build.sh generated bpf/vmlinux.h next to the sources, where #include "vmlinux.h" would find it first.
rm -f "$here/vmlinux.h"
case "${WP_VMLINUX:-pinned}" in
  pinned)
    vmlinux_dir="$here/vmlinux/$target_arch"
    if [[ ! -s "$vmlinux_dir/vmlinux.h" ]]; then
      echo "bpf/build.sh: no pinned vmlinux.h for $target_arch in $vmlinux_dir: run bpf/vmlinux/update.sh on a $arch machine, or build with WP_VMLINUX=kernel" >&2
      exit 2
    fi
    ;;
  kernel)
    btf="${WP_BTF:-/sys/kernel/btf/vmlinux}"
    if [[ ! -r "$btf" ]]; then
      echo "bpf/build.sh: WP_VMLINUX=kernel but no kernel BTF at $btf (needs CONFIG_DEBUG_INFO_BTF=y, or set WP_BTF)" >&2
      exit 2
    fi
    command -v "$bpftool" >/dev/null || { echo "bpf/build.sh: '$bpftool' not found (apt-get install bpftool)" >&2; exit 2; }
    vmlinux_dir="$out/vmlinux"
    mkdir -p "$vmlinux_dir"
    # Regenerated only when the BTF changed (a new kernel), so incremental builds stay fast.
    if [[ ! -s "$vmlinux_dir/vmlinux.h" || "$btf" -nt "$vmlinux_dir/vmlinux.h" ]]; then
      "$bpftool" btf dump file "$btf" format c > "$vmlinux_dir/vmlinux.h.tmp"
      mv "$vmlinux_dir/vmlinux.h.tmp" "$vmlinux_dir/vmlinux.h"
    fi
    ;;
  *)
    echo "bpf/build.sh: WP_VMLINUX must be 'pinned' (default) or 'kernel', not '${WP_VMLINUX}'" >&2
    exit 2
    ;;
esac

"$clang" -O2 -g -Wall -Werror -target bpf -D__TARGET_ARCH_"$target_arch" \
  -I"$vmlinux_dir" -I"$here" -c "$here/sensor.bpf.c" -o "$out/sensor.bpf.o.tmp"
mv "$out/sensor.bpf.o.tmp" "$out/sensor.bpf.o"
echo "bpf/build.sh: built $out/sensor.bpf.o (vmlinux.h: ${vmlinux_dir#"$here/"})"
