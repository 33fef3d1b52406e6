#!/usr/bin/env bash
# Bridge benchmark: Redis -> Kafka events/s through KafkaBridge, side by side with Kafka's own
# ProducerPerformance (acks=all, same record size) in the same run. Starts and stops its own
# Redis and single KRaft broker. Usage: bench/bridge/run.sh [-o FILE] [EVENTS BODY_BYTES ROUNDS PARTITIONS BATCH_SIZE]
#   -o  also write the results as a Markdown fragment for bench/report.sh to FILE
#   BRIDGE_BENCH_NO_INSTALL=1 uses the bridge jar already in ~/.m2 instead of installing the working tree's
#   (for smoke runs on a machine where others' processes use ~/.m2)
# Not a test: numbers on a shared 2-core machine are noisy; run it on a quiet machine to compare.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
offline="${MVN_OFFLINE:--o}"
frag=""; cmd="bench/bridge/run.sh $*"
while getopts "o:h" o; do case "$o" in o) frag="$OPTARG";; *) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 2;; esac; done
shift $((OPTIND - 1))
cd "$root"
[ "${BRIDGE_BENCH_NO_INSTALL:-0}" = 1 ] || mvn -B -q $offline -pl bridge install -DskipTests
cd "$here"
mvn -B -q $offline package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -DskipTests
if [ -z "$frag" ]; then
  exec java -Xmx2g -XX:+UseParallelGC -cp "target/classes:$(cat target/classpath.txt)" io.spillway.bench.bridge.BridgeBench "$@"
fi
out="$here/target/last-run.txt"
java -Xmx2g -XX:+UseParallelGC -cp "target/classes:$(cat target/classpath.txt)" io.spillway.bench.bridge.BridgeBench "$@" | tee "$out"

# --- Markdown fragment for bench/report.sh, from the lines printed above
r=$(grep '^RESULT medians:' "$out")
pp=$(echo "$r" | sed -n 's/.*ProducerPerformance \([0-9,]*\) records\/s (default settings).*/\1/p')
pt=$(echo "$r" | sed -n 's/.*, \([0-9,]*\) records\/s (bridge.s settings).*/\1/p')
br=$(echo "$r" | sed -n 's/.*bridge \([0-9,]*\) events\/s.*/\1/p')
ra=$(echo "$r" | sed -n 's/.*median per-round ratio \(.*\)$/\1/p')
mkdir -p "$(dirname "$frag")"
{
  echo "<!-- summary: | bridge Redis→Kafka events/s vs Kafka's ProducerPerformance (acks=all; defaults / bridge's settings) | $pp / $pt | $br | $ra | -->"
  echo "**Command:** \`$cmd\` ($(date -u +%FT%TZ), $(nproc) cores)."
  echo
  echo "One redis-server (no persistence) and one KRaft broker; per round, alternating on the same broker:"
  echo "\`ProducerPerformance\` (acks=all, producer defaults), the same with the bridge's producer settings"
  echo "(lz4, linger 5 ms, 256 KiB batches, idempotent), then the bridge draining the same number of 1 KiB entries"
  echo "prefilled in Redis (clock from the first entry leaving the stream until \`XLEN\` is 0)."
  echo "There is no legacy counterpart (the legacy pipeline has no Kafka hop): the reference is Kafka's own producer."
  echo
  echo "| ProducerPerformance, defaults (rec/s) | ProducerPerformance, bridge's settings (rec/s) | bridge (events/s) | bridge / PP (defaults / bridge's settings) |"
  echo "|---|---|---|---|"
  echo "| $pp | $pt | **$br** | $ra |"
  echo
  echo '```'
  cat "$out"
  echo '```'
} > "$frag"
echo "fragment: $frag" >&2
