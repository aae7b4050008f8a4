#!/bin/bash
# Launch ZooKeeper's QuorumPeerMain for one faultline node (exec'd by the supervisor, so
# the PID is the JVM's).
#
# The JVM runs under libfaketime so the clock fault can shift this node's wall clock while
# it runs: the offset lives in /run/faultline/faketime ("+0" at container start; rewrite it,
# e.g. "+30" or "-5", to step the clock). libfaketime re-reads it at most once a second
# (FAKETIME_CACHE_DURATION=1, whole seconds), so a change shows within 2 s: FAKETIME_NO_CACHE=1
# (re-read on every clock call) cut ZooKeeper's throughput ~20x (bench/zk_faketime.py).
# Monotonic clocks are faked too (no FAKETIME_DONT_FAKE_MONOTONIC).
# Environment: FAULTLINE_NODE (n<i>), FAULTLINE_NODES (comma-separated), FAULTLINE_ZK_HEAP
# (max heap, default 512m), FAULTLINE_ZK_FAKETIME: cache-1s (default) | no-cache (every
# clock call re-reads the offset file) | off (no libfaketime: for measuring its cost; the
# clock fault cannot work then).
set -eu
: "${FAULTLINE_NODE:?}" "${FAULTLINE_NODES:?}"
data=/var/lib/faultline/data
conf=/etc/faultline/zoo.cfg
myid=""
i=0
servers=""
for node in ${FAULTLINE_NODES//,/ }; do
  i=$((i + 1))
  [ "$node" = "$FAULTLINE_NODE" ] && myid=$i
  servers+="server.$i=$node:2888:3888"$'\n'
done
[ -n "$myid" ] || { echo "node $FAULTLINE_NODE is not in $FAULTLINE_NODES" >&2; exit 1; }
echo "$myid" > "$data/myid"
cat > "$conf" <<CFG
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$data
clientPort=2181
# The harness opens many sessions from one address.
maxClientCnxns=0
# Transaction log files are preallocated; 4 MB keeps the tmpfs small.
preAllocSize=4096
quorumListenOnAllIPs=true
admin.enableServer=false
4lw.commands.whitelist=*
$servers
CFG
jars=/usr/share/java
classpath="/usr/local/lib/faultline:$jars/zookeeper.jar:$jars/zookeeper-jute.jar:$jars/log4j-1.2.jar:$jars/slf4j-api.jar:$jars/slf4j-log4j12.jar"
faketime=(LD_PRELOAD="$FAULTLINE_FAKETIME_LIB" FAKETIME_TIMESTAMP_FILE=/run/faultline/faketime)
case "${FAULTLINE_ZK_FAKETIME:-cache-1s}" in
  no-cache) faketime+=(FAKETIME_NO_CACHE=1) ;;
  cache-1s) faketime+=(FAKETIME_CACHE_DURATION=1) ;;
  off) faketime=() ;;
  *) echo "FAULTLINE_ZK_FAKETIME must be no-cache, cache-1s or off" >&2; exit 1 ;;
esac
exec env "${faketime[@]}" java -Xms64m "-Xmx${FAULTLINE_ZK_HEAP:-512m}" -XX:+UseSerialGC \
  -Dzookeeper.log.dir=/var/log/faultline \
  -Dlog4j.configuration=file:/usr/local/lib/faultline/log4j.properties \
  -cp "$classpath" org.apache.zookeeper.server.quorum.QuorumPeerMain "$conf"
