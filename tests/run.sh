#!/usr/bin/env bash
# The README's test command: everything the tests need on a fresh Debian machine with the .NET SDK, then the tests.
#
#   tests/run.sh [dotnet test arguments…]   install what is missing (idempotent), start local ClickHouse if it is not
#                                           running, run `dotnet test WorkloadProfiles.sln` with the arguments, stop what
#                                           it started; the exit status is dotnet test's
#   tests/run.sh --prepare                  only install what is missing (.ci/run does this before its build)
#
# Installs Debian packages with apt-get (as root, or with passwordless sudo): kcat, clickhouse-server/-client, podman,
# runc, uidmap, containerd, busybox-static, clang, llvm, libbpf-dev, bpftool, zlib1g-dev, chromium, and nodejs/npm when npm
# is missing.
# Environment:
#   WP_TEST_SKIP_APT=1   install nothing (a machine prepared by other means)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

# Debian packages the build and tests need; extend this list, nothing else.
APT_PACKAGES=(
    kcat                                  # separate-process Kafka client in broker and SOC JSON tests
    clickhouse-server clickhouse-client   # local ClickHouse (local/clickhouse/clickhouse.sh) and analyst-query tests
    podman runc uidmap                    # real containers for agent tests
    containerd                            # a real CRI runtime (its own config and socket) for the Kubernetes-node agent tests
    busybox-static                        # agent test images (rootfs imported with podman import)
    clang llvm libbpf-dev bpftool         # eBPF programs
    zlib1g-dev                            # with clang: links the agent's native (ahead-of-time) build
    chromium                              # explorer browser tests
)

export DEBIAN_FRONTEND=noninteractive
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

say() { echo "==> tests/run.sh: $*"; }

as_root() {
    if [[ "$(id -u)" == 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        echo "tests/run.sh: need root (or passwordless sudo) to run: $* — or install the packages yourself and set WP_TEST_SKIP_APT=1" >&2
        return 1
    fi
}

apt_updated=0
apt_install() {
    if (( apt_updated == 0 )); then
        as_root apt-get update -q
        apt_updated=1
    fi
    as_root apt-get install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
}

install_missing_packages() {
    local missing=() package
    for package in "${APT_PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q '^install ok installed$'; then
            missing+=("$package")
        fi
    done
    if (( ${#missing[@]} == 0 )); then
        say "apt packages: all present"
    else
        say "apt packages: installing ${missing[*]}"
        apt_install "${missing[@]}"
    fi
    # The explorer's build installs its page libraries with npm (explorer/WorkloadProfiles.Explorer/package.json).
    if command -v npm >/dev/null; then
        say "npm: $(npm --version) present"
    else
        say "npm: installing Debian's nodejs and npm"
        apt_install nodejs npm
    fi
}

command -v dotnet >/dev/null || { echo "tests/run.sh: the .NET SDK (dotnet) is not on PATH" >&2; exit 1; }
if [[ "${WP_TEST_SKIP_APT:-0}" != 1 ]]; then
    install_missing_packages
fi
if [[ "${1:-}" == "--prepare" ]]; then
    exit 0
fi

# Local ClickHouse: started here if it does not answer, stopped again on exit (also on failure and Ctrl+C).
clickhouse="$repo/local/clickhouse/clickhouse.sh"
started_clickhouse=0
stop_clickhouse() {
    if (( started_clickhouse == 1 )); then
        say "local ClickHouse: stopping"
        "$clickhouse" stop || echo "tests/run.sh: warning: '$clickhouse stop' failed" >&2
    fi
}
trap stop_clickhouse EXIT
if "$clickhouse" status >/dev/null 2>&1; then
    say "local ClickHouse: already running, left as is"
else
    say "local ClickHouse: starting"
    "$clickhouse" start
    started_clickhouse=1
fi

say "dotnet test WorkloadProfiles.sln $*"
status=0
dotnet test WorkloadProfiles.sln "$@" || status=$?
exit "$status"
