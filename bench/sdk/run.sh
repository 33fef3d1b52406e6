#!/usr/bin/env bash
# The highest steady rate at which ONE sentry-java 8.63.0 process with default settings reports events without
# dropping any: (a) through the Spillway edge, (b) straight to an upstream 100 ms away (issue 6).
# Usage: bench/sdk/run.sh [-t SECONDS=15] [-b BISECT_STEPS=4] [-e EDGE_START_RATE=50] [-r DIRECT_START_RATE=2] [-o FILE]
#   -t  seconds of load per step; -b  bisection steps after the first failing rate (rates double until then)
#   -e/-r  first rate (events/s) tried against the edge / the 100 ms upstream
#   -o  also write a Markdown fragment for bench/report.sh to FILE
# Default SDK settings: one sender thread, maxQueueSize 30, the SDK's HttpURLConnection transport, which sends
# `Connection: close` (a new TCP connection per envelope; seen in io.sentry.transport.HttpConnection 8.63.0).
# (a) starts a redis-server (AOF everysec, like the legacy Redis) and the edge JVM; no bridge or delivery: the edge
#     answers the SDK once the event is in Redis, so they do not change what the SDK sees. Arrived = XLEN growth.
# (b) the baseline's sink.sh in delay mode (0.1 s per request). Arrived = sink.sh count growth.
# The Java side is SdkRateBench (edge-ingest test classes). It stops everything it started (by PID).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
B="${SPILLWAY_BASELINE:-$(cd "$ROOT/../shared/baseline" 2>/dev/null && pwd || echo /work/shared/baseline)}"
[ -x "$B/sink.sh" ] || { echo "baseline not found at $B (set SPILLWAY_BASELINE)" >&2; exit 1; }
SECS=15; BISECT=4; EDGE_START=50; DIRECT_START=2; FRAG=""
while getopts "t:b:e:r:o:h" o; do case "$o" in
  t) SECS="$OPTARG";; b) BISECT="$OPTARG";; e) EDGE_START="$OPTARG";; r) DIRECT_START="$OPTARG";; o) FRAG="$OPTARG";;
  *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2;; esac; done

ST="${TMPDIR:-/tmp}/spillway-bench-sdk"
EDGE_PORT=19020; ADMIN_PORT=19120; RPORT=16393; SINK_PORT=18296; STREAM="spillway:sdkbench"
log() { echo "[bench-sdk] $*" >&2; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in $EDGE_PORT $ADMIN_PORT $RPORT $SINK_PORT; do port_busy "$p" && { log "port $p is in use: stop what runs there"; exit 1; }; done
rm -rf "$ST"; mkdir -p "$ST/redis"

export DEBIAN_FRONTEND=noninteractive
need=""; for p in redis-server redis-tools curl; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need="$need $p"; done
if [ -n "$need" ]; then
  log "apt-get install$need"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo -n"
  # shellcheck disable=SC2086
  $SUDO apt-get install -y --no-install-recommends $need >&2 || { $SUDO apt-get update >&2 && $SUDO apt-get install -y --no-install-recommends $need >&2; }
fi

# --- build: the edge runs on its runtime classpath (+ logback, INFO); the bench on the test classpath (sentry 8.63.0)
cd "$ROOT"
mvn -B -o -q -pl edge-ingest test-compile >"$ST/build.log" 2>&1 || { tail -30 "$ST/build.log" >&2; exit 1; }
mvn -B -o -q -pl edge-ingest dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile="$ST/cp.txt" >>"$ST/build.log" 2>&1
mvn -B -o -q -pl edge-ingest dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$ST/cp-test.txt" >>"$ST/build.log" 2>&1
LOGBACK=$(tr ':' '\n' < "$ST/cp-test.txt" | grep -E '/logback-(classic|core)-' | paste -sd: -)
EDGE_CP="$ROOT/edge-ingest/target/classes:$(cat "$ST/cp.txt"):$LOGBACK"
BENCH_CP="$ROOT/edge-ingest/target/test-classes:$ROOT/edge-ingest/target/classes:$(cat "$ST/cp-test.txt")"

PIDS_TO_STOP=(); SINK_UP=0
stop_pids() {
  for p in "${PIDS_TO_STOP[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS_TO_STOP[@]}"; do for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done; done
  PIDS_TO_STOP=()
}
cleanup() {
  stop_pids
  [ "$SINK_UP" = 1 ] && "$B/sink.sh" down -p "$SINK_PORT" -x >/dev/null 2>&1 || true
  rm -rf "$ST/redis"
}
trap cleanup EXIT

bench() { # LABEL DSN COUNT START
  java -Xmx256m -cp "$BENCH_CP" io.spillway.edge.bench.SdkRateBench --label "$1" --dsn "$2" --count "$3" \
    --start "$4" --seconds "$SECS" --bisect "$BISECT" | tee -a "$ST/steps.txt" >&2
}

# --- (a) through the edge: redis-server (AOF everysec) + edge JVM
redis-server --port $RPORT --bind 127.0.0.1 --dir "$ST/redis" --save "" --appendonly yes --appendfsync everysec \
  --daemonize no --logfile "$ST/redis/redis.log" & PIDS_TO_STOP+=("$!")
for _ in $(seq 1 100); do redis-cli -p $RPORT ping >/dev/null 2>&1 && break; sleep 0.1; done
cat > "$ST/spillway.yml" <<YML
edge: { listen: "127.0.0.1:$EDGE_PORT", admin: "127.0.0.1:$ADMIN_PORT", instance: "bench-sdk" }
redis: { uri: "redis://127.0.0.1:$RPORT", stream: "$STREAM" }
upstreams:
  bench:
    url: "http://127.0.0.1:$SINK_PORT"
    projects:
      p42: { id: 42, key: "PUBLICKEY", alias: "PUBLIC" }
YML
EDGE_OPTS="${EDGE_JAVA_OPTS:--Xms512m -Xmx512m -XX:+UseParallelGC}"
# shellcheck disable=SC2086
java $EDGE_OPTS -Dlogback.configurationFile="$ROOT/bench/logback.xml" -cp "$EDGE_CP" io.spillway.edge.EdgeServer --config "$ST/spillway.yml" >"$ST/edge.log" 2>&1 &
PIDS_TO_STOP=("$!" "${PIDS_TO_STOP[@]}")
for _ in $(seq 1 300); do curl -fsS "http://127.0.0.1:$ADMIN_PORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$ADMIN_PORT/readyz" >/dev/null || { tail -30 "$ST/edge.log" >&2; exit 1; }
LOAD_EDGE=$(cut -d' ' -f1-3 /proc/loadavg)
log "(a) sentry-java -> Spillway edge ($SECS s per step; load $LOAD_EDGE)"
bench edge "http://PUBLIC@127.0.0.1:$EDGE_PORT/42" "redis://127.0.0.1:$RPORT/$STREAM" "$EDGE_START"
stop_pids # the edge and its Redis must not share the cores with (b)

# --- (b) straight to an upstream 100 ms away
"$B/sink.sh" up -p "$SINK_PORT" -m delay -d 0.1 >&2; SINK_UP=1
LOAD_DIRECT=$(cut -d' ' -f1-3 /proc/loadavg)
log "(b) sentry-java -> upstream 100 ms away ($SECS s per step; load $LOAD_DIRECT)"
bench direct "http://PUBLICKEY@127.0.0.1:$SINK_PORT/42" "http://127.0.0.1:$SINK_PORT" "$DIRECT_START"

# --- summary
res() { grep "^RESULT target=$1 " "$ST/steps.txt" | grep -o "$2=[^ ]*" | cut -d= -f2; }
E=$(res edge max_steady_rate); D=$(res direct max_steady_rate)
RATIO=$(awk -v e="$E" -v d="$D" 'BEGIN{ if (d>0) printf "%.0f", e/d; else print "-" }')
CMD="bench/sdk/run.sh -t $SECS -b $BISECT -e $EDGE_START -r $DIRECT_START"
{
  echo "sentry-java 8.63.0, one process, default settings — $(date -u +%FT%TZ), $(nproc) cores, ${SECS}s per step"
  echo "through the Spillway edge: max_steady_rate=$E events/s (first failing $(res edge first_failing_rate)/s, sender at saturation $(res edge sender_rate_at_saturation)/s; load $LOAD_EDGE)"
  echo "direct to a 100 ms upstream: max_steady_rate=$D events/s (first failing $(res direct first_failing_rate)/s, sender at saturation $(res direct sender_rate_at_saturation)/s; load $LOAD_DIRECT)"
  echo "edge / direct = ${RATIO}x"
} | tee "$ST/summary.txt"

[ -n "$FRAG" ] || exit 0
mkdir -p "$(dirname "$FRAG")"
{
  echo "<!-- summary: | sentry-java 8.63.0 (1 process, default settings): highest steady rate without drops | direct to a 100 ms upstream: $D events/s | through the edge: $E events/s | ${RATIO}× |  -->"
  echo "**Command:** \`$CMD\` ($(date -u +%FT%TZ), $(nproc) cores)."
  echo
  echo "One JVM with sentry-java 8.63.0 and **default settings** (one sender thread, \`maxQueueSize\` 30, the"
  echo "SDK's \`HttpURLConnection\` transport, which sends \`Connection: close\`: a new TCP connection per event)"
  echo "calls \`Sentry.captureMessage\` (a unique tag each) at a fixed rate R for ${SECS} s, flushes, and counts"
  echo "what arrived. A rate passes when the SDK dropped nothing (its \"Submit cancelled\" = queue of 30 full),"
  echo "no request failed, every captured event arrived, and at most 5 events (or 2 % of those captured, if more)"
  echo "were still queued at the end of the window (so the queue is not slowly filling). R doubles from the start rate until a"
  echo "step fails, then bisects ${BISECT} times. Through the edge: edge JVM + redis-server (AOF everysec); no"
  echo "bridge or delivery, because the edge answers once the event is in Redis (arrived = \`XLEN\`). Direct:"
  echo "the baseline's \`sink.sh -m delay -d 0.1\` (arrived = \`sink.sh count\`)."
  echo
  echo "| target | highest steady rate, 0 drops | first failing rate | sender rate at saturation | load at start |"
  echo "|---|---|---|---|---|"
  echo "| direct to an upstream 100 ms away | **$D events/s** | $(res direct first_failing_rate)/s | $(res direct sender_rate_at_saturation)/s | $LOAD_DIRECT |"
  echo "| through the Spillway edge | **$E events/s** | $(res edge first_failing_rate)/s | $(res edge sender_rate_at_saturation)/s | $LOAD_EDGE |"
  echo
  echo "Through the edge / direct: **${RATIO}×**. Steps:"
  echo
  echo '```'
  grep '^step ' "$ST/steps.txt"
  echo '```'
} > "$FRAG"
log "fragment: $FRAG"
