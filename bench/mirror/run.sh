#!/usr/bin/env bash
# Mirror benchmark (issue 14): MirrorMaker 2 as `spillway mirror` runs it, beside single-site figures in the same run.
# Usage: bench/mirror/run.sh [-o FILE] [EVENTS=200000] [RATE=1000] [SECONDS=60] [WARMUP=10]
#   1. throughput: one bridge drains EVENTS prefilled 1 KiB events from Redis into the datacenter's Kafka (events/s from
#      its first move to the last); then the mirror copies them to the central cluster (first copy to last). Target:
#      the mirror >= 50 % of one bridge.
#   2. latency: RATE events/s for SECONDS s (the first WARMUP s not counted) into an edge, to an instant upstream:
#      single site (edge -> Redis -> bridge -> Kafka -> delivery), then multi-DC (the same edge and bridge -> the
#      datacenter's Kafka -> mirror -> central Kafka -> delivery); p50/p99 of send -> upstream arrival, and what the
#      mirror hop adds. Target: <= 2 s at p99.
#   -o  also write a Markdown fragment (for bench/report.sh) to FILE
# Everything (two single-node KRaft clusters, two redis-servers, the services, the upstream) runs in one JVM plus the
# brokers' child JVMs; all are stopped at the end. Not a test: run it on a quiet machine for figures.
set -euo pipefail
{
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
FRAG=""; CMDLINE="bench/mirror/run.sh $*"
while getopts "o:h" o; do case "$o" in o) FRAG="$OPTARG";; *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2;; esac; done
shift $((OPTIND - 1))
EVENTS="${1:-200000}"; RATE="${2:-1000}"; SECONDS_="${3:-60}"; WARMUP="${4:-10}"
for v in "$EVENTS" "$RATE" "$SECONDS_" "$WARMUP"; do [[ "$v" =~ ^[0-9]+$ ]] || { echo "not a number: $v" >&2; exit 2; }; done
ST="${TMPDIR:-/tmp}/spillway-bench-mirror"
mkdir -p "$ST"
log() { echo "[bench-mirror] $(date -u +%T) $*" >&2; }

# Build with the reactor (never `mvn install`): every module's classes from this tree, the test classpath of proof.
log "building (mvn -o -pl proof -am test-compile)"
(cd "$ROOT" && mvn -B -q -o -pl proof -am test-compile dependency:build-classpath \
  -Dmdep.outputFile="$ST/cp.txt" -Dmdep.includeScope=test) >"$ST/build.log" 2>&1 || { tail -30 "$ST/build.log" >&2; exit 1; }
CP="$ROOT/proof/target/test-classes:$(cat "$ST/cp.txt")"

start=$(date +%s); load=$(cut -d' ' -f1-3 /proc/loadavg)
java -Xmx2g -XX:+UseParallelGC -Dlogback.configurationFile="$ROOT/bench/logback.xml" -cp "$CP" \
  io.spillway.proof.bench.MirrorBench "$EVENTS" "$RATE" "$SECONDS_" "$WARMUP" | tee "$ST/out.txt"
took=$(( $(date +%s) - start ))
log "done in ${took} s (load before: $load)"

[ -n "$FRAG" ] || exit 0
t=$(grep '^RESULT throughput' "$ST/out.txt"); l=$(grep '^RESULT latency' "$ST/out.txt")
val() { echo "$1" | sed -n "s/.* $2=\([^ ]*\).*/\1/p"; }
bridge=$(val "$t" bridge); mirror=$(val "$t" mirror); ratio=$(val "$t" ratio)
{
  echo "<!-- summary: | mirror DC→central events/s (1 KiB) vs one bridge | $bridge (bridge) | $mirror | $ratio | -->"
  echo "<!-- summary: | latency edge→upstream at $RATE ev/s, p99: single site vs through the mirror | $(val "$l" single_p99) s | $(val "$l" multi_p99) s | +$(val "$l" added_p99) s | -->"
  echo "**Command:** \`$CMDLINE\` ($(date -u +%FT%TZ), $(nproc) cores, load before $load, $took s)."
  echo
  echo "| figure | single site | multi-DC (through the mirror) | target |"
  echo "|---|---:|---:|---|"
  echo "| events/s, 1 KiB: one bridge Redis→Kafka / mirror DC→central | $bridge | $mirror (ratio $ratio) | mirror ≥ 50 % of one bridge |"
  echo "| edge send → upstream at $RATE ev/s, p50 | $(val "$l" single_p50) s | $(val "$l" multi_p50) s (+$(val "$l" added_p50) s) | |"
  echo "| edge send → upstream at $RATE ev/s, p99 | $(val "$l" single_p99) s | $(val "$l" multi_p99) s (+$(val "$l" added_p99) s) | added ≤ 2 s |"
  echo
  echo '```'
  grep -v '^RESULT' "$ST/out.txt"
  echo '```'
} > "$FRAG"
log "fragment: $FRAG"
}
