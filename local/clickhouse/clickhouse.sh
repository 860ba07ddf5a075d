#!/usr/bin/env bash
# Local development ClickHouse: Debian's clickhouse-server (18.16) as a plain background process
# with the project's config (local/clickhouse/config.xml), on loopback, data under .local/clickhouse.
#
#   local/clickhouse/clickhouse.sh start    start (no-op if already running) and wait until it answers SELECT 1
#   local/clickhouse/clickhouse.sh stop     stop and wait for the process to exit (no-op if not running)
#   local/clickhouse/clickhouse.sh status   print state; exit 0 when running and answering, 3 otherwise
#
# Environment (defaults in brackets):
#   WP_CLICKHOUSE_HTTP_PORT        HTTP port                                   [18123]
#   WP_CLICKHOUSE_TCP_PORT         native protocol port                        [19000]
#   WP_CLICKHOUSE_INTERSERVER_PORT interserver HTTP port                       [19009]
#   WP_CLICKHOUSE_HOME             data, logs and pid file                     [<repo>/.local/clickhouse]
#   WP_CLICKHOUSE_START_TIMEOUT    seconds to wait for readiness               [30]
#   WP_CLICKHOUSE_STOP_TIMEOUT     seconds to wait for exit before SIGKILL     [30]
#   WP_CLICKHOUSE_SERVER           server executable                           [clickhouse-server]
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/../.." && pwd)"

http_port="${WP_CLICKHOUSE_HTTP_PORT:-18123}"
tcp_port="${WP_CLICKHOUSE_TCP_PORT:-19000}"
interserver_port="${WP_CLICKHOUSE_INTERSERVER_PORT:-19009}"
home="${WP_CLICKHOUSE_HOME:-$repo_root/.local/clickhouse}"
start_timeout="${WP_CLICKHOUSE_START_TIMEOUT:-30}"
stop_timeout="${WP_CLICKHOUSE_STOP_TIMEOUT:-30}"
server="${WP_CLICKHOUSE_SERVER:-clickhouse-server}"

config="$script_dir/config.xml"
data_dir="$home/data/"
log_dir="$home/log"
pid_file="$home/clickhouse-server.pid"
stdout_log="$log_dir/stdout.log"
server_log="$log_dir/clickhouse-server.log"
error_log="$log_dir/clickhouse-server.err.log"

say() { echo "clickhouse.sh: $*"; }
fail() { echo "clickhouse.sh: error: $*" >&2; exit 1; }

# PID of the server this script started, if that process is still alive.
running_pid() {
    [[ -f "$pid_file" ]] || return 1
    local pid
    pid="$(cat "$pid_file" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    # Guard against a recycled pid: the process must be a clickhouse server.
    if kill -0 "$pid" 2>/dev/null && grep -q clickhouse "/proc/$pid/cmdline" 2>/dev/null; then
        echo "$pid"
        return 0
    fi
    return 1
}

answers() {
    local reply
    reply="$(curl -sS --max-time 2 --data-binary 'SELECT 1' "http://127.0.0.1:$http_port/" 2>/dev/null || true)"
    [[ "$reply" == "1" ]]
}

show_log_tail() {
    local f files=("$stdout_log" "$error_log")
    # The full server log only helps when the error log has nothing to say.
    [[ -s "$error_log" ]] || files+=("$server_log")
    for f in "${files[@]}"; do
        if [[ -s "$f" ]]; then
            echo "---- last lines of $f ----" >&2
            # The error log repeats multi-line stack traces; the message lines are what matter.
            grep -v '^[[:space:]]*[0-9]\+\. ' "$f" | tail -n 20 >&2 || true
        fi
    done
}

start() {
    command -v curl >/dev/null || fail "curl is required (apt-get install -y curl)"
    command -v "$server" >/dev/null || fail "$server not found (apt-get install -y clickhouse-server clickhouse-client)"

    local pid
    if pid="$(running_pid)"; then
        if wait_ready "$pid"; then
            say "already running (pid $pid, http 127.0.0.1:$http_port)"
            return 0
        fi
        fail "server pid $pid is running but does not answer on http port $http_port"
    fi
    if answers; then
        say "a ClickHouse server not started by this script already answers on 127.0.0.1:$http_port; using it"
        return 0
    fi

    mkdir -p "$data_dir" "$log_dir"
    : > "$stdout_log"
    # Command-line overrides (after --) win over config.xml: ports and every path are placed here.
    # setsid detaches the server from the caller's process group, so a test runner or CI step that
    # signals its group does not take the server down with it; stop is explicit.
    setsid "$server" --config-file="$config" -- \
        --http_port="$http_port" \
        --tcp_port="$tcp_port" \
        --interserver_http_port="$interserver_port" \
        --path="$data_dir" \
        --tmp_path="${data_dir}tmp/" \
        --user_files_path="${data_dir}user_files/" \
        --format_schema_path="${data_dir}format_schemas/" \
        --logger.log="$server_log" \
        --logger.errorlog="$error_log" \
        </dev/null >>"$stdout_log" 2>&1 9>&- &
    pid=$!
    echo "$pid" > "$pid_file"

    if ! wait_ready "$pid"; then
        show_log_tail
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            fail "server pid $pid did not answer SELECT 1 on 127.0.0.1:$http_port within ${start_timeout}s (stopped it)"
        fi
        rm -f "$pid_file"
        fail "server exited during startup (see log lines above; config $config)"
    fi
    say "started (pid $pid, http 127.0.0.1:$http_port, native 127.0.0.1:$tcp_port, data $data_dir)"
}

# Poll SELECT 1 until it answers, the process dies, or the deadline passes.
wait_ready() {
    local pid="$1"
    local deadline=$((SECONDS + start_timeout))
    while ((SECONDS < deadline)); do
        answers && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.2
    done
    answers
}

stop() {
    local pid
    if ! pid="$(running_pid)"; then
        rm -f "$pid_file"
        say "not running"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + stop_timeout))
    while kill -0 "$pid" 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            say "pid $pid still running after ${stop_timeout}s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
            break
        fi
        sleep 0.1
    done
    rm -f "$pid_file"
    say "stopped (pid $pid)"
}

status() {
    local pid
    if pid="$(running_pid)"; then
        if answers; then
            say "running (pid $pid, http 127.0.0.1:$http_port, version $(curl -sS --max-time 2 --data-binary 'SELECT version()' "http://127.0.0.1:$http_port/"))"
            return 0
        fi
        say "process $pid is alive but does not answer on http port $http_port"
        return 3
    fi
    if answers; then
        say "not started by this script, but a server answers on 127.0.0.1:$http_port"
        return 0
    fi
    say "not running"
    return 3
}

# Serialize start/stop of one server home: test runs and CI steps may call this script concurrently.
lock() {
    mkdir -p "$home"
    exec 9>"$home/.clickhouse.sh.lock"
    flock -w "$((start_timeout + stop_timeout))" 9 || fail "another clickhouse.sh holds $home/.clickhouse.sh.lock"
}

case "${1:-}" in
    start) lock; start ;;
    stop) lock; stop ;;
    status) status ;;
    *) echo "usage: $0 {start|stop|status}" >&2; exit 2 ;;
esac
