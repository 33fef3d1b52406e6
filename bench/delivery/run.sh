#!/usr/bin/env bash
# Delivery benchmark, side by side in one run with the legacy Python consumer (issue 4, acceptance 8).
#   bench/delivery/run.sh [-n EVENTS=100000] [-N DELAY_EVENTS=100000] [-w WINDOW_S=30] [-c MAX_IN_FLIGHT=256] [-o FRAGMENT.md]
# For each upstream kind — an instant one (nginx `return 200`) and one answering after 50 ms — it runs
#   1. the legacy consumer: ../shared/baseline/bench-consumer.sh (its own Redis + sink)
#   2. Spillway's delivery: a real KRaft broker with a backlog of the same 1 KiB gzip'd envelope, one
#      delivery instance (DeliveryBench) draining it to the baseline's sink.sh on its own port
# and prints both figures. Legacy and Spillway run one after the other, never at the same time.
# The machine is small and shared: figures move from run to run; compare only the two columns of one run.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
B="${SPILLWAY_BASELINE:-$(cd "$ROOT/../shared/baseline" 2>/dev/null && pwd || echo /work/shared/baseline)}"
N=100000; ND=100000; WINDOW=30; INFLIGHT=256
FRAG=""
while getopts "n:N:w:c:o:h" o; do case "$o" in
  n) N="$OPTARG";; N) ND="$OPTARG";; w) WINDOW="$OPTARG";; c) INFLIGHT="$OPTARG";; o) FRAG="$OPTARG";;
  *) sed -n '2,10p' "$0"; exit 2;; esac; done
SINK_FAST=18291; SINK_SLOW=18292; LEG_REDIS=16391; LEG_FAST=18293; LEG_SLOW=18294
OUT="${TMPDIR:-/tmp}/spillway-bench-delivery"; mkdir -p "$OUT"

cleanup() {
  "$B/sink.sh" down -p "$SINK_FAST" -x > /dev/null 2>&1 || true
  "$B/sink.sh" down -p "$SINK_SLOW" -x > /dev/null 2>&1 || true
}
trap cleanup EXIT

echo "# $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); events=$N delayed_events=$ND window_s=$WINDOW max_in_flight=$INFLIGHT"
(cd "$ROOT" && mvn -B -o -q -pl delivery test-compile \
  && mvn -B -o -q -pl delivery dependency:build-classpath -Dmdep.outputFile="$OUT/cp.txt" -Dmdep.includeScope=test) >&2
CP="$ROOT/delivery/target/test-classes:$ROOT/delivery/target/classes:$(cat "$OUT/cp.txt")"

echo "## legacy consumer, instant upstream"
"$B/bench-consumer.sh" -n "$N" -m return -r "$LEG_REDIS" -s "$LEG_FAST" | tail -2 | tee "$OUT/legacy-return.txt"
echo "## legacy consumer, 50 ms upstream (${WINDOW}s window)"
"$B/bench-consumer.sh" -n "$ND" -m delay -d 0.05 -w "$WINDOW" -r "$LEG_REDIS" -s "$LEG_SLOW" | tail -2 | tee "$OUT/legacy-delay.txt"

"$B/sink.sh" up -p "$SINK_FAST" -m return >&2
"$B/sink.sh" up -p "$SINK_SLOW" -m delay -d 0.05 >&2
echo "## spillway delivery (1 instance), instant upstream, then 50 ms upstream (${WINDOW}s window)"
java -Xmx1g -cp "$CP" io.spillway.delivery.DeliveryBench \
  --upstream "http://127.0.0.1:$SINK_FAST" --label "mode=return" --events "$N" --max-in-flight "$INFLIGHT" \
  --upstream "http://127.0.0.1:$SINK_SLOW" --label "mode=delay(50ms)" --events "$ND" --window-s "$WINDOW" --max-in-flight "$INFLIGHT" \
  2> "$OUT/spillway.log" | tee "$OUT/spillway.txt"
echo "sink received: fast=$("$B/sink.sh" count -p "$SINK_FAST") slow=$("$B/sink.sh" count -p "$SINK_SLOW")"

lf=$(grep -o 'events/s=[0-9]*' "$OUT/legacy-return.txt" | tail -1 | cut -d= -f2)
ld=$(grep -o 'events/s=[0-9]*' "$OUT/legacy-delay.txt" | tail -1 | cut -d= -f2)
sf=$(grep -o 'events/s=[0-9]*' "$OUT/spillway.txt" | sed -n 1p | cut -d= -f2)
sd=$(grep -o 'events/s=[0-9]*' "$OUT/spillway.txt" | sed -n 2p | cut -d= -f2)
echo "## summary (events/s)"
printf 'instant upstream: legacy=%s spillway=%s ratio=%s\n' "$lf" "$sf" "$(awk -v a="$sf" -v b="$lf" 'BEGIN{ if (b>0) printf "%.1fx", a/b; else print "-" }')"
printf '50 ms upstream:   legacy=%s spillway=%s ratio=%s\n' "$ld" "$sd" "$(awk -v a="$sd" -v b="$ld" 'BEGIN{ if (b>0) printf "%.1fx", a/b; else print "-" }')"

# --- Markdown fragment for bench/report.sh: -o FILE (or BENCH_FRAGMENT=FILE)
FRAG="${FRAG:-${BENCH_FRAGMENT:-}}"
[ -n "$FRAG" ] || exit 0
mkdir -p "$(dirname "$FRAG")"
rat() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b>0) printf "%.1f×", a/b; else print "-" }'; }
{
  echo "<!-- summary: | delivery events/s, 1 instance, instant upstream | $lf | $sf | $(rat "$sf" "$lf") | -->"
  echo "<!-- summary: | delivery events/s, 1 instance, 50 ms upstream | $ld | $sd | $(rat "$sd" "$ld") | -->"
  echo "**Command:** \`bench/delivery/run.sh -n $N -N $ND -w $WINDOW -c $INFLIGHT\` ($(date -u +%FT%TZ), $(nproc) cores)."
  echo
  echo "Legacy: the baseline's \`bench-consumer.sh\` (the Python consumer, its own Redis and \`sink.sh\`): a full drain"
  echo "of $N records to an instant upstream (\`-m return\`), then $ND records to a 50 ms upstream (\`-m delay -d 0.05\`,"
  echo "${WINDOW} s window). Spillway: \`DeliveryBench\` (delivery's test classes): a real KRaft broker holding a backlog"
  echo "of the same 1 KiB gzip'd envelope, one delivery instance (\`max_in_flight: $INFLIGHT\`) draining it to \`sink.sh\`"
  echo "(steady rate between 10 % and 90 % of the backlog; 50 ms: events delivered in the window). One after the other."
  echo
  echo "| upstream | legacy consumer | Spillway delivery (1 instance) | ratio |"
  echo "|---|---|---|---|"
  echo "| instant (\`sink.sh -m return\`) | $lf events/s | $sf events/s | **$(rat "$sf" "$lf")** |"
  echo "| 50 ms (\`sink.sh -m delay -d 0.05\`) | $ld events/s | $sd events/s | **$(rat "$sd" "$ld")** |"
  echo
  echo '```'
  grep -h -E '^(consumer|spillway):' "$OUT/legacy-return.txt" "$OUT/legacy-delay.txt" "$OUT/spillway.txt" 2>/dev/null || true
  echo '```'
} > "$FRAG"
echo "fragment: $FRAG" >&2
