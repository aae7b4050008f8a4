#!/bin/bash
# PID 1 of every faultline node container: a tiny supervisor around the database server.
#
# The server runs as a child of this script, never as PID 1, so faults can SIGKILL or
# SIGSTOP the server alone while the container (its network namespace, iptables rules,
# /run/faultline files and data directory) stays up. Control goes through faultline-ctl:
#   SIGUSR1 to PID 1  -> start the server if it is not running (idempotent)
#   SIGTERM/SIGINT    -> SIGKILL the server and exit (container stop)
# A server that dies on its own is NOT restarted: a crash is an observation, not noise.
#
# Environment: FAULTLINE_SERVER (the launcher that execs the server, required),
# FAULTLINE_NODES (comma-separated node names to wait for in DNS before the first start).
set -u
RUN_DIR=/run/faultline
LOG_DIR=/var/log/faultline
SERVER="${FAULTLINE_SERVER:?FAULTLINE_SERVER must name the server launcher}"

mkdir -p "$RUN_DIR" "$LOG_DIR" /var/lib/faultline/data /etc/faultline
# The clock-fault offset for libfaketime; created once per container, so a clock offset
# survives a kill/start of the server just as a host clock would.
[ -e "$RUN_DIR/faketime" ] || echo "+0" > "$RUN_DIR/faketime"

note() { echo "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) supervisor: $*" >> "$LOG_DIR/supervisor.log"; }

server_pid=""
server_alive() {
  [ -n "$server_pid" ] || return 1
  local state
  state=$(awk '{print $3}' "/proc/$server_pid/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

start_server() {
  if server_alive; then return; fi
  "$SERVER" >> "$LOG_DIR/server.log" 2>&1 &
  server_pid=$!
  echo "$server_pid" > "$RUN_DIR/server.pid"
  note "started server pid $server_pid"
}

stop_all() {
  if server_alive; then kill -KILL "$server_pid"; fi
  note "container stopping"
  exit 0
}

# Peers' names resolve only once Docker has attached their containers to the network;
# servers that resolve peers once at boot (etcd's initial cluster) must not start early.
wait_for_peers() {
  local deadline=$((SECONDS + 30)) node
  for node in ${FAULTLINE_NODES//,/ }; do
    until getent hosts "$node" > /dev/null; do
      if [ "$SECONDS" -ge "$deadline" ]; then note "peer $node does not resolve"; return; fi
      sleep 0.1
    done
  done
}

trap start_server USR1
trap stop_all TERM INT
note "container starting"
wait_for_peers
start_server
while :; do
  # `wait` returns as soon as a trapped signal arrives, so control is immediate.
  sleep 1 & wait $!
done
