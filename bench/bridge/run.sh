#!/usr/bin/env bash
# Bridge benchmark: Redis -> Kafka events/s through KafkaBridge, side by side with Kafka's own
# ProducerPerformance (acks=all, same record size) in the same run. Starts and stops its own
# Redis and single KRaft broker. Args (all optional): EVENTS BODY_BYTES ROUNDS PARTITIONS BATCH_SIZE
# Not a test: numbers on a shared 2-core machine are noisy; run it on a quiet machine to compare.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
offline="${MVN_OFFLINE:--o}"
cd "$root"
mvn -B -q $offline -pl bridge install -DskipTests
cd "$here"
mvn -B -q $offline package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -DskipTests
exec java -Xmx2g -XX:+UseParallelGC -cp "target/classes:$(cat target/classpath.txt)" io.spillway.bench.bridge.BridgeBench "$@"
