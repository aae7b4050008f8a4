#!/bin/bash
# Launch etcd for one faultline node (exec'd by the supervisor, so the PID is etcd's).
#
# Shared contract with image variants (e.g. faultline/etcd-clock): COPY this file and
# common/{supervisor.sh,faultline-ctl}, set FAULTLINE_ETCD_BIN to the variant's binary.
# Environment:
#   FAULTLINE_NODE      this node's name (n1..nN), also its hostname on the network
#   FAULTLINE_NODES     all node names, comma-separated
#   FAULTLINE_CLUSTER   cluster token (the compose project name), default "faultline"
#   FAULTLINE_ETCD_BIN  etcd binary, default /usr/bin/etcd
#   FAULTLINE_ETCD_ARGS extra flags appended verbatim (word-split)
# (Not ETCD_*: etcd itself reads every ETCD_* variable as a flag.)
set -eu
: "${FAULTLINE_NODE:?}" "${FAULTLINE_NODES:?}"
bin="${FAULTLINE_ETCD_BIN:-/usr/bin/etcd}"
initial_cluster=""
for node in ${FAULTLINE_NODES//,/ }; do
  initial_cluster="${initial_cluster:+$initial_cluster,}$node=http://$node:2380"
done
ip=$(hostname -i | awk '{print $1}')
args=(
  --name "$FAULTLINE_NODE"
  --data-dir /var/lib/faultline/data
  --listen-client-urls http://0.0.0.0:2379
  --advertise-client-urls "http://$ip:2379"
  --listen-peer-urls http://0.0.0.0:2380
  --initial-advertise-peer-urls "http://$FAULTLINE_NODE:2380"
  --initial-cluster "$initial_cluster"
  --initial-cluster-state new
  --initial-cluster-token "${FAULTLINE_CLUSTER:-faultline}"
  # A partitioned node that rejoins must not depose a healthy leader by term inflation.
  --pre-vote
  --logger zap --log-outputs stderr
)
# shellcheck disable=SC2206 # extra flags are meant to be word-split
args+=(${FAULTLINE_ETCD_ARGS:-})
printf '%s\n' "$bin" "${args[@]}" > /etc/faultline/etcd.args
exec "$bin" "${args[@]}"
