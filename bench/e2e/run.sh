#!/usr/bin/env bash
# End-to-end benchmark: the whole Spillway pipeline vs the whole legacy pipeline, side by side in one run
# (issue 6). Usage: bench/e2e/run.sh [-n ROUNDS=3] [-b BACKLOG=1000000] [-w WINDOW_S=30] [-S SETTLE_S=10]
#                                   [-c CONNS=64] [-i MAX_IN_FLIGHT=256] [-x STEPS=e2e,drain] [-o FILE] [-k]
#   -n  rounds of the e2e figure, each legacy then Spillway for both upstreams; tables show medians (and every run)
#   -b  backlog size for the drain figure (legacy: bench-consumer.sh -n B; Spillway: B events through the edge)
#   -w  measurement window (s) of the end-to-end figure; it starts SETTLE_S after wrk's recorded run begins
#   -c  wrk connections (bench-edge.sh -c)      -i  Spillway's upstreams.<u>.max_in_flight
#   -x  steps to run: e2e (figures 1 and 4), drain (figures 2 and 3), or both (default)
#   -o  markdown fragment to write (default ${TMPDIR:-/tmp}/spillway-bench/e2e.md)
#   -k  keep the state dir (${TMPDIR:-/tmp}/spillway-bench-e2e: logs, configs, raw outputs)
# Figures (each one legacy first, then Spillway; never both stacks at the same time):
#   1 e2e events/s: wrk (the baseline's bench-edge.sh, 1 KiB gzip envelopes, key PUBLICKEY, project 42) saturates
#     the edge; the figure is what the sink (sink.sh, -m return and -m delay -d 0.05) received per second during
#     the window (sink.sh count before/after), plus the edge's accepted req/s over the whole wrk run.
#   2 drain: legacy = bench-consumer.sh -n B -m return ("in X s"); Spillway = B events sent through the edge with
#     bridge AND delivery stopped (the backlog sits in the Redis buffer, like the legacy list), then bridge and
#     delivery are started and timed from their start until the sink has counted B.
#   3 Redis bytes per buffered event: used_memory growth / B after the fill of figure 2 (legacy: bench-consumer.sh).
#   4 peak RSS (VmHWM) of every process at the end of the instant-upstream e2e run (highest over the rounds).
# Spillway: redis-server (AOF everysec, like the legacy Redis), one KRaft broker (testkit's KafkaCluster, as
# `spillway up` runs it, -Xmx256m), edge/bridge/delivery each its own JVM from `main --config FILE`
# (E2E_JAVA_OPTS, default -Xmx512m -XX:+UseParallelGC). Machine-readable lines start with "RESULT ".
set -euo pipefail
{ # the whole script is one block: bash parses it before running it, so editing this file cannot break a run in progress
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
B="${SPILLWAY_BASELINE:-$(cd "$ROOT/../shared/baseline" 2>/dev/null && pwd || echo /work/shared/baseline)}"
[ -x "$B/bench-edge.sh" ] || { echo "baseline not found at $B (set SPILLWAY_BASELINE)" >&2; exit 1; }
CMDLINE="bench/e2e/run.sh $*"
ROUNDS=3; BACKLOG=1000000; WINDOW=30; SETTLE=10; CONNS=64; INFLIGHT=256; STEPS=e2e,drain; KEEP=0
OUTMD="${TMPDIR:-/tmp}/spillway-bench/e2e.md"
while getopts "n:b:w:S:c:i:x:o:kh" o; do case "$o" in
  n) ROUNDS="$OPTARG";; b) BACKLOG="$OPTARG";; w) WINDOW="$OPTARG";; S) SETTLE="$OPTARG";; c) CONNS="$OPTARG";; i) INFLIGHT="$OPTARG";;
  x) STEPS="$OPTARG";; o) OUTMD="$OPTARG";; k) KEEP=1;;
  *) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 2;; esac; done
for v in "$ROUNDS" "$BACKLOG" "$WINDOW" "$SETTLE" "$CONNS" "$INFLIGHT"; do [[ "$v" =~ ^[0-9]+$ ]] || { echo "not a number: $v" >&2; exit 2; }; done
[ "$BACKLOG" -ge "$CONNS" ] || { echo "-b must be >= -c (hey sends -n B over -c connections)" >&2; exit 2; }
JAVA_OPTS="${E2E_JAVA_OPTS:--Xmx512m -XX:+UseParallelGC}"

# Ports: none collides with the baseline's defaults (18080, 16380, 18200-18202, 16381) or bench/delivery (1829x, 16391).
S_EDGE=18400; S_EADMIN=18401; S_BADMIN=18402; S_DADMIN=18403; S_SINK_FAST=18404; S_SINK_SLOW=18405
S_REDIS=16400; S_KAFKA=18410   # the controller listens on 18411
L_EDGE=18406; L_REDIS=16401; L_SINK_FAST=18407; L_SINK_SLOW=18408; L_BC_REDIS=16402; L_BC_SINK=18409
ST="${TMPDIR:-/tmp}/spillway-bench-e2e"
RES="$ST/results.txt"
log() { echo "[bench-e2e] $(date -u +%T) $*" >&2; }
die() { log "$*"; exit 1; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# One run at a time: two runs would share the state dir and ports (the port check below cannot see a run that is
# between two stacks). A directory with our PID, not flock: a lock fd would be inherited by the daemons we start.
LOCK="${TMPDIR:-/tmp}/spillway-bench-e2e.lock"
if ! mkdir "$LOCK" 2>/dev/null; then
  other=$(cat "$LOCK/pid" 2>/dev/null || true)
  [ -n "$other" ] && kill -0 "$other" 2>/dev/null && die "another bench/e2e/run.sh is running (pid $other, lock $LOCK)"
  rm -rf "$LOCK"; mkdir "$LOCK"   # left by a run that died
fi
echo $$ > "$LOCK/pid"
for p in $S_EDGE $S_EADMIN $S_BADMIN $S_DADMIN $S_SINK_FAST $S_SINK_SLOW $S_REDIS $S_KAFKA $((S_KAFKA + 1)) \
         $L_EDGE $L_REDIS $L_SINK_FAST $L_SINK_SLOW $L_BC_REDIS $L_BC_SINK; do
  port_busy "$p" && die "port $p is in use: stop what runs there"
done
rm -rf "$ST"; mkdir -p "$ST" "$(dirname "$OUTMD")"; : > "$RES"
result() { echo "RESULT $*" | tee -a "$RES"; }

# --- packages (the baseline scripts install their own; we need hey for a fixed number of requests)
export DEBIAN_FRONTEND=noninteractive
need=""; for p in redis-server redis-tools wrk hey curl; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need="$need $p"; done
if [ -n "$need" ]; then
  log "apt-get install$need"; SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo -n"
  # shellcheck disable=SC2086
  $SUDO apt-get install -y --no-install-recommends $need >&2 || { $SUDO apt-get update >&2 && $SUDO apt-get install -y --no-install-recommends $need >&2; }
fi

# --- classpath: proof's test classpath has every module. The Spillway jars in ~/.m2 and target/ may be rebuilt by
# someone else during a long run, so the run uses a private copy of them (and of the BenchKafka harness).
(cd "$ROOT" && mvn -B -o -q -pl proof test-compile \
  && mvn -B -o -q -pl proof dependency:build-classpath -Dmdep.outputFile="$ST/cp.txt" -Dmdep.includeScope=test) >"$ST/build.log" 2>&1 \
  || { tail -30 "$ST/build.log" >&2; die "build failed"; }
mkdir -p "$ST/cp/classes/io/spillway/proof"
cp -r "$ROOT/proof/target/test-classes/io/spillway/proof/bench" "$ST/cp/classes/io/spillway/proof/"
CP="$ST/cp/classes"
for e in $(tr ':' '\n' < "$ST/cp.txt"); do
  if [[ "$e" == */io/spillway/* ]]; then cp "$e" "$ST/cp/"; CP="$CP:$ST/cp/$(basename "$e")"; else CP="$CP:$e"; fi
done

# --- process bookkeeping: everything we start is stopped by PID, also on failure
SPW_PIDS=()      # edge bridge delivery kafka-harness redis, in stop order
KAFKA_BROKER=""
stop_pid() { # PID: TERM, wait up to 40 s, then KILL
  local p=$1 _; kill -TERM "$p" 2>/dev/null || return 0
  for _ in $(seq 1 400); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
  log "pid $p did not stop in 40 s: KILL"; kill -KILL "$p" 2>/dev/null || true
}
spw_down() {
  local p; for p in "${SPW_PIDS[@]}"; do stop_pid "$p"; done; SPW_PIDS=()
  # the harness stops its broker on TERM; a harness that died leaves the broker behind
  [ -n "$KAFKA_BROKER" ] && stop_pid "$KAFKA_BROKER"; KAFKA_BROKER=""
  rm -rf "$ST/redis" "$ST/kafka" "$ST/delivery-state"
}
BENCH_PID=""   # a bench-edge.sh running in the background (the window is measured meanwhile)
stop_bench() {
  [ -n "$BENCH_PID" ] || return 0
  local c; for c in $(ps -o pid= --ppid "$BENCH_PID" 2>/dev/null); do kill -TERM "$c" 2>/dev/null || true; done   # its wrk
  kill -TERM "$BENCH_PID" 2>/dev/null || true; wait "$BENCH_PID" 2>/dev/null || true; BENCH_PID=""
}
cleanup() {
  stop_bench
  spw_down
  "$B/down.sh" -p "$L_EDGE" -x >/dev/null 2>&1 || true
  for p in $S_SINK_FAST $S_SINK_SLOW $L_SINK_FAST $L_SINK_SLOW; do "$B/sink.sh" down -p "$p" -x >/dev/null 2>&1 || true; done
  [ "$KEEP" = 1 ] || rm -rf "$ST/cp"
  rm -rf "$LOCK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

sink_count() { "$B/sink.sh" count -p "$1"; }
now() { date +%s.%N; }
hwm_mib() { awk '/^VmHWM:/{printf "%.0f", $2/1024}' "/proc/$1/status" 2>/dev/null || echo -; }
await_ready() { # NAME ADMIN_PORT PID
  local _; for _ in $(seq 1 600); do
    curl -fsS "http://127.0.0.1:$2/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$3" 2>/dev/null || { tail -30 "$ST/$1.log" >&2; die "$1 exited"; }
    sleep 0.2; done
  tail -30 "$ST/$1.log" >&2; die "$1 not ready within 120 s"
}
start_app() { # NAME MAINCLASS ADMIN_PORT -> sets APP_PID
  # shellcheck disable=SC2086
  java $JAVA_OPTS -Dlogback.configurationFile="$ROOT/bench/logback.xml" -cp "$CP" "$2" --config "$ST/spillway.yml" >>"$ST/$1.log" 2>&1 &
  APP_PID=$!; SPW_PIDS=("$APP_PID" "${SPW_PIDS[@]}")
}
# spw_up UPSTREAM_URL APPS: Redis + Kafka + the apps named in APPS (edge bridge delivery); sets *_PID
spw_up() {
  mkdir -p "$ST/redis" "$ST/kafka"
  redis-server --port $S_REDIS --bind 127.0.0.1 --dir "$ST/redis" --save "" --appendonly yes --appendfsync everysec \
    --daemonize no --logfile "$ST/redis/redis.log" & REDIS_PID=$!; SPW_PIDS=("$REDIS_PID")
  local _; for _ in $(seq 1 100); do redis-cli -p $S_REDIS ping >/dev/null 2>&1 && break; sleep 0.1; done
  java -Xmx128m -Dlogback.configurationFile="$ROOT/bench/logback.xml" -cp "$CP" io.spillway.proof.bench.BenchKafka "$ST/kafka" $S_KAFKA \
    >"$ST/kafka.out" 2>"$ST/kafka-harness.log" &
  SPW_PIDS=("$!" "${SPW_PIDS[@]}")
  for _ in $(seq 1 1200); do grep -q '^READY' "$ST/kafka.out" && break; kill -0 "${SPW_PIDS[0]}" 2>/dev/null || break; sleep 0.1; done
  grep -q '^READY' "$ST/kafka.out" || { tail -30 "$ST/kafka-harness.log" >&2; die "kafka did not start"; }
  KAFKA_BROKER=$(ps -o pid= --ppid "${SPW_PIDS[0]}" | tr -d ' ' | head -1)   # the harness's only child
  [ -n "$KAFKA_BROKER" ] || die "no broker process under the kafka harness"
  cat > "$ST/spillway.yml" <<YML
edge:     { listen: "127.0.0.1:$S_EDGE", admin: "127.0.0.1:$S_EADMIN", instance: "bench-e2e" }
bridge:   { admin: "127.0.0.1:$S_BADMIN" }
delivery: { admin: "127.0.0.1:$S_DADMIN", state_dir: "$ST/delivery-state" }
redis:    { uri: "redis://127.0.0.1:$S_REDIS", max_buffer_bytes: 16GiB, request_queue_size: 100000 }
kafka:    { bootstrap_servers: "127.0.0.1:$S_KAFKA" }
upstreams:
  bench:
    url: "$1"
    max_in_flight: $INFLIGHT
    projects:
      p42: { id: 42, key: "PUBLICKEY" }
YML
  case " $2 " in *" edge "*) start_app edge io.spillway.edge.EdgeServer; EDGE_PID=$APP_PID; await_ready edge $S_EADMIN "$EDGE_PID";; esac
  case " $2 " in *" bridge "*) start_app bridge io.spillway.bridge.KafkaBridge; BRIDGE_PID=$APP_PID;; esac
  case " $2 " in *" delivery "*) start_app delivery io.spillway.delivery.DeliveryService; DELIVERY_PID=$APP_PID;; esac
  case " $2 " in *" bridge "*) await_ready bridge $S_BADMIN "$BRIDGE_PID";; esac
  case " $2 " in *" delivery "*) await_ready delivery $S_DADMIN "$DELIVERY_PID";; esac
  return 0
}

# measure_window SINK_PORT BENCH_ERR_FILE: waits until bench-edge.sh starts its recorded run, lets the pipeline
# settle, then counts what the sink received during WINDOW seconds. Prints "<events/s> <events> <seconds>".
measure_window() {
  local _ c0 c1 t0 t1
  for _ in $(seq 1 600); do grep -q 'wrk -t' "$2" 2>/dev/null && break; sleep 0.1; done
  sleep "$SETTLE"
  c0=$(sink_count "$1"); t0=$(now); sleep "$WINDOW"; c1=$(sink_count "$1"); t1=$(now)
  awk -v a="$c0" -v b="$c1" -v s="$t0" -v e="$t1" 'BEGIN{ r=(b-a)/(e-s); printf (r >= 100 ? "%.0f" : "%.1f") " %d %.1f\n", r, b-a, e-s }'
}
WRK_S=$((SETTLE + WINDOW + 2))   # bench-edge.sh -d: the window fits inside the recorded run
EDGE_CMD="bench-edge.sh -c $CONNS -d $WRK_S"
kv() { grep -o "$1=[0-9.]*" "$2" | head -1 | cut -d= -f2; }
# CPU during the wrk run, from bench-edge.sh's cpu_pct line: the stack's own processes (100 = one core) and the whole box
cpu() { local l; l=$(grep '^cpu_pct' "$1"); echo "stack_cpu_pct=$(echo "$l" | awk '{for(i=1;i<=NF;i++) if ($i ~ /^(nginx|redis|consumer|pids)=/) {split($i,a,"="); s+=a[2]}} END{print s+0}') box_busy_pct=$(echo "$l" | grep -o 'box_busy=[0-9]*' | cut -d= -f2)"; }

e2e_legacy() { # MODE SINK_PORT [DELAY]
  local mode=$1 sp=$2 f="$ST/e2e-legacy-$1"
  log "legacy e2e, upstream $mode: sink.sh up -p $sp; up.sh -p $L_EDGE -r $L_REDIS -U http://127.0.0.1:$sp"
  "$B/sink.sh" up -p "$sp" -m "$mode" ${3:+-d "$3"} >"$f.sink" 2>&1 || { cat "$f.sink" >&2; die "sink failed"; }
  "$B/up.sh" -p "$L_EDGE" -r "$L_REDIS" -U "http://127.0.0.1:$sp" >"$f.up" 2>&1 || { cat "$f.up" >&2; die "up.sh failed"; }
  "$B/bench-edge.sh" -u "http://127.0.0.1:$L_EDGE" -c "$CONNS" -d "$WRK_S" >"$f.out" 2>"$f.err" & BENCH_PID=$!
  read -r rate n secs < <(measure_window "$sp" "$f.err")
  wait "$BENCH_PID" || { BENCH_PID=""; cat "$f.err" >&2; die "bench-edge.sh failed"; }; BENCH_PID=""
  result "e2e round=$ROUND stack=legacy upstream=$mode sink_events_s=$rate sink_events=$n window_s=$secs edge_req_s=$(kv 'req/s' "$f.out") http_errors=$(kv http_errors "$f.out") socket_errors=$(kv socket_errors "$f.out") $(cpu "$f.out")"
  if [ "$mode" = return ]; then
    local l; l=$(grep -o 'peak_rss_mib.*' "$f.out")
    for p in nginx redis consumer; do result "rss round=$ROUND stack=legacy process=$p peak_rss_mib=$(echo "$l" | grep -o "$p=[0-9-]*" | cut -d= -f2)"; done
  fi
  "$B/down.sh" -p "$L_EDGE" -x >/dev/null 2>&1; "$B/sink.sh" down -p "$sp" -x >/dev/null 2>&1
}

e2e_spillway() { # MODE SINK_PORT [DELAY]
  local mode=$1 sp=$2 f="$ST/e2e-spillway-$1"
  log "spillway e2e, upstream $mode: sink.sh up -p $sp; redis, kafka, edge, bridge, delivery"
  "$B/sink.sh" up -p "$sp" -m "$mode" ${3:+-d "$3"} >"$f.sink" 2>&1 || { cat "$f.sink" >&2; die "sink failed"; }
  spw_up "http://127.0.0.1:$sp" "edge bridge delivery"
  "$B/bench-edge.sh" -u "http://127.0.0.1:$S_EDGE" -c "$CONNS" -d "$WRK_S" -P "$EDGE_PID,$BRIDGE_PID,$DELIVERY_PID,$REDIS_PID,$KAFKA_BROKER" \
    >"$f.out" 2>"$f.err" & BENCH_PID=$!
  read -r rate n secs < <(measure_window "$sp" "$f.err")
  wait "$BENCH_PID" || { BENCH_PID=""; cat "$f.err" >&2; die "bench-edge.sh failed"; }; BENCH_PID=""
  result "e2e round=$ROUND stack=spillway upstream=$mode sink_events_s=$rate sink_events=$n window_s=$secs edge_req_s=$(kv 'req/s' "$f.out") http_errors=$(kv http_errors "$f.out") socket_errors=$(kv socket_errors "$f.out") $(cpu "$f.out") redis_backlog_at_end=$(redis-cli -p $S_REDIS xlen spillway:events)"
  if [ "$mode" = return ]; then
    result "rss round=$ROUND stack=spillway process=edge peak_rss_mib=$(hwm_mib "$EDGE_PID")"
    result "rss round=$ROUND stack=spillway process=bridge peak_rss_mib=$(hwm_mib "$BRIDGE_PID")"
    result "rss round=$ROUND stack=spillway process=delivery peak_rss_mib=$(hwm_mib "$DELIVERY_PID")"
    result "rss round=$ROUND stack=spillway process=redis peak_rss_mib=$(hwm_mib "$REDIS_PID")"
    result "rss round=$ROUND stack=spillway process=kafka peak_rss_mib=$(hwm_mib "$KAFKA_BROKER")"
  fi
  spw_down; "$B/sink.sh" down -p "$sp" -x >/dev/null 2>&1
}

drain_legacy() {
  local f="$ST/drain-legacy"
  log "legacy drain: bench-consumer.sh -n $BACKLOG -m return -r $L_BC_REDIS -s $L_BC_SINK"
  "$B/bench-consumer.sh" -n "$BACKLOG" -m return -r "$L_BC_REDIS" -s "$L_BC_SINK" >"$f.out" 2>"$f.err" || { cat "$f.err" >&2; die "bench-consumer.sh failed"; }
  local s; s=$(grep -o ' in [0-9.]*s' "$f.out" | grep -o '[0-9.]*' | head -1)
  result "drain stack=legacy events=$BACKLOG drain_s=$s events_s=$(awk -v n="$BACKLOG" -v s="$s" 'BEGIN{printf "%.0f", n/s}') sink_received=$(kv sink_received "$f.out") dead=$(kv dead "$f.out")"
  result "redis_bytes stack=legacy events=$BACKLOG bytes_per_event=$(kv redis_mem "$f.out")"
}

drain_spillway() {
  local f="$ST/drain-spillway" sp=$S_SINK_FAST
  log "spillway drain: fill $BACKLOG through the edge (bridge and delivery stopped), then start both"
  "$B/sink.sh" up -p "$sp" -m return >"$f.sink" 2>&1 || { cat "$f.sink" >&2; die "sink failed"; }
  spw_up "http://127.0.0.1:$sp" "edge"
  local m0 m1 len t0 t1 tr n=0 _
  m0=$(redis-cli -p $S_REDIS info memory | tr -d '\r' | awk -F: '/^used_memory:/{print $2}')
  # hey sends a fixed number of requests (wrk cannot), but only a multiple of -c: the remainder goes in a second call.
  # Body and headers are the ones bench-edge.sh sends.
  fill() { hey -n "$1" -c "$2" -m POST -T application/x-sentry-envelope -H "Content-Encoding: gzip" \
    -H "User-Agent: sentry.java/8.63.0" -H "X-Sentry-Auth: Sentry sentry_version=7,sentry_client=sentry.java/8.63.0,sentry_key=PUBLICKEY" \
    -D "$B/wrk/body-envelope.gz" "http://127.0.0.1:$S_EDGE/api/42/envelope/" >>"$f.hey" 2>&1 || true; }
  local rest=$(( BACKLOG % CONNS )); t0=$(now)
  fill $(( BACKLOG - rest )) "$CONNS"; [ "$rest" = 0 ] || fill "$rest" "$rest"
  t1=$(now)
  len=$(redis-cli -p $S_REDIS xlen spillway:events)
  m1=$(redis-cli -p $S_REDIS info memory | tr -d '\r' | awk -F: '/^used_memory:/{print $2}')
  [ "$len" = "$BACKLOG" ] || { grep -A5 'Status code' "$f.hey" >&2; die "the stream holds $len entries, not $BACKLOG (see $f.hey)"; }
  result "redis_bytes stack=spillway events=$BACKLOG bytes_per_event=$(( (m1 - m0) / BACKLOG )) fill_req_s=$(awk -v n="$BACKLOG" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", n/(b-a)}')"
  t0=$(now)
  start_app bridge io.spillway.bridge.KafkaBridge; BRIDGE_PID=$APP_PID
  start_app delivery io.spillway.delivery.DeliveryService; DELIVERY_PID=$APP_PID
  await_ready bridge $S_BADMIN "$BRIDGE_PID"; await_ready delivery $S_DADMIN "$DELIVERY_PID"; tr=$(now); local nr; nr=$(sink_count "$sp")
  local last=-1 since; since=$(now)   # a stall (no progress for 120 s) ends the run instead of hanging it
  while :; do
    n=$(sink_count "$sp"); [ "$n" -ge "$BACKLOG" ] && break
    if [ "$n" != "$last" ]; then last=$n; since=$(now); fi
    awk -v s="$since" -v e="$(now)" 'BEGIN{exit !(e-s > 120)}' && die "drain stalled: the sink has $n of $BACKLOG and got nothing for 120 s"
    kill -0 "$BRIDGE_PID" && kill -0 "$DELIVERY_PID" || die "bridge or delivery exited (see $ST/*.log)"
    sleep 0.2
  done
  t1=$(now)
  local s; s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')
  result "drain stack=spillway events=$BACKLOG drain_s=$s events_s=$(awk -v n="$BACKLOG" -v s="$s" 'BEGIN{printf "%.0f", n/s}') ready_after_s=$(awk -v a="$t0" -v b="$tr" 'BEGIN{printf "%.1f", b-a}') events_s_after_ready=$(awk -v n="$((n - nr))" -v a="$tr" -v b="$t1" 'BEGIN{printf "%.0f", n/(b-a)}') sink_received=$n"
  spw_down; "$B/sink.sh" down -p "$sp" -x >/dev/null 2>&1
}

log "state: $ST; java opts: $JAVA_OPTS; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
case ",$STEPS," in *,e2e,*)
  for ROUND in $(seq 1 "$ROUNDS"); do
    log "e2e round $ROUND/$ROUNDS"
    e2e_legacy return $L_SINK_FAST
    e2e_spillway return $S_SINK_FAST
    e2e_legacy delay $L_SINK_SLOW 0.05
    e2e_spillway delay $S_SINK_SLOW 0.05
  done;; esac
case ",$STEPS," in *,drain,*)
  drain_legacy
  drain_spillway;; esac

# --- markdown fragment: one table per figure, built only from the RESULT lines above
get() { grep "^RESULT $1 " "$RES" | grep -- "$2" | grep -o " $3=[^ ]*" | head -1 | cut -d= -f2; }
all() { grep "^RESULT $1 " "$RES" | grep -- "$2" | grep -o " $3=[^ ]*" | cut -d= -f2 || true; }   # one value per round
median() { sort -n | awk '{a[NR]=$1} END{ if (NR==0) print "-"; else if (NR%2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2 }'; }
ratio() { awk -v s="$1" -v l="$2" 'BEGIN{ if (l+0 > 0 && s != "") printf "%.1fx", s/l; else print "-" }'; }
{
  echo "<!-- generated by bench/e2e/run.sh on $(date -u +%FT%TZ); do not edit by hand -->"
  echo "Command: \`$CMDLINE\` — $(date -u +%FT%TZ), $(nproc) cores, load at start $START_LOAD; Spillway JVMs: \`$JAVA_OPTS\` (edge, bridge, delivery), Kafka broker \`-Xmx256m -XX:+UseSerialGC\`; Spillway \`max_in_flight: $INFLIGHT\`; wrk via the baseline's \`$EDGE_CMD\`."
  echo
  if grep -q '^RESULT e2e ' "$RES"; then
    echo "### End-to-end events/s (what the sink received during a ${WINDOW} s window, edge saturated by wrk; median of $ROUNDS rounds)"
    echo
    echo "| upstream | legacy sink events/s | Spillway sink events/s | ratio | legacy edge req/s | Spillway edge req/s | runs: sink events/s legacy / Spillway | runs: stack CPU % legacy / Spillway |"
    echo "|---|---|---|---|---|---|---|---|"
    for m in return delay; do
      l=$(all e2e "stack=legacy upstream=$m" sink_events_s | median); s=$(all e2e "stack=spillway upstream=$m" sink_events_s | median)
      echo "| $([ $m = return ] && echo "instant (\`sink.sh -m return\`)" || echo "50 ms (\`sink.sh -m delay -d 0.05\`)") | $l | $s | $(ratio "$s" "$l") | $(all e2e "stack=legacy upstream=$m" edge_req_s | median) | $(all e2e "stack=spillway upstream=$m" edge_req_s | median) | $(all e2e "stack=legacy upstream=$m" sink_events_s | paste -sd' ') / $(all e2e "stack=spillway upstream=$m" sink_events_s | paste -sd' ') | $(all e2e "stack=legacy upstream=$m" stack_cpu_pct | paste -sd' ') / $(all e2e "stack=spillway upstream=$m" stack_cpu_pct | paste -sd' ') |"
    done
    echo
    echo "Edge req/s is what each edge accepted (answered 200) over the whole ${WRK_S} s wrk run (after bench-edge.sh's 3 s warm-up) while its pipeline delivered; what the sink did not get yet waits in Redis (legacy) or in Redis and Kafka (Spillway). Legacy: \`up.sh -U <sink>\` (nginx+Lua edge, Redis list, one Python consumer); Spillway: redis-server (AOF everysec) + one KRaft broker + edge, bridge, delivery JVMs. Every process of a stack shares the 2 cores with wrk and the sink. Stack CPU % is what the stack's own processes used during the wrk run (100 = one core; legacy: nginx + redis + consumer, Spillway: edge + bridge + delivery + redis + broker); the RESULT lines also give box_busy_pct. A stack that got much less than the other was starved by other work on the machine: rerun on an idle box."
    echo
    echo "### Peak RSS per process (VmHWM at the end of the instant-upstream run, highest of $ROUNDS rounds)"
    echo
    echo "| stack | process | peak RSS MiB |"
    echo "|---|---|---|"
    for st in legacy spillway; do for pr in nginx edge bridge delivery consumer redis kafka; do
      v=$(all rss "stack=$st process=$pr " peak_rss_mib | sort -n | tail -1)
      if [ -n "$v" ]; then echo "| $st | $pr | $v |"; fi
    done; done
    echo
    echo "Legacy nginx = master + worker. JVM heaps: edge, bridge, delivery \`$JAVA_OPTS\`; Kafka broker \`-Xmx256m\`."
    echo
  fi
  if grep -q '^RESULT drain ' "$RES"; then
    echo "### Drain of a $BACKLOG-event backlog to an instant upstream"
    echo
    echo "| stack | drain s | events/s | how |"
    echo "|---|---|---|---|"
    echo "| legacy | $(get drain stack=legacy drain_s) | $(get drain stack=legacy events_s) | \`bench-consumer.sh -n $BACKLOG -m return\`: list prefilled, timed from the consumer's start until the list is empty |"
    echo "| Spillway | $(get drain stack=spillway drain_s) | $(get drain stack=spillway events_s) | $BACKLOG envelopes sent through the edge with bridge and delivery stopped (backlog in the Redis stream); timed from starting bridge + delivery (both ready after $(get drain stack=spillway ready_after_s) s; $(get drain stack=spillway events_s_after_ready) events/s from then on) until the sink counted $BACKLOG |"
    echo
    echo "### Redis bytes per buffered event (used_memory growth / $BACKLOG)"
    echo
    echo "| legacy list | Spillway stream |"
    echo "|---|---|"
    echo "| $(get redis_bytes stack=legacy bytes_per_event) | $(get redis_bytes stack=spillway bytes_per_event) |"
    echo
  fi
  echo "Raw lines: the \`RESULT\` lines printed by the run. A shared 2-core machine is noisy: compare only the columns of one run."
} > "$OUTMD"
log "wrote $OUTMD"
exit
}
