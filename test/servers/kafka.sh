#!/usr/bin/env bash
# Single-node Apache Kafka broker (KRaft, combined broker+controller) for the integration tests,
# run from Maven Central jars (no tarball). Follows the contract in test/servers/lib.sh.
#
# Usage: test/servers/kafka.sh install|start|stop|kill|status|env|reset
#   install  resolves org.apache.kafka:kafka_2.13 + log4j2 into $TAXI_CACHE_DIR/kafka-<version>/libs
#            with mvn (test/servers/kafka/pom.xml); a warm install does not run mvn at all.
#   start    formats $TAXI_SERVERS_DIR/kafka/data once (StorageTool --standalone), starts the broker
#            on 127.0.0.1, waits for "Kafka Server started" and the port. The data dir is kept
#            across stop/start, so a restart simulates an outage without losing data.
#   stop     stops the broker this script started (pid file) and waits for it to exit
#            (TERM: controlled shutdown; KILL after 20 s).
#   kill     KILLs it (a crash: the next start recovers the logs), waits for it to exit.
#   status   says whether it runs; exit 0 when the port answers, 1 otherwise.
#   env      prints KAFKA_BROKERS=127.0.0.1:<port>.
#   reset    stop, then delete the data dir (the next start formats a new cluster).
#
# Environment (defaults): KAFKA_VERSION (4.4.0), KAFKA_PORT (19092), KAFKA_CONTROLLER_PORT (19093),
#   KAFKA_HEAP_OPTS (-Xms512m -Xmx512m), KAFKA_JVM_OPTS (G1, C1-only JIT; see below),
#   KAFKA_START_TIMEOUT seconds (90), JAVA_HOME (java on PATH),
#   TAXI_MAVEN_REPO (Maven local repository, $TAXI_CACHE_DIR/m2),
#   TAXI_SERVERS_DIR (.servers): the state (data, pid file, broker.log) lives in $TAXI_SERVERS_DIR/kafka.
#   A second, independent broker: another TAXI_SERVERS_DIR with other KAFKA_PORT and
#   KAFKA_CONTROLLER_PORT (test/helpers/dedicated-kafka.ts); start, stop and status then act on it alone.

# shellcheck source=test/servers/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CONF_DIR=$HERE/kafka
TAXI_SERVERS_DIR=$(cd "$TAXI_SERVERS_DIR" && pwd) # log.dirs must be absolute

KAFKA_VERSION=${KAFKA_VERSION:-4.4.0}
KAFKA_PORT=${KAFKA_PORT:-19092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-19093}
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms512m -Xmx512m}
# As Kafka's bin/kafka-run-class.sh, plus C1-only JIT (TieredStopAtLevel=1): the broker is ready
# ~1.5 s sooner (2.2 s instead of 3.4-4 s here), uses ~40% less memory, and moves multi-MiB
# batches as fast for these tests. Setting KAFKA_JVM_OPTS replaces the whole list.
KAFKA_JVM_OPTS=${KAFKA_JVM_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -XX:TieredStopAtLevel=1 -Djava.awt.headless=true}
KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-90}
TAXI_MAVEN_REPO=${TAXI_MAVEN_REPO:-$TAXI_CACHE_DIR/m2}

install_dir=$TAXI_CACHE_DIR/kafka-$KAFKA_VERSION
libs=$install_dir/libs
stamp=$install_dir/installed
state=$TAXI_SERVERS_DIR/kafka
data=$state/data
pidfile=$state/pid
logfile=$state/broker.log
config=$state/server.properties

# running_pid: prints the pid in the pid file when that process is alive (not a zombie) and is the
# broker this script started for this state dir (its command line has -Dtaxi.stream.kafka=$state).
# Stricter than lib.sh's pid_alive: a killed broker stays a zombie for a second or two until it is
# reaped, and kill -0 still succeeds on a zombie (whose /proc/PID/cmdline is empty).
running_pid() {
  local pid
  [ -f "$pidfile" ] && pid=$(cat "$pidfile") && [ -n "$pid" ] || return 1
  tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline" | grep -qxF -- "-Dtaxi.stream.kafka=$state" || return 1
  echo "$pid"
}
not_running() { ! running_pid >/dev/null; }

# pid_gone PID: true when PID has fully exited: no such process, or a zombie all of whose threads
# have exited (so its sockets are closed). The JVM's main thread can be a zombie while other
# threads still hold the listening sockets for a moment.
pid_gone() {
  local state tasks
  state=$(proc_state "$1") || return 0
  tasks=("/proc/$1/task/"*)
  [ "$state" = Z ] && [ "${#tasks[@]}" -le 1 ]
}

# proc_state PID: prints the state letter of PID (R, S, Z, ...); fails when there is no such process.
proc_state() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  echo "${stat:0:1}"
}

# elapsed T0_MS: seconds since T0_MS, e.g. "4.217 s".
elapsed() {
  local ms=$(( $(now_ms) - $1 ))
  printf '%d.%03d s' $(( ms / 1000 )) $(( ms % 1000 ))
}

java_bin() {
  if [ -n "${JAVA_HOME:-}" ]; then
    echo "$JAVA_HOME/bin/java"
  else
    command -v java || die "kafka: java not found (Kafka $KAFKA_VERSION needs Java 17+; set JAVA_HOME)"
  fi
}

# check_java JAVA: dies unless JAVA is Java 17 or newer.
check_java() {
  local spec
  [ -x "$1" ] || die "kafka: no java at $1 (Kafka $KAFKA_VERSION needs Java 17+; set JAVA_HOME)"
  spec=$("$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p') || spec=
  [ -n "$spec" ] || die "kafka: cannot run $1 -version"
  case $spec in 1.*) spec=8 ;; esac
  [ "${spec%%.*}" -ge 17 ] || die "kafka: $1 is Java $spec; Kafka $KAFKA_VERSION needs Java 17+ (set JAVA_HOME)"
}

# The install is current when it was made for this version from this pom.xml.
install_id() { printf '%s %s\n' "$KAFKA_VERSION" "$(sha256sum "$CONF_DIR/pom.xml" | cut -d' ' -f1)"; }
installed() {
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(install_id)" ] && [ -f "$libs/kafka_2.13-$KAFKA_VERSION.jar" ]
}

cmd_install() {
  local t0; t0=$(now_ms)
  if installed; then
    log "kafka $KAFKA_VERSION: already installed in $libs"
  else
    command -v mvn >/dev/null || die "kafka: mvn not found (apt-get install -y maven)"
    log "kafka $KAFKA_VERSION: resolving jars with mvn into $libs"
    mkdir -p "$install_dir"
    rm -rf "$libs.tmp" "$stamp"
    if ! mvn -B -f "$CONF_DIR/pom.xml" -Dmaven.repo.local="$TAXI_MAVEN_REPO" \
        -Dkafka.version="$KAFKA_VERSION" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$libs.tmp" >"$install_dir/mvn.log" 2>&1; then
      tail -n 40 "$install_dir/mvn.log" >&2
      die "kafka: mvn failed (full log: $install_dir/mvn.log)"
    fi
    [ -f "$libs.tmp/kafka_2.13-$KAFKA_VERSION.jar" ] || die "kafka: mvn did not bring kafka_2.13-$KAFKA_VERSION.jar"
    rm -rf "$libs"
    mv "$libs.tmp" "$libs"
    install_id >"$stamp"
    log "kafka $KAFKA_VERSION: $(find "$libs" -name '*.jar' | wc -l) jars in $libs"
  fi
  log "kafka: install took $(elapsed "$t0")"
}

write_config() {
  sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" \
      -e "s|@KAFKA_CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
      -e "s|@KAFKA_DATA_DIR@|$data|g" \
      "$CONF_DIR/server.properties.in" >"$config.tmp"
  mv "$config.tmp" "$config"
}

# A Kafka cluster id: 16 random bytes, URL-safe base64 without padding, not starting with '-'.
new_cluster_id() {
  local id
  while :; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
    case $id in -*) ;; *) echo "$id"; return ;; esac
  done
}

# wait_ready PID T0_MS: until the log says "Kafka Server started" and the port answers.
wait_ready() {
  local pid=$1 t0=$2
  local deadline=$(( $(date +%s) + KAFKA_START_TIMEOUT ))
  until grep -q 'Kafka Server started' "$logfile" 2>/dev/null && port_open "$KAFKA_PORT"; do
    # pid_gone, not not_running: right after the fork the child has not exec'd java yet, so its
    # command line lacks the -Dtaxi.stream.kafka tag running_pid looks for.
    if pid_gone "$pid"; then
      tail -n 40 "$logfile" >&2 || true
      rm -f "$pidfile"
      die "kafka: exited during startup (log: $logfile)"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      tail -n 40 "$logfile" >&2 || true
      stop_broker TERM
      die "kafka: not ready after $KAFKA_START_TIMEOUT s; stopped it (log: $logfile)"
    fi
    sleep 0.2
  done
  log "kafka: ready on 127.0.0.1:$KAFKA_PORT (pid $pid), started in $(elapsed "$t0")"
}

cmd_start() {
  local t0 pid; t0=$(now_ms)
  if pid=$(running_pid); then
    if grep -q 'Kafka Server started' "$logfile" 2>/dev/null && port_open "$KAFKA_PORT"; then
      log "kafka: already running (pid $pid) on 127.0.0.1:$KAFKA_PORT"
      return 0
    fi
    log "kafka: pid $pid is ours but not ready yet; waiting for it"
    wait_ready "$pid" "$t0"
    return 0
  fi
  if [ -s "$pidfile" ]; then
    # Our broker was killed from outside and may still be exiting (its threads hold the ports).
    pid=$(cat "$pidfile")
    if [ "$(proc_state "$pid")" = Z ]; then wait_until 10 "kafka exit" pid_gone "$pid" || true; fi
  fi
  rm -f "$pidfile"
  if port_open "$KAFKA_PORT"; then
    log "kafka: something already answers on 127.0.0.1:$KAFKA_PORT (not started by this script); leaving it alone"
    return 0
  fi
  if port_open "$KAFKA_CONTROLLER_PORT"; then
    die "kafka: controller port 127.0.0.1:$KAFKA_CONTROLLER_PORT is taken by another process (set KAFKA_CONTROLLER_PORT)"
  fi

  installed || cmd_install
  local java; java=$(java_bin)
  check_java "$java"
  mkdir -p "$state" "$data"
  write_config

  local -a heap_opts log_opts jvm_opts
  read -r -a heap_opts <<<"$KAFKA_HEAP_OPTS"
  read -r -a jvm_opts <<<"$KAFKA_JVM_OPTS"
  # -Dtaxi.stream.kafka tags the process: running_pid only trusts a pid whose command line has it.
  jvm_opts+=(-Dtaxi.stream.kafka="$state")
  log_opts=(-Dlog4j2.configurationFile="$CONF_DIR/log4j2.properties")

  if [ ! -f "$data/meta.properties" ]; then
    local cluster_id; cluster_id=$(new_cluster_id)
    log "kafka: formatting $data (cluster id $cluster_id)"
    if ! "$java" "${log_opts[@]}" -cp "$libs/*" kafka.tools.StorageTool format --standalone \
        --cluster-id "$cluster_id" --config "$config" >"$state/format.log" 2>&1; then
      tail -n 40 "$state/format.log" >&2
      die "kafka: formatting $data failed (log: $state/format.log)"
    fi
  fi

  [ -f "$logfile" ] && mv -f "$logfile" "$logfile.prev"
  log "kafka $KAFKA_VERSION: starting on 127.0.0.1:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT), data $data"
  nohup "$java" "${heap_opts[@]}" "${jvm_opts[@]}" "${log_opts[@]}" -cp "$libs/*" \
    kafka.Kafka "$config" >"$logfile" 2>&1 </dev/null &
  echo $! >"$pidfile"
  wait_ready "$!" "$t0"
}

# stop_broker TERM|KILL: signals the broker we started and waits for it to exit (as lib.sh's
# stop_pidfile, but zombie-aware): after TERM, KILL if it still runs after 20 s.
stop_broker() {
  local sig=$1 t0 pid; t0=$(now_ms)
  if ! pid=$(running_pid); then
    rm -f "$pidfile"; log "kafka: not running (started by us)"; return 0
  fi
  kill "-$sig" "$pid" 2>/dev/null || true
  if ! wait_until 20 "kafka exit" pid_gone "$pid"; then
    log "kafka: still running after 20 s, sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_until 10 "kafka exit" pid_gone "$pid" || die "kafka: pid $pid does not exit"
  fi
  rm -f "$pidfile"
  log "kafka: stopped ($sig) pid $pid in $(elapsed "$t0")"
}

cmd_stop() { stop_broker TERM; }
cmd_kill() { stop_broker KILL; }

cmd_status() {
  local pid
  if pid=$(running_pid); then
    if port_open "$KAFKA_PORT"; then
      log "kafka: running (pid $pid) on 127.0.0.1:$KAFKA_PORT"; return 0
    fi
    log "kafka: pid $pid is running but 127.0.0.1:$KAFKA_PORT does not answer (starting or stopping)"
    return 1
  fi
  if port_open "$KAFKA_PORT"; then
    log "kafka: 127.0.0.1:$KAFKA_PORT answers, but not started by this script"; return 0
  fi
  log "kafka: not running"
  return 1
}

cmd_env() { echo "KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT"; }

cmd_reset() {
  cmd_stop
  rm -rf "$data"
  log "kafka: deleted $data"
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  kill) cmd_kill ;;
  status) cmd_status ;;
  env) cmd_env ;;
  reset) cmd_reset ;;
  *) echo "usage: $0 install|start|stop|kill|status|env|reset" >&2; exit 2 ;;
esac
