#!/usr/bin/env bash
# CPU per request of the edge's data scrubbing stage (issue 13), in one warm JVM: the benchmark's 1 KiB gzip envelope
# (nothing to scrub) and the same envelope with personal data (scrubbed, rebuilt, gzipped again), with the body decoded
# by the edge's checks (as the stage gets it) and decoded by the stage. Thread CPU time, so a busy machine matters less.
# Usage: bench/privacy/run.sh [-s SECONDS=3]   (throughput against the legacy edge: bench/edge/run.sh -S)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
B="${SPILLWAY_BASELINE:-$ROOT/../shared/baseline}"
SECS=3
while getopts "s:h" o; do case "$o" in s) SECS="$OPTARG";; *) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 2;; esac; done
ST=/tmp/spillway-bench-privacy; mkdir -p "$ST"
cd "$ROOT"
# A reactor build of rules and what it needs; nothing installed into ~/.m2.
build() { mvn -q $1 -pl rules -am test-compile dependency:build-classpath -DincludeScope=test -Dmdep.outputFile="$ST/cp.txt"; }
build -o >"$ST/build.log" 2>&1 || build "" >>"$ST/build.log" 2>&1 || { tail -30 "$ST/build.log" >&2; exit 1; }
CP="$ROOT/rules/target/test-classes:$ROOT/rules/target/classes:$ROOT/schemas/target/classes:$(cat "$ST/cp.txt")"
exec java -Xms256m -Xmx256m -XX:+UseParallelGC -cp "$CP" io.spillway.rules.privacy.bench.PrivacyBench "$B/wrk/body-envelope.gz" "$SECS"
