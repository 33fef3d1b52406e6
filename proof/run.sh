#!/usr/bin/env bash
# The end-to-end fault suite in one command (issue 6):
#   proof/run.sh [short|medium|full] [-r RATE] [-s fault|multi-dc|all]
# Builds the modules it needs (tests of the other modules are skipped: `mvn verify` runs those),
# then runs FaultSuiteIntegrationTests and MultiDcSuiteIntegrationTests (-s picks one) at that size.
# medium and full write docs/reliability.md, the multi-DC suite its "Multi-DC" section (the short size writes
# proof/target/reliability-short.md and reliability-multi-dc-short.md; CI runs both inside `mvn verify`).
# The multi-DC suite cuts a WAN link with a network namespace: run it as root (it says so when it cannot).
# Sizes: short = 1 broker, 100 events/s, 8 s per scenario (~2 min);
#        medium = 3 brokers, 300 events/s, 40 s per scenario;
#        full = 3 brokers, 1,000 events/s, 90 s per scenario (fault 20 s in), upstream down 120 s, 429 for 60 s.
# Delivery failover after kill -9 (FailoverIntegrationTests, measured; writes its section of docs/reliability.md):
#   proof/run.sh failover [-n EVENTS=1000000] [-p PARTITIONS=6] [-b BODY_BYTES=1024] [-v VARIANTS=all] [-k BROKERS=1] [-x]
# VARIANTS: all, or a comma-separated list of names (kafka-defaults, session-10s, session-10s+static,
# session-10s+standby, spillway-defaults) or specs name:session_ms:heartbeat_ms:standbys:instance_id; -x: no final drain.
# Tests kept out of `mvn verify` for CI's time (short failover after kill -9, a 100 MiB report through the services):
#   proof/run.sh extra
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SIZE="${1:-full}"; shift || true
if [ "$SIZE" = extra ]; then
  cd "$ROOT"
  exec mvn -B -pl proof -am verify -Dspillway.proof.extra=true -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
    -Dit.test='FailoverIntegrationTests,ServiceMemoryIntegrationTests' -Dfailsafe.failIfNoSpecifiedTests=false
fi
if [ "$SIZE" = failover ]; then
  N=1000000; P=6; BODY=1024; V=all; K=1; VERIFY=true
  while getopts "n:p:b:v:k:xh" o; do case "$o" in
    n) N="$OPTARG";; p) P="$OPTARG";; b) BODY="$OPTARG";; v) V="$OPTARG";; k) K="$OPTARG";; x) VERIFY=false;;
    *) sed -n '2,16p' "$0"; exit 2;; esac; done
  echo "# failover, $N events, variants $V, started $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
  cd "$ROOT"
  exec mvn -B -pl proof -am verify -Dspillway.failover="$V" -Dspillway.failover.events="$N" -Dspillway.failover.partitions="$P" \
    -Dspillway.failover.body="$BODY" -Dspillway.failover.brokers="$K" -Dspillway.failover.verify="$VERIFY" \
    -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
    -Dit.test=FailoverIntegrationTests -Dfailsafe.failIfNoSpecifiedTests=false
fi
RATE=""; SUITES="FaultSuiteIntegrationTests,MultiDcSuiteIntegrationTests"
while getopts "r:s:h" o; do case "$o" in
  r) RATE="-Dspillway.proof.rate=$OPTARG";;
  s) case "$OPTARG" in fault) SUITES=FaultSuiteIntegrationTests;; multi-dc) SUITES=MultiDcSuiteIntegrationTests;; all) ;;
       *) sed -n '2,12p' "$0"; exit 2;; esac;;
  *) sed -n '2,12p' "$0"; exit 2;; esac; done
case "$SIZE" in short|medium|full) ;; *) sed -n '2,12p' "$0"; exit 2;; esac
PROP=""; [ "$SIZE" = short ] || PROP="-Dspillway.proof=$SIZE"
start=$(date +%s)
echo "# fault suite, size $SIZE, started $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
cd "$ROOT"
mvn -B -pl proof -am verify $PROP $RATE \
  -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test="$SUITES" -Dfailsafe.failIfNoSpecifiedTests=false
echo "# fault suite, size $SIZE: done in $(( ($(date +%s) - start) / 60 )) min $(( ($(date +%s) - start) % 60 )) s"
[ "$SIZE" = short ] && echo "report: proof/target/reliability-short.md" || echo "report: docs/reliability.md"
