#!/usr/bin/env bash
# Re-creates agent/recordings/demo-shop.avro: a real capture (this kernel, podman, the agent's `record` command) of a
# small demo workload, bundled for the no-root embedded demo (`wp-agent replay` needs no eBPF).
# Image demo/shop-web:1.0 (busybox rootfs): an httpd, and a worker loop that reads its config, appends to a log,
# resolves its dependencies' names (DNS questions to a local resolver address), connects to a "database" port, fetches
# from the httpd, and runs a health-check shell. Two containers of the image, so snapshots can be compared.
#   agent/recordings/record-demo.sh [SECONDS]   (default 30; needs root, podman, busybox-static)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds="${1:-30}"
work="$(mktemp -d /tmp/wp-demo-recording.XXXXXX)"
socket="$work/podman.sock"
flags=(--runtime runc --cgroup-manager cgroupfs --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none)
ids=()
service=""
cleanup() {
  for id in "${ids[@]}"; do podman rm -f -t 0 "$id" >/dev/null 2>&1 || true; done
  [[ -n "$service" ]] && kill "$service" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

dotnet build -v q -nologo "$root/agent/WorkloadProfiles.Agent/WorkloadProfiles.Agent.csproj" >/dev/null
agent="$root/agent/WorkloadProfiles.Agent/bin/Debug/net10.0/wp-agent"

rootfs="$work/rootfs"
mkdir -p "$rootfs"/{bin,etc/shop,tmp,var/log,www,proc,sys,dev}
cp /bin/busybox "$rootfs/bin/"
for applet in $(/bin/busybox --list); do [[ "$applet" == busybox ]] || ln -sf busybox "$rootfs/bin/$applet"; done
printf 'db=orders-db:5432\ncache=cache:6379\n' > "$rootfs/etc/shop/app.conf"
echo '<h1>shop</h1>' > "$rootfs/www/index.html"
cat > "$rootfs/bin/shop-worker" <<'WORKER'
#!/bin/sh
# The demo's worker loop.
while true; do
  cat /etc/shop/app.conf > /dev/null
  echo "$(date) tick" >> /var/log/shop.log
  nslookup orders-db.shop.internal 127.0.0.1 > /dev/null 2>&1
  nslookup cache.shop.internal 127.0.0.1 > /dev/null 2>&1
  nc -w 1 127.0.0.1 5432 < /dev/null > /dev/null 2>&1
  wget -q -O /dev/null http://127.0.0.1:8080/index.html
  sh -c 'test -s /var/log/shop.log && echo healthy > /tmp/health'
  sleep 2
done
WORKER
chmod +x "$rootfs/bin/shop-worker"
tar -C "$rootfs" -c . | podman import - demo/shop-web:1.0 >/dev/null

podman system service --time=0 "unix://$socket" > /dev/null 2>&1 &
service=$!
for _ in $(seq 1 100); do [[ -S "$socket" ]] && break; sleep 0.1; done

for _ in 1 2; do
  ids+=("$(podman run -d "${flags[@]}" demo/shop-web:1.0 /bin/sh -c 'httpd -p 8080 -h /www; exec /bin/shop-worker')")
done

WP_Agent__ContainerRuntimeEndpoint="unix://$socket" WP_Agent__ImageFilter='shop-web@1\.0$' WP_Agent__HostName=demo-host \
  WP_Agent__AgentId=demo-agent "$agent" record "$root/agent/recordings/demo-shop.avro" --duration "00:00:$seconds"
echo "recorded $(du -h "$root/agent/recordings/demo-shop.avro" | cut -f1) to agent/recordings/demo-shop.avro"
