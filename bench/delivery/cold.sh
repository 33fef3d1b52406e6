#!/usr/bin/env bash
# Delivery started as a user starts it: `bin/spillway delivery` in a fresh process with a backlog waiting.
#   bench/delivery/cold.sh [-n EVENTS=100000] [-V VARIANTS] [-s SPILLWAY=bin/spillway] [-o FRAGMENT.md]
# For each variant (an environment for bin/spillway), ColdStartBench (delivery's test classes) runs three starts
# on one state directory, each with a new backlog of EVENTS 1 KiB gzip'd envelopes in a real KRaft broker, to the
# baseline's nginx sink (`sink.sh -m return`): cold (new application, empty state), restart after SIGTERM, restart
# after kill -9. It prints the time to the first request, the drain rate (first request → last) and the delivery
# process's CPU (to the first request; per event of the drain).
# VARIANTS: `;`-separated LABEL[,ENV=VALUE...] groups; default: the first run (no class-data archive yet; it writes
# one at exit), then the defaults (with the archive), then without class-data sharing, then C1 only:
#   "first-run,SPILLWAY_CDS=fresh;default;no-cds,SPILLWAY_CDS=off;c1-only,SPILLWAY_JAVA_OPTS=-XX:TieredStopAtLevel=1"
# SPILLWAY_CDS=fresh (here only): the delivery archive is deleted before that variant, so its first start writes it.
# -s: another checkout's bin/spillway (built), e.g. the commit before a change, for a before/after in one run:
#   git archive main | tar -x -C /tmp/before && (cd /tmp/before && mvn -B -q -o -DskipTests package)
#   bench/delivery/cold.sh -s /tmp/before/bin/spillway -V before
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
B="${SPILLWAY_BASELINE:-$(cd "$ROOT/../shared/baseline" 2>/dev/null && pwd || echo /work/shared/baseline)}"
N=100000; FRAG=""; SPW="$ROOT/bin/spillway"
VARIANTS="first-run,SPILLWAY_CDS=fresh;default;no-cds,SPILLWAY_CDS=off;c1-only,SPILLWAY_JAVA_OPTS=-XX:TieredStopAtLevel=1"
while getopts "n:V:s:o:h" o; do case "$o" in
  n) N="$OPTARG";; V) VARIANTS="$OPTARG";; s) SPW="$(cd "$(dirname "$OPTARG")" && pwd)/$(basename "$OPTARG")";; o) FRAG="$OPTARG";;
  *) sed -n '2,18p' "$0"; exit 2;; esac; done
SINK=18296
OUT="${TMPDIR:-/tmp}/spillway-bench-cold"; mkdir -p "$OUT"
cleanup() { "$B/sink.sh" down -p "$SINK" -x > /dev/null 2>&1 || true; }
trap cleanup EXIT

echo "# $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); events=$N variants=$VARIANTS spillway=$SPW"
# bin/spillway builds what it needs (so the measured starts do not); the harness runs from delivery's test classes.
"$SPW" --version > /dev/null
(cd "$ROOT" && mvn -B -o -q -pl delivery -am test-compile dependency:build-classpath -Dmdep.outputFile="$OUT/cp.txt" \
  -Dmdep.includeScope=test) >&2
CP="$ROOT/delivery/target/test-classes:$ROOT/delivery/target/classes:$(cat "$OUT/cp.txt")"
"$B/sink.sh" up -p "$SINK" -m return >&2

ARGS=()
IFS=';' read -r -a groups <<< "$VARIANTS"
for g in "${groups[@]}"; do
  ARGS+=(--variant "$(echo "$g" | tr ',' ';')")
done
# SPILLWAY_CDS=fresh is this script's: the harness passes the environment through; bin/spillway treats any value
# but "off" as on, so deleting the archive first is done here, before the run, for the first such variant.
case "$VARIANTS" in *SPILLWAY_CDS=fresh*) rm -rf "$(dirname "$SPW")/../launcher/target/cds" ;; esac
java -Xmx512m -cp "$CP" io.spillway.delivery.ColdStartBench --spillway "$SPW" --sink "http://127.0.0.1:$SINK" \
  --events "$N" "${ARGS[@]}" 2> "$OUT/harness.log" | tee "$OUT/cold.txt"

FRAG="${FRAG:-${BENCH_FRAGMENT:-}}"
[ -n "$FRAG" ] || exit 0
mkdir -p "$(dirname "$FRAG")"
field() { grep -o " $1=[^ ]*" | cut -d= -f2; }
{
  echo "**Command:** \`bench/delivery/cold.sh -n $N -V '$VARIANTS'$( [ "$SPW" = "$ROOT/bin/spillway" ] || echo " -s $SPW")\` ($(date -u +%FT%TZ), $(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg))."
  echo
  echo "Delivery as a user starts it: \`bin/spillway delivery --config FILE\` (its JVM options: \`bin/jvm/delivery.options\`),"
  echo "a backlog of $N 1 KiB gzip'd envelopes waiting in a real KRaft broker, the baseline's \`sink.sh -m return\` as the"
  echo "upstream, \`max_in_flight: 256\`. Three starts per variant on one state directory, each with a new backlog: *cold*"
  echo "(a new application, empty state), *restart after SIGTERM*, *restart after kill -9*. First request = from the"
  echo "process's start to the first request at the sink; drain = events/s from the first request to the last; from start ="
  echo "$N over the whole time; CPU = the delivery process's, until its first request and per event of the drain."
  echo
  echo "| variant | start | first request s | drain events/s | events/s from start | CPU s to first request | CPU µs/event |"
  echo "|---|---|---:|---:|---:|---:|---:|"
  grep '^cold: ' "$OUT/cold.txt" | while read -r l; do
    echo "| $(echo "$l" | field variant) | $(echo "$l" | field phase) | $(echo "$l" | field first_request_s) | $(echo "$l" | field drain_events_s) | $(echo "$l" | field events_s_from_start) | $(echo "$l" | field cpu_s_to_first) | $(echo "$l" | field cpu_us_per_event) |"
  done
} > "$FRAG"
echo "fragment: $FRAG" >&2
