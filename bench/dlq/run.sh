#!/usr/bin/env bash
# DLQ tools at scale (issue 16): a real single-broker KRaft cluster holding a DLQ of EVENTS dead letters
# spread over two days (RECENT of them in the last five minutes, every LARGE_EVERY-th a large event in
# three pieces; delivery's test class DlqBench writes it), then bin/spillway's dlq commands as a user runs
# them, each in its own JVM with a HEAP heap, timed and measured (wall seconds, peak RSS).
#   bench/dlq/run.sh [-n EVENTS=1000000] [-r RECENT=1000] [-l LARGE_EVERY=100] [-x HEAP=64m] [-o FRAGMENT.md]
# The figures: `dlq list --from -10m` reads only the last minutes; `dlq stats` with no bound reads all of it.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
N=1000000; RECENT=1000; LARGE=100; HEAP=64m; FRAG=""
while getopts "n:r:l:x:o:h" o; do case "$o" in
  n) N="$OPTARG";; r) RECENT="$OPTARG";; l) LARGE="$OPTARG";; x) HEAP="$OPTARG";; o) FRAG="$OPTARG";;
  *) sed -n '2,7p' "$0"; exit 2;; esac; done
OUT="${TMPDIR:-/tmp}/spillway-bench-dlq"; mkdir -p "$OUT"
FILL_PID=""
cleanup() {
  exec 3>&- 2>/dev/null || true
  if [ -n "$FILL_PID" ]; then
    for _ in $(seq 120); do kill -0 "$FILL_PID" 2>/dev/null || break; sleep 1; done
    kill "$FILL_PID" 2>/dev/null || true
  fi
  rm -f "$OUT/stdin"
}
trap cleanup EXIT

echo "# $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); events=$N recent=$RECENT large_every=$LARGE heap=$HEAP"
(cd "$ROOT" && mvn -B -o -q -pl delivery -am test-compile dependency:build-classpath \
  -Dmdep.outputFile="$OUT/cp.txt" -Dmdep.includeScope=test) >&2
CP="$ROOT/delivery/target/test-classes:$ROOT/delivery/target/classes:$(cat "$OUT/cp.txt")"
"$ROOT/bin/spillway" --version >&2   # builds the CLI first if its sources changed

rm -f "$OUT/stdin"; mkfifo "$OUT/stdin"; exec 3<>"$OUT/stdin"
java -Xmx1g -cp "$CP" io.spillway.delivery.DlqBench --events "$N" --recent "$RECENT" --large-every "$LARGE" \
  < "$OUT/stdin" 3>&- > "$OUT/fill.log" 2>&1 &   # fd 3 (the fifo's writer) stays with this script alone
FILL_PID=$!
until grep -q '^READY ' "$OUT/fill.log"; do
  kill -0 "$FILL_PID" 2>/dev/null || { cat "$OUT/fill.log" >&2; echo "DlqBench failed" >&2; exit 1; }
  sleep 2
done
grep '^wrote ' "$OUT/fill.log"
CFG=$(grep '^READY ' "$OUT/fill.log" | cut -d' ' -f2)

ROWS=()
declare -A WALL RSS
run() { # LABEL ARGS...
  local label=$1; shift
  local t0 t1 code=0
  /usr/bin/time -f '%e %M' -o "$OUT/time.txt" env SPILLWAY_JAVA_OPTS="-Xmx$HEAP" "$ROOT/bin/spillway" "$@" \
    > "$OUT/out.txt" 2> "$OUT/err.txt" 3>&- || code=$?
  read -r secs rss_kib < "$OUT/time.txt"
  local last; last=$(grep -v '^\s*$' "$OUT/out.txt" | tail -1 | cut -c1-140)
  local rss_mib=$((rss_kib / 1024))
  printf 'RESULT %-40s exit=%s wall_s=%s rss_mib=%s | %s\n' "$label" "$code" "$secs" "$rss_mib" "$last"
  ROWS+=("| \`spillway $label\` | $secs s | $rss_mib MiB | $code | ${last//|/\\|} |")
  WALL[$label]=$secs; RSS[$label]=$rss_mib
  [ "$code" = 0 ] || { echo "--- stderr:"; tail -5 "$OUT/err.txt"; }
}
run "--version (JVM start, no Kafka)" --version
C=(--config "$CFG")
run "dlq list --from -10m" dlq list --from -10m "${C[@]}"
run "dlq list --from -10m --limit 5000" dlq list --from -10m --limit 5000 "${C[@]}"
run "dlq list" dlq list "${C[@]}"
run "dlq stats --from -10m" dlq stats --from -10m "${C[@]}"
run "dlq redrive --from -10m --dry-run" dlq redrive --from -10m --dry-run "${C[@]}"
run "dlq redrive --from -10m" dlq redrive --from -10m "${C[@]}"
run "dlq list --from -10m (after the redrive)" dlq list --from -10m "${C[@]}"
run "dlq stats" dlq stats "${C[@]}"
run "dlq redrive --dry-run" dlq redrive --dry-run "${C[@]}"

FRAG="${FRAG:-${BENCH_FRAGMENT:-}}"
[ -n "$FRAG" ] || exit 0
mkdir -p "$(dirname "$FRAG")"
{
  echo "<!-- summary: | dlq list --from -10m, DLQ of $N (wall incl. JVM start, peak RSS, -Xmx$HEAP) | – | ${WALL[dlq list --from -10m]} s, ${RSS[dlq list --from -10m]} MiB | – | -->"
  echo "<!-- summary: | dlq stats over all of a DLQ of $N (wall, peak RSS, -Xmx$HEAP) | – | ${WALL[dlq stats]} s, ${RSS[dlq stats]} MiB | – | -->"
  echo "**Command:** \`bench/dlq/run.sh -n $N -r $RECENT -l $LARGE -x $HEAP\` ($(date -u +%FT%TZ), $(nproc) cores)."
  echo
  echo "$(grep '^wrote ' "$OUT/fill.log") on one KRaft broker (12 partitions). Each command is \`bin/spillway\` in its own"
  echo "JVM with \`-Xmx$HEAP\`; wall time includes the JVM start; RSS is the process's peak."
  echo
  echo "| command | wall | peak RSS | exit | last line |"
  echo "|---|---|---|---|---|"
  for r in "${ROWS[@]}"; do echo "$r"; done
} > "$FRAG"
