#!/usr/bin/env bash
# Spillway edge vs the legacy nginx+Lua edge, side by side in one run, with the baseline's own load script
# (../shared/baseline/bench-edge.sh: wrk, 1 KiB gzip'd sentry-java 8 envelopes, 64 connections).
# Usage: bench/edge/run.sh [-n ROUNDS=3] [-d SECONDS=15] [-c CONNS=64] [-R RATE] [-k] [-o FILE]
#   -n  rounds; each round measures legacy then Spillway, keep-alive then Connection: close (medians reported)
#   -d  seconds per measurement (after bench-edge.sh's 3 s warm-up)
#   -R  also measure latency at this fixed rate (req/s) on both edges; default: half of Spillway's median
#       keep-alive throughput. Uses wrk2 (WRK2=/path/to/wrk2) if present, else `hey` with a per-worker rate limit
#       (no coordinated-omission correction: the figure is labelled "hey" in the output)
#   -F  also measure a second Spillway edge with every inbound filter on (filters: localhost, browser_extensions,
#       legacy_browsers, web_crawlers, releases, error_messages, environments; none matches the benchmark's event, so
#       each request is decoded, read and stored): rows "spillway-filters"
#   -S  also measure an edge with data scrubbing on (privacy: Sentry's default scrubbers and IP scrubbing, the issue-13
#       settings; the benchmark's event holds nothing to scrub, so each envelope is decoded and proven clean, not
#       rewritten): rows "spillway-privacy". In-JVM figures for events that do get rewritten: PrivacyBench (bench/README)
#   -k  keep the state dir (/tmp/spillway-bench-edge) afterwards
#   -o  also write the results as a Markdown fragment for bench/report.sh to FILE
# What it does: installs what is missing (the baseline's Debian packages, plus hey), builds the edge
# (mvn -pl edge-ingest -am package: a reactor build, nothing installed into ~/.m2), starts a redis-server for Spillway (AOF everysec, like the
# legacy Redis) and the edge JVM, runs the rounds, stops everything it started (by PID), prints a Markdown table.
# Both edges run "alone": the legacy list is trimmed by bench-edge.sh -T, Spillway's stream by XTRIM every 100 ms
# (as if a consumer kept up for free). The machine is small and shared: figures are noisy, compare only within a run.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
B="${SPILLWAY_BASELINE:-$ROOT/../shared/baseline}"
[ -x "$B/bench-edge.sh" ] || { echo "baseline not found at $B (set SPILLWAY_BASELINE)" >&2; exit 1; }
ROUNDS=3; DUR=15; CONNS=64; RATE=""; KEEP=0; FRAG=""; FILTERS=0; PRIVACY=0; CMD="bench/edge/run.sh $*"
while getopts "n:d:c:R:FSko:h" o; do case "$o" in
  n) ROUNDS="$OPTARG";; d) DUR="$OPTARG";; c) CONNS="$OPTARG";; R) RATE="$OPTARG";; F) FILTERS=1;; S) PRIVACY=1;; k) KEEP=1;;
  o) FRAG="$OPTARG";;
  *) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 2;; esac; done

ST=/tmp/spillway-bench-edge
EDGE_PORT=19000; ADMIN_PORT=19100; RPORT=16390; EDGE2_PORT=19001; ADMIN2_PORT=19102; EDGE3_PORT=19003; ADMIN3_PORT=19103
STREAM="spillway:bench"
log() { echo "[bench-edge] $*" >&2; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in $EDGE_PORT $ADMIN_PORT $RPORT 18080 $( [ "$FILTERS" = 1 ] && echo "$EDGE2_PORT $ADMIN2_PORT" ) \
    $( [ "$PRIVACY" = 1 ] && echo "$EDGE3_PORT $ADMIN3_PORT" ); do port_busy "$p" && { log "port $p is in use: stop what runs there"; exit 1; }; done
rm -rf "$ST"; mkdir -p "$ST"

# --- packages (the baseline scripts install theirs; we add hey for the fixed-rate latency if wrk2 is missing)
export DEBIAN_FRONTEND=noninteractive
need=""; for p in redis-server redis-tools wrk hey curl; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need="$need $p"; done
if [ -n "$need" ]; then
  log "apt-get install$need"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo -n"
  # shellcheck disable=SC2086
  $SUDO apt-get install -y --no-install-recommends $need >&2 || { $SUDO apt-get update >&2 && $SUDO apt-get install -y --no-install-recommends $need >&2; }
fi

# --- build the edge and get its runtime classpath (+ logback for its logs; nothing from the test scope)
cd "$ROOT"
# One reactor build (the edge and the modules it needs, e.g. schemas and rules): their jars come from target/,
# nothing is installed into ~/.m2 (a shared repository must not get this checkout's snapshots).
build_cp() { # SCOPE OUTFILE [-o]
  mvn -q $3 -pl edge-ingest -am package dependency:build-classpath -DskipTests -DincludeScope="$1" -Dmdep.outputFile="$2"
}
if ! build_cp runtime "$ST/cp.txt" -o >"$ST/build.log" 2>&1; then
  build_cp runtime "$ST/cp.txt" >>"$ST/build.log" 2>&1 || { tail -30 "$ST/build.log" >&2; exit 1; }
fi
build_cp test "$ST/cp-test.txt" -o >>"$ST/build.log" 2>&1 || build_cp test "$ST/cp-test.txt" >>"$ST/build.log" 2>&1
LOGBACK=$(tr ':' '\n' < "$ST/cp-test.txt" | grep -E '/logback-(classic|core)-' | paste -sd: -)
CP="$ROOT/edge-ingest/target/classes:$(cat "$ST/cp.txt"):$LOGBACK"

PIDS_TO_STOP=()
cleanup() {
  for p in "${PIDS_TO_STOP[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS_TO_STOP[@]}"; do for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done; done
  "$B/down.sh" -x >/dev/null 2>&1 || true
  [ "$KEEP" = 1 ] || rm -rf "$ST/redis"
}
trap cleanup EXIT

# --- Spillway's Redis and edge
mkdir -p "$ST/redis"
redis-server --port $RPORT --bind 127.0.0.1 --dir "$ST/redis" --save "" --appendonly yes --appendfsync everysec \
  --daemonize no --logfile "$ST/redis/redis.log" & RPID=$!; PIDS_TO_STOP+=("$RPID")
for _ in $(seq 1 100); do redis-cli -p $RPORT ping >/dev/null 2>&1 && break; sleep 0.1; done
cat > "$ST/spillway.yml" <<YML
edge: { listen: "127.0.0.1:$EDGE_PORT", admin: "127.0.0.1:$ADMIN_PORT", instance: "bench-edge" }
redis: { uri: "redis://127.0.0.1:$RPORT", stream: "$STREAM", max_buffer_bytes: 8GiB, request_queue_size: 100000 }
upstreams:
  bench:
    url: "http://127.0.0.1:18200"
    projects:
      p42: { id: 42, key: "PUBLICKEY", alias: "PUBLIC" }
YML
# The edge as `bin/spillway edge` starts it: the JVM options of bin/jvm/edge.options (EDGE_JAVA_OPTS overrides them).
JAVA_OPTS="${EDGE_JAVA_OPTS:-$(grep -v '^#' "$ROOT/bin/jvm/edge.options" | tr '\n' ' ' | sed 's/  */ /g; s/ $//')}"
# shellcheck disable=SC2086
java $JAVA_OPTS -Dlogback.configurationFile="$ROOT/bench/logback.xml" -cp "$CP" io.spillway.edge.EdgeServer --config "$ST/spillway.yml" >"$ST/edge.log" 2>&1 & EPID=$!
PIDS_TO_STOP=("$EPID" "${PIDS_TO_STOP[@]}")
for _ in $(seq 1 300); do curl -fsS "http://127.0.0.1:$ADMIN_PORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$ADMIN_PORT/readyz" >/dev/null || { tail -30 "$ST/edge.log" >&2; exit 1; }
EPID2=""
if [ "$FILTERS" = 1 ]; then
  # The same edge with every inbound filter on; none matches the benchmark's event (release shop@1.4.2, environment
  # production, message "Payment declined…", no user agent or URL in the event), so every request is decoded, read
  # and stored like on the plain edge: the difference is the filters' cost.
  sed -e "s/127.0.0.1:$EDGE_PORT/127.0.0.1:$EDGE2_PORT/" -e "s/127.0.0.1:$ADMIN_PORT/127.0.0.1:$ADMIN2_PORT/" \
    -e 's/instance: "bench-edge"/instance: "bench-edge-filters"/' "$ST/spillway.yml" > "$ST/spillway-filters.yml"
  cat >> "$ST/spillway-filters.yml" <<YML
filters:
  localhost: true
  browser_extensions: true
  legacy_browsers: true
  web_crawlers: true
  releases: ["*-rc*", "0.*"]
  error_messages: ["*ChunkLoadError*", "*ResizeObserver loop*"]
  environments: [staging, dev]
YML
  # shellcheck disable=SC2086
  java $JAVA_OPTS -Dlogback.configurationFile="$ROOT/bench/logback.xml" -cp "$CP" io.spillway.edge.EdgeServer \
    --config "$ST/spillway-filters.yml" >"$ST/edge-filters.log" 2>&1 & EPID2=$!
  PIDS_TO_STOP=("$EPID2" "${PIDS_TO_STOP[@]}")
  for _ in $(seq 1 300); do curl -fsS "http://127.0.0.1:$ADMIN2_PORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  curl -fsS "http://127.0.0.1:$ADMIN2_PORT/readyz" >/dev/null || { tail -30 "$ST/edge-filters.log" >&2; exit 1; }
fi
EPID3=""
if [ "$PRIVACY" = 1 ]; then
  # The same edge with data scrubbing on (issue 13's settings). The benchmark's event holds nothing to scrub: each
  # envelope is decoded and its event proven clean (the byte-level fast path), then stored as received.
  sed -e "s/127.0.0.1:$EDGE_PORT/127.0.0.1:$EDGE3_PORT/" -e "s/127.0.0.1:$ADMIN_PORT/127.0.0.1:$ADMIN3_PORT/" \
    -e 's/instance: "bench-edge"/instance: "bench-edge-privacy"/' "$ST/spillway.yml" > "$ST/spillway-privacy.yml"
  cat >> "$ST/spillway-privacy.yml" <<YML
privacy:
  scrub_data: true
  scrub_defaults: true
  scrub_ip_addresses: true
YML
  # shellcheck disable=SC2086
  java $JAVA_OPTS -Dlogback.configurationFile="$ROOT/bench/logback.xml" -cp "$CP" io.spillway.edge.EdgeServer \
    --config "$ST/spillway-privacy.yml" >"$ST/edge-privacy.log" 2>&1 & EPID3=$!
  PIDS_TO_STOP=("$EPID3" "${PIDS_TO_STOP[@]}")
  for _ in $(seq 1 300); do curl -fsS "http://127.0.0.1:$ADMIN3_PORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  curl -fsS "http://127.0.0.1:$ADMIN3_PORT/readyz" >/dev/null || { tail -30 "$ST/edge-privacy.log" >&2; exit 1; }
fi
log "edge pid=$EPID ${EPID2:+filters edge pid=$EPID2 }${EPID3:+privacy edge pid=$EPID3 }redis pid=$RPID; legacy: $B/up.sh -N"
"$B/up.sh" -N >"$ST/legacy-up.txt" 2>&1 || { cat "$ST/legacy-up.txt" >&2; exit 1; }

TRIMPID=""
trim_on() { redis-cli -p $RPORT -r -1 -i 0.1 xtrim "$STREAM" MAXLEN '~' 5000 >/dev/null 2>&1 </dev/null & TRIMPID=$!; }
trim_off() { [ -n "$TRIMPID" ] && { kill "$TRIMPID" 2>/dev/null || true; wait "$TRIMPID" 2>/dev/null || true; TRIMPID=""; }; redis-cli -p $RPORT del "$STREAM" >/dev/null; }

RES="$ST/results.txt"; : > "$RES"
# A JVM needs its JIT warm (nginx does not): 20 s of unrecorded load first, on both connection patterns.
log "warming up the edge JVM (20 s, not recorded)"
redis-cli -p $RPORT -r -1 -i 0.1 xtrim "$STREAM" MAXLEN '~' 5000 >/dev/null 2>&1 </dev/null & WPID=$!
wrk -t1 -c"$CONNS" -d10s -s "$B/wrk/sentry.lua" "http://127.0.0.1:$EDGE_PORT" -- envelope >"$ST/warmup.txt" 2>&1 || true
wrk -t1 -c"$CONNS" -d10s -s "$B/wrk/sentry.lua" "http://127.0.0.1:$EDGE_PORT" -- envelope-close >>"$ST/warmup.txt" 2>&1 || true
if [ "$FILTERS" = 1 ]; then
  wrk -t1 -c"$CONNS" -d10s -s "$B/wrk/sentry.lua" "http://127.0.0.1:$EDGE2_PORT" -- envelope >>"$ST/warmup.txt" 2>&1 || true
  wrk -t1 -c"$CONNS" -d10s -s "$B/wrk/sentry.lua" "http://127.0.0.1:$EDGE2_PORT" -- envelope-close >>"$ST/warmup.txt" 2>&1 || true
fi
if [ "$PRIVACY" = 1 ]; then
  wrk -t1 -c"$CONNS" -d10s -s "$B/wrk/sentry.lua" "http://127.0.0.1:$EDGE3_PORT" -- envelope >>"$ST/warmup.txt" 2>&1 || true
  wrk -t1 -c"$CONNS" -d10s -s "$B/wrk/sentry.lua" "http://127.0.0.1:$EDGE3_PORT" -- envelope-close >>"$ST/warmup.txt" 2>&1 || true
fi
kill "$WPID" 2>/dev/null || true; wait "$WPID" 2>/dev/null || true; redis-cli -p $RPORT del "$STREAM" >/dev/null
measure() { # NAME VARIANT ARGS...
  local name=$1 variant=$2; shift 2
  local out; out=$("$B/bench-edge.sh" -d "$DUR" -c "$CONNS" -k "$variant" "$@" 2>>"$ST/bench.log")
  echo "$out" >> "$ST/bench-full.txt"
  local last; last=$(echo "$out" | tail -1)
  local errs; errs=$(echo "$out" | grep -o 'http_errors=[0-9]* socket_errors=[0-9]*' | head -1)
  local cpu; cpu=$(echo "$out" | grep '^cpu_pct' | sed 's/^cpu_pct (100 = one core): //')
  echo "$name $variant $last $errs cpu: $cpu" | tee -a "$RES" >&2
}
for r in $(seq 1 "$ROUNDS"); do
  log "round $r/$ROUNDS"
  measure legacy envelope -T
  trim_on; measure spillway envelope -u "http://127.0.0.1:$EDGE_PORT" -P "$EPID,$RPID"; trim_off
  [ "$FILTERS" = 1 ] && { trim_on; measure spillway-filters envelope -u "http://127.0.0.1:$EDGE2_PORT" -P "$EPID2,$RPID"; trim_off; }
  [ "$PRIVACY" = 1 ] && { trim_on; measure spillway-privacy envelope -u "http://127.0.0.1:$EDGE3_PORT" -P "$EPID3,$RPID"; trim_off; }
  measure legacy envelope-close -T
  trim_on; measure spillway envelope-close -u "http://127.0.0.1:$EDGE_PORT" -P "$EPID,$RPID"; trim_off
  [ "$FILTERS" = 1 ] && { trim_on; measure spillway-filters envelope-close -u "http://127.0.0.1:$EDGE2_PORT" -P "$EPID2,$RPID"; trim_off; }
  [ "$PRIVACY" = 1 ] && { trim_on; measure spillway-privacy envelope-close -u "http://127.0.0.1:$EDGE3_PORT" -P "$EPID3,$RPID"; trim_off; }
done
EDGES="legacy spillway"; [ "$FILTERS" = 1 ] && EDGES="$EDGES spillway-filters"; [ "$PRIVACY" = 1 ] && EDGES="$EDGES spillway-privacy"
if [ "$FILTERS" = 1 ]; then
  curl -fsS "http://127.0.0.1:$ADMIN2_PORT/metrics" | grep -E '^(spillway_edge_filtered_total|spillway_edge_accepted_total)' > "$ST/filters-metrics.txt" || true
fi
if [ "$PRIVACY" = 1 ]; then
  curl -fsS "http://127.0.0.1:$ADMIN3_PORT/metrics" | grep -E '^(spillway_edge_scrubbed_total|spillway_edge_accepted_total|spillway_edge_rejected_total)' > "$ST/privacy-metrics.txt" || true
fi

median() { sort -n | awk '{a[NR]=$1} END{ if (NR==0) {print "-"} else if (NR%2) {print a[(NR+1)/2]} else {printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2} }'; }
field() { grep "^$1 $2 " "$RES" | grep -o "$3=[0-9.]*" | cut -d= -f2; }
SPW_RPS=$(field spillway envelope req/s | median)
[ -n "$RATE" ] || RATE=$(awk -v r="$SPW_RPS" 'BEGIN{printf "%d", r/2}')

# --- latency at a fixed rate (half of Spillway's keep-alive maximum), both edges
LAT="$ST/latency.txt"; : > "$LAT"
fixed_rate() { # NAME URL
  local name=$1 url=$2
  if command -v "${WRK2:-wrk2}" >/dev/null 2>&1; then
    local out; out=$(WRK2="${WRK2:-wrk2}" "$B/bench-edge.sh" -u "$url" -d "$DUR" -c 32 -R "$RATE" ${3:-} 2>>"$ST/bench.log" | tail -1)
    echo "$name wrk2 rate=$RATE $out" | tee -a "$LAT" >&2
  else
    local per=$(( (RATE + 31) / 32 ))
    hey -z "${DUR}s" -c 32 -q "$per" -m POST -T application/x-sentry-envelope \
      -H "Content-Encoding: gzip" -H "User-Agent: sentry.java/8.63.0" \
      -H "X-Sentry-Auth: Sentry sentry_version=7,sentry_client=sentry.java/8.63.0,sentry_key=PUBLICKEY" \
      -D "$B/wrk/body-envelope.gz" "$url/api/42/envelope/" > "$ST/hey-$name.txt" 2>&1 || true
    local rps p50 p99 codes
    rps=$(awk '/Requests\/sec/{printf "%.0f", $2}' "$ST/hey-$name.txt")
    p50=$(awk '/ 50% in /{printf "%.2f", $3*1000}' "$ST/hey-$name.txt")
    p99=$(awk '/ 99% in /{printf "%.2f", $3*1000}' "$ST/hey-$name.txt")
    codes=$(awk '/Status code distribution/{f=1;next} f&&/\[/{printf "%s%s", sep, $1$2; sep=","} f&&!/\[/{f=0}' "$ST/hey-$name.txt")
    echo "$name hey rate=$RATE req/s=$rps p50_ms=$p50 p99_ms=$p99 codes=$codes" | tee -a "$LAT" >&2
  fi
}
LTRIM=""
if command -v "${WRK2:-wrk2}" >/dev/null 2>&1; then fixed_rate legacy "http://127.0.0.1:18080" -T; else
  # hey does not know the legacy edge: keep its list at 5,000 records ourselves, as bench-edge.sh -T does
  redis-cli -p 16380 -r -1 -i 0.1 ltrim sentry:queue 0 4999 >/dev/null 2>&1 </dev/null & LTRIM=$!
  fixed_rate legacy "http://127.0.0.1:18080"
  kill "$LTRIM" 2>/dev/null || true; wait "$LTRIM" 2>/dev/null || true
  redis-cli -p 16380 unlink sentry:queue >/dev/null 2>&1 || true
fi
trim_on; fixed_rate spillway "http://127.0.0.1:$EDGE_PORT"; trim_off

# --- summary
echo
echo "Spillway edge vs legacy nginx+Lua edge — $(date -u +%FT%TZ), $(nproc) cores, rounds=$ROUNDS, ${DUR}s each, wrk -t1 -c$CONNS, 1 KiB gzip envelopes"
echo
echo "| variant | edge | req/s (median) | p50 ms | p99 ms | runs (req/s) |"
echo "|---|---|---|---|---|---|"
for v in envelope envelope-close; do for e in $EDGES; do
  runs=$(field "$e" "$v" req/s | tr '\n' ' ')
  echo "| $v | $e | $(field "$e" "$v" req/s | median) | $(field "$e" "$v" p50_ms | median) | $(field "$e" "$v" p99_ms | median) | $runs|"
done; done
echo
for v in envelope envelope-close; do
  l=$(field legacy "$v" req/s | median); s=$(field spillway "$v" req/s | median)
  awk -v v="$v" -v l="$l" -v s="$s" 'BEGIN{ if (l>0) printf "%s: spillway/legacy = %.2fx\n", v, s/l }'
  if [ "$FILTERS" = 1 ]; then
    f=$(field spillway-filters "$v" req/s | median)
    awk -v v="$v" -v l="$l" -v s="$s" -v f="$f" 'BEGIN{ if (l>0 && s>0) printf "%s: spillway with filters/legacy = %.2fx, filters on/off = %.2f\n", v, f/l, f/s }'
  fi
  if [ "$PRIVACY" = 1 ]; then
    q=$(field spillway-privacy "$v" req/s | median)
    awk -v v="$v" -v l="$l" -v s="$s" -v q="$q" 'BEGIN{ if (l>0 && s>0) printf "%s: spillway with scrubbing/legacy = %.2fx (target >= 1.5x), scrubbing on/off = %.2f\n", v, q/l, q/s }'
  fi
done
echo
echo "Latency at a fixed rate of $RATE req/s (half of Spillway's median keep-alive maximum), 32 connections:"
sed 's/^/  /' "$LAT"
echo
echo "Raw lines: $RES; wrk output: $ST/bench-full.txt; edge log: $ST/edge.log"

# --- Markdown fragment for bench/report.sh (the same figures as above)
[ -n "$FRAG" ] || exit 0
mkdir -p "$(dirname "$FRAG")"
ratio() { awk -v l="$1" -v s="$2" 'BEGIN{ if (l>0) printf "%.2f×", s/l; else print "-" }'; }
lat() { grep "^$1 " "$LAT" | grep -o "$2=[0-9.]*" | head -1 | cut -d= -f2; }
TOOL=hey; command -v "${WRK2:-wrk2}" >/dev/null 2>&1 && TOOL="wrk2 (CO-corrected)"
{
  for v in envelope envelope-close; do
    l=$(field legacy "$v" req/s | median); s=$(field spillway "$v" req/s | median)
    name="edge req/s, keep-alive (p50/p99 ms)"; [ "$v" = envelope-close ] && name="edge req/s, Connection: close (p50/p99 ms)"
    echo "<!-- summary: | $name | $l ($(field legacy "$v" p50_ms | median)/$(field legacy "$v" p99_ms | median)) | $s ($(field spillway "$v" p50_ms | median)/$(field spillway "$v" p99_ms | median)) | $(ratio "$l" "$s") | -->"
    if [ "$FILTERS" = 1 ]; then
      f=$(field spillway-filters "$v" req/s | median)
      echo "<!-- summary: | ${name/edge req\/s/edge req\/s with every inbound filter on} | $l | $f ($(field spillway-filters "$v" p50_ms | median)/$(field spillway-filters "$v" p99_ms | median)) | $(ratio "$l" "$f") | -->"
    fi
    if [ "$PRIVACY" = 1 ]; then
      q=$(field spillway-privacy "$v" req/s | median)
      echo "<!-- summary: | ${name/edge req\/s/edge req\/s with data scrubbing on} | $l | $q ($(field spillway-privacy "$v" p50_ms | median)/$(field spillway-privacy "$v" p99_ms | median)) | $(ratio "$l" "$q") | -->"
    fi
  done
  echo "<!-- summary: | edge latency at a fixed $RATE req/s, p50/p99 ms ($TOOL) | $(lat legacy p50_ms)/$(lat legacy p99_ms) ($(lat legacy req/s) req/s reached) | $(lat spillway p50_ms)/$(lat spillway p99_ms) ($(lat spillway req/s) req/s reached) | | -->"
  echo "**Command:** \`$CMD\` ($(date -u +%FT%TZ), $(nproc) cores)."
  echo
  echo "Both edges side by side in one run, alternating, with the baseline's \`bench-edge.sh\` (wrk \`-t1 -c$CONNS\`,"
  echo "${DUR} s per measurement after its 3 s warm-up, 1 KiB gzip'd sentry-java 8 envelope); $ROUNDS rounds, medians."
  echo "Spillway = edge JVM as \`bin/spillway edge\` starts it (\`${JAVA_OPTS}\`, from bin/jvm/edge.options; warmed up 20 s unrecorded) + its redis-server (AOF everysec);"
  echo "legacy = nginx+Lua + its redis-server. Both run \"alone\": the legacy list is trimmed (\`-T\`), Spillway's"
  echo "stream by \`XTRIM MAXLEN ~ 5000\` every 100 ms."
  echo
  echo "| variant | edge | req/s (median) | p50 ms | p99 ms | runs (req/s) |"
  echo "|---|---|---|---|---|---|"
  for v in envelope envelope-close; do for e in $EDGES; do
    echo "| $v | $e | $(field "$e" "$v" req/s | median) | $(field "$e" "$v" p50_ms | median) | $(field "$e" "$v" p99_ms | median) | $(field "$e" "$v" req/s | tr '\n' ' ')|"
  done; done
  echo
  for v in envelope envelope-close; do
    echo "- $v: Spillway / legacy = **$(ratio "$(field legacy "$v" req/s | median)" "$(field spillway "$v" req/s | median)")**"
    if [ "$PRIVACY" = 1 ]; then
      echo "- $v: Spillway with data scrubbing on / legacy = **$(ratio "$(field legacy "$v" req/s | median)" "$(field spillway-privacy "$v" req/s | median)")** (issue 13's target: at least 1.50×); on / off = $(ratio "$(field spillway "$v" req/s | median)" "$(field spillway-privacy "$v" req/s | median)")"
    fi
  done
  if [ "$PRIVACY" = 1 ] && [ -s "$ST/privacy-metrics.txt" ]; then
    echo
    echo "The scrubbing edge's counters at the end (the benchmark's event needs no change: nothing is scrubbed, nothing refused):"
    echo
    echo '```'
    cat "$ST/privacy-metrics.txt"
    echo '```'
  fi
  echo
  echo "Latency at a fixed rate of $RATE req/s (half of Spillway's median keep-alive maximum), 32 connections, $TOOL:"
  echo
  echo '```'
  cat "$LAT"
  echo '```'
  echo
  echo "Errors and CPU per measurement (\`bench-edge.sh -P\`):"
  echo
  echo '```'
  cat "$RES"
  echo '```'
} > "$FRAG"
log "fragment: $FRAG"
