#!/usr/bin/env bash
# The end-to-end fault suite in one command (issue 6):
#   proof/run.sh [short|medium|full] [-r RATE]
# Builds the modules it needs (tests of the other modules are skipped: `mvn verify` runs those),
# then runs FaultSuiteIntegrationTests at that size. medium and full write docs/reliability.md
# (the short size writes proof/target/reliability-short.md; CI runs it inside `mvn verify`).
# Sizes: short = 1 broker, 100 events/s, 8 s per scenario (~2 min);
#        medium = 3 brokers, 300 events/s, 40 s per scenario;
#        full = 3 brokers, 1,000 events/s, 90 s per scenario (fault 20 s in), upstream down 120 s, 429 for 60 s.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SIZE="${1:-full}"; shift || true
RATE=""
while getopts "r:h" o; do case "$o" in
  r) RATE="-Dspillway.proof.rate=$OPTARG";;
  *) sed -n '2,9p' "$0"; exit 2;; esac; done
case "$SIZE" in short|medium|full) ;; *) sed -n '2,9p' "$0"; exit 2;; esac
PROP=""; [ "$SIZE" = short ] || PROP="-Dspillway.proof=$SIZE"
start=$(date +%s)
echo "# fault suite, size $SIZE, started $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
cd "$ROOT"
mvn -B -pl proof -am verify $PROP $RATE \
  -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=FaultSuiteIntegrationTests -Dfailsafe.failIfNoSpecifiedTests=false
echo "# fault suite, size $SIZE: done in $(( ($(date +%s) - start) / 60 )) min $(( ($(date +%s) - start) % 60 )) s"
[ "$SIZE" = short ] && echo "report: proof/target/reliability-short.md" || echo "report: docs/reliability.md"
