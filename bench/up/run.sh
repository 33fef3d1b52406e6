#!/usr/bin/env bash
# `spillway up` as a user runs it, and what it costs in memory:
#   bench/up/run.sh [-r RATE=1000] [-d LOAD_S=120] [-i IDLE_S=30] [-s SPILLWAY=bin/spillway] [-L LARGE_MIB=100] [-o FRAGMENT.md]
# Starts `bin/spillway up` (its defaults: the inspector upstream, fixed ports 9000, 9100-9102, 9190, 9200, 16379,
# 19092-19093; the data in a temp dir), then:
#   1. idle for IDLE_S: RSS of every process of the stack (the up JVM: edge, bridge, delivery, inspector; its
#      redis-server; its Kafka broker JVM), sampled every 5 s, and the sum;
#   2. one crash report of LARGE_MIB (an envelope with an incompressible attachment, just under the edge's limit):
#      the edge must answer 200 and the inspector must receive it;
#   3. RATE events/s (hey, the baseline's 1 KiB gzip'd envelope, key `demo`) for LOAD_S: the same RSS samples.
#      The sample config's inspector takes 100 events/s (its rate_limit), so the rest waits in delivery's store,
#      as an upstream that cannot keep up would make it.
# -s: another checkout's bin/spillway (built), for a before/after in one run (bench/delivery/cold.sh shows how).
# Lines starting with RESULT are machine-readable.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
B="${SPILLWAY_BASELINE:-$(cd "$ROOT/../shared/baseline" 2>/dev/null && pwd || echo /work/shared/baseline)}"
RATE=1000; LOAD=120; IDLE=30; SPW="$ROOT/bin/spillway"; LARGE=100; FRAG=""
while getopts "r:d:i:s:L:o:h" o; do case "$o" in
  r) RATE="$OPTARG";; d) LOAD="$OPTARG";; i) IDLE="$OPTARG";; s) SPW="$(cd "$(dirname "$OPTARG")" && pwd)/$(basename "$OPTARG")";;
  L) LARGE="$OPTARG";; o) FRAG="$OPTARG";;
  *) sed -n '2,16p' "$0"; exit 2;; esac; done
for p in 9000 9100 9101 9102 9190 9200 16379 19092 19093; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "port $p is in use: stop what runs there (another spillway up?)" >&2; exit 1; fi
done
OUT="${TMPDIR:-/tmp}/spillway-bench-up"; rm -rf "$OUT"; mkdir -p "$OUT"
DATA="$OUT/data"; UP_PID=""
cleanup() {
  [ -n "$UP_PID" ] || return 0
  kill -TERM "$UP_PID" 2>/dev/null || true
  for _ in $(seq 1 600); do kill -0 "$UP_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$UP_PID" 2>/dev/null || true
}
trap cleanup EXIT
result() { echo "RESULT $*" | tee -a "$OUT/results.txt"; }
rss() { awk '/^VmRSS:/{printf "%.0f", $2/1024}' "/proc/$1/status" 2>/dev/null || echo 0; }
# The stack's processes: the up JVM and its children (redis-server, the broker JVM).
procs() { echo "up:$UP_PID"; for c in $(ps -o pid= --ppid "$UP_PID"); do echo "$(ps -o comm= -p "$c" | tr -d ' '):$c"; done; }
sample() { # PHASE: one line per process and the total
  local total=0 line name pid r
  line=""
  for e in $(procs); do name=${e%%:*}; pid=${e##*:}; r=$(rss "$pid"); total=$((total + r)); line="$line $name=$r"; done
  result "rss phase=$1 total_mib=$total$line load=$(cut -d' ' -f1 /proc/loadavg)"
}

echo "# $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); rate=$RATE load_s=$LOAD idle_s=$IDLE spillway=$SPW"
"$SPW" --version > /dev/null   # builds if needed, outside the measurement
"$SPW" up --data-dir "$DATA" > "$OUT/up.out" 2> "$OUT/up.err" &
UP_PID=$!
for _ in $(seq 1 1800); do grep -q 'Spillway is up' "$OUT/up.out" 2>/dev/null && break; kill -0 "$UP_PID" 2>/dev/null || break; sleep 0.1; done
grep -q 'Spillway is up' "$OUT/up.out" || { tail -30 "$OUT/up.err" >&2; echo "up did not start" >&2; exit 1; }
UP_PID=$(pgrep -f -n "io.spillway.launcher.Spillway up --data-dir $DATA" || echo "$UP_PID")   # the JVM bin/spillway exec'd
echo "up running (pid $UP_PID): $(procs | tr '\n' ' ')"

end=$((SECONDS + IDLE)); while [ $SECONDS -lt $end ]; do sleep 5; sample idle; done

count() { curl -fsS http://127.0.0.1:9190/ | grep -o 'Inspector: [0-9]* received' | grep -o '[0-9]*' || echo 0; }
if [ "$LARGE" -gt 0 ]; then
  before=$(count)
  python3 - "$OUT/large.env" "$LARGE" <<'PY'
import os, sys
n = int(sys.argv[2]) * 1024 * 1024 - 4096
eid = "c0ffee00c0ffee00c0ffee00c0ffee00"
event = '{"event_id":"%s","message":"bench/up crash report"}' % eid
head = ('{"event_id":"%s"}\n{"type":"event","length":%d}\n%s\n{"type":"attachment","length":%d,"filename":"crash.dmp","attachment_type":"event.minidump"}\n'
        % (eid, len(event), event, n - 512)).encode()
with open(sys.argv[1], "wb") as f:
    f.write(head); f.write(os.urandom(n - 512)); f.write(b"\n")
PY
  t0=$(date +%s.%N)
  code=$(curl -s -o "$OUT/large.answer" -w '%{http_code}' -X POST --data-binary "@$OUT/large.env" -H 'Content-Type: application/x-sentry-envelope' \
    'http://127.0.0.1:9000/api/1/envelope/?sentry_key=demo&sentry_version=7')
  got=no
  for _ in $(seq 1 300); do [ "$(count)" -gt "$before" ] && { got=yes; break; }; sleep 1; done
  result "large mib=$LARGE edge_status=$code inspector_received=$got seconds=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')"
  sample after-large
  rm -f "$OUT/large.env"
fi

c=10; q=$(( (RATE + c - 1) / c ))
hey -z "${LOAD}s" -c "$c" -q "$q" -m POST -T application/x-sentry-envelope -H "Content-Encoding: gzip" \
  -H "X-Sentry-Auth: Sentry sentry_version=7,sentry_client=sentry.java/8.63.0,sentry_key=demo" \
  -D "$B/wrk/body-envelope.gz" "http://127.0.0.1:9000/api/1/envelope/" > "$OUT/hey.txt" 2>&1 &
HEY=$!
while kill -0 "$HEY" 2>/dev/null; do sleep 5; sample "load-$RATE"; done
wait "$HEY" || true
result "load rate=$RATE seconds=$LOAD requests_s=$(grep -o 'Requests/sec:[^0-9]*[0-9.]*' "$OUT/hey.txt" | grep -o '[0-9.]*$') codes=\"$(grep -A3 'Status code distribution' "$OUT/hey.txt" | grep -o '\[[0-9]*\][^[]*responses' | tr -s ' ' | paste -sd, -)\""
for e in $(procs); do result "peak name=${e%%:*} vmhwm_mib=$(awk '/^VmHWM:/{printf "%.0f", $2/1024}' "/proc/${e##*:}/status")"; done

FRAG="${FRAG:-${BENCH_FRAGMENT:-}}"
[ -n "$FRAG" ] || exit 0
mkdir -p "$(dirname "$FRAG")"
mx() { grep "^RESULT rss phase=$1" "$OUT/results.txt" | grep -o 'total_mib=[0-9]*' | cut -d= -f2 | sort -n | tail -1; }
{
  echo "**Command:** \`bench/up/run.sh -r $RATE -d $LOAD -i $IDLE -L $LARGE$( [ "$SPW" = "$ROOT/bin/spillway" ] || echo " -s $SPW")\` ($(date -u +%FT%TZ), $(nproc) cores)."
  echo
  echo "\`spillway up\` with its sample config (inspector upstream at 100 events/s): RSS of the up JVM (edge, bridge, delivery,"
  echo "inspector), its redis-server and its Kafka broker JVM, sampled every 5 s; the highest total per phase."
  echo
  echo "| phase | highest total RSS MiB |"
  echo "|---|---:|"
  echo "| idle ($IDLE s) | $(mx idle) |"
  echo "| $RATE events/s ($LOAD s) | $(mx "load-$RATE") |"
  echo
  echo '```'
  cat "$OUT/results.txt"
  echo '```'
} > "$FRAG"
echo "fragment: $FRAG" >&2
