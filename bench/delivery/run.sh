#!/usr/bin/env bash
# Delivery benchmark, side by side in one run with the legacy Python consumer (issue 4, acceptance 8).
#   bench/delivery/run.sh [-n EVENTS=100000] [-N DELAY_EVENTS=100000] [-w WINDOW_S=30] [-c MAX_IN_FLIGHT=256] [-W WARMUP_EVENTS=300000] [-r ROUNDS=3] [-o FRAGMENT.md]
# For each upstream kind — an instant one (nginx `return 200`) and one answering after 50 ms — it runs
#   1. the legacy consumer: ../shared/baseline/bench-consumer.sh (its own Redis + sink)
#   2. Spillway's delivery: a real KRaft broker with a backlog of the same 1 KiB gzip'd envelope, one
#      delivery instance (DeliveryBench) draining it to the baseline's sink.sh on its own port
# and prints both figures. Legacy and Spillway run one after the other, never at the same time.
# Spillway's JVM first drains WARMUP_EVENTS to the instant upstream, not measured: a long-running delivery is
# JIT-compiled; a fresh JVM spends 15-30 us of compiler CPU per event during its first few hundred thousand.
# Then ROUNDS drains of EVENTS to the instant upstream; the figure is their median (rounds differ by ~10 %).
# The machine is small and shared: figures move from run to run; compare only the two columns of one run.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
B="${SPILLWAY_BASELINE:-$(cd "$ROOT/../shared/baseline" 2>/dev/null && pwd || echo /work/shared/baseline)}"
N=100000; ND=100000; WINDOW=30; INFLIGHT=256; WARM=300000; ROUNDS=3
FRAG=""
while getopts "n:N:w:c:W:r:o:h" o; do case "$o" in
  n) N="$OPTARG";; N) ND="$OPTARG";; w) WINDOW="$OPTARG";; c) INFLIGHT="$OPTARG";; W) WARM="$OPTARG";; r) ROUNDS="$OPTARG";;
  o) FRAG="$OPTARG";;
  *) sed -n '2,12p' "$0"; exit 2;; esac; done
SINK_FAST=18291; SINK_SLOW=18292; LEG_REDIS=16391; LEG_FAST=18293; LEG_SLOW=18294
OUT="${TMPDIR:-/tmp}/spillway-bench-delivery"; mkdir -p "$OUT"

cleanup() {
  "$B/sink.sh" down -p "$SINK_FAST" -x > /dev/null 2>&1 || true
  "$B/sink.sh" down -p "$SINK_SLOW" -x > /dev/null 2>&1 || true
}
trap cleanup EXIT

echo "# $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); events=$N delayed_events=$ND window_s=$WINDOW max_in_flight=$INFLIGHT warmup_events=$WARM"
(cd "$ROOT" && mvn -B -o -q -pl delivery test-compile \
  && mvn -B -o -q -pl delivery dependency:build-classpath -Dmdep.outputFile="$OUT/cp.txt" -Dmdep.includeScope=test) >&2
CP="$ROOT/delivery/target/test-classes:$ROOT/delivery/target/classes:$(cat "$OUT/cp.txt")"

echo "## legacy consumer, instant upstream"
"$B/bench-consumer.sh" -n "$N" -m return -r "$LEG_REDIS" -s "$LEG_FAST" | tail -2 | tee "$OUT/legacy-return.txt"
echo "## legacy consumer, 50 ms upstream (${WINDOW}s window)"
"$B/bench-consumer.sh" -n "$ND" -m delay -d 0.05 -w "$WINDOW" -r "$LEG_REDIS" -s "$LEG_SLOW" | tail -2 | tee "$OUT/legacy-delay.txt"

"$B/sink.sh" up -p "$SINK_FAST" -m return >&2
"$B/sink.sh" up -p "$SINK_SLOW" -m delay -d 0.05 >&2
echo "## spillway delivery (1 instance): warm-up (not measured), instant upstream, then 50 ms upstream (${WINDOW}s window)"
WARMUP=()
[ "$WARM" -gt 0 ] && WARMUP=(--upstream "http://127.0.0.1:$SINK_FAST" --label "warm-up" --events "$WARM" --max-in-flight "$INFLIGHT")
FAST=()
for r in $(seq "$ROUNDS"); do
  FAST+=(--upstream "http://127.0.0.1:$SINK_FAST" --label "mode=return round=$r" --events "$N" --max-in-flight "$INFLIGHT")
done
java -Xmx1g -cp "$CP" io.spillway.delivery.DeliveryBench "${WARMUP[@]}" "${FAST[@]}" \
  --upstream "http://127.0.0.1:$SINK_SLOW" --label "mode=delay(50ms)" --events "$ND" --window-s "$WINDOW" --max-in-flight "$INFLIGHT" \
  2> "$OUT/spillway.log" | tee "$OUT/spillway.txt"
echo "sink received: fast=$("$B/sink.sh" count -p "$SINK_FAST") slow=$("$B/sink.sh" count -p "$SINK_SLOW")"

lf=$(grep -o 'events/s=[0-9]*' "$OUT/legacy-return.txt" | tail -1 | cut -d= -f2)
ld=$(grep -o 'events/s=[0-9]*' "$OUT/legacy-delay.txt" | tail -1 | cut -d= -f2)
# The median of the rounds (each its own backlog of N, one after the other in the same warm JVM).
sf=$(grep '^spillway: mode=return ' "$OUT/spillway.txt" | grep -o 'steady_events_s=[0-9]*' | cut -d= -f2 | sort -n \
  | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }')
sd=$(grep '^spillway: mode=delay' "$OUT/spillway.txt" | grep -o 'steady_events_s=[0-9]*' | cut -d= -f2)
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
  echo "**Command:** \`bench/delivery/run.sh -n $N -N $ND -w $WINDOW -c $INFLIGHT -W $WARM -r $ROUNDS\` ($(date -u +%FT%TZ), $(nproc) cores)."
  echo
  echo "Legacy: the baseline's \`bench-consumer.sh\` (the Python consumer, its own Redis and \`sink.sh\`): a full drain"
  echo "of $N records to an instant upstream (\`-m return\`), then $ND records to a 50 ms upstream (\`-m delay -d 0.05\`,"
  echo "${WINDOW} s window). Spillway: \`DeliveryBench\` (delivery's test classes): a real KRaft broker holding a backlog"
  echo "of the same 1 KiB gzip'd envelope, one delivery instance (\`max_in_flight: $INFLIGHT\`) draining it to \`sink.sh\`"
  echo "(steady rate between 10 % and 90 % of the backlog; 50 ms: events delivered in the window). One after the other."
  echo "The delivery JVM first drains $WARM events to the instant upstream (\`warm-up\` line, not measured): what is"
  echo "measured is a JIT-compiled delivery, as in production; then $ROUNDS drains of $N to the instant upstream, whose"
  echo "median is the figure. Each \`cpu_us_per_event_by_thread\` line splits the"
  echo "delivery JVM's CPU per event by thread kind (\`jit\`: compiler threads; \`gc\`); \`machine_cpu_us_per_event\`"
  echo "is all processes on the machine (broker and sink included) per delivered event: 2 cores / that = the ceiling."
  echo
  echo "| upstream | legacy consumer | Spillway delivery (1 instance) | ratio |"
  echo "|---|---|---|---|"
  echo "| instant (\`sink.sh -m return\`) | $lf events/s | $sf events/s | **$(rat "$sf" "$lf")** |"
  echo "| 50 ms (\`sink.sh -m delay -d 0.05\`) | $ld events/s | $sd events/s | **$(rat "$sd" "$ld")** |"
  echo
  echo '```'
  grep -h -E '^(consumer|spillway):|^cpu_us_per_event' "$OUT/legacy-return.txt" "$OUT/legacy-delay.txt" "$OUT/spillway.txt" 2>/dev/null || true
  echo '```'
} > "$FRAG"
echo "fragment: $FRAG" >&2
