#!/usr/bin/env bash
# Runs every benchmark in turn (edge, bridge, delivery, e2e, sdk), each writing a Markdown fragment, then
# assembles docs/benchmarks.md: header (invocation, date, machine), a summary table, one section per benchmark
# (with its command and the load average before it), and bench/notes.md (hand-written notes) at the end.
# Usage: bench/report.sh [--quick] [--only edge,bridge,delivery,e2e,sdk,mirror] [--results DIR] [--out FILE] [--no-run]
#   --quick    small sizes, for smoke testing (about 10 minutes in all); default: full size (see bench/README.md)
#   --only L   run only these benchmarks; the other sections reuse the fragments of their last run
#   --results  where fragments, logs and per-section metadata are kept (default bench/results/, git-ignored)
#   --out      the report to write (default docs/benchmarks.md)
#   --no-run   run nothing, only assemble the report from the fragments already there
# A benchmark that fails, or was never run, shows as "not run"/"failed" in the report; the others still run.
# Benchmarks run one after the other, never two at a time. Figures are only what the runs printed.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ALL="edge bridge delivery e2e sdk mirror dlq"
QUICK=0; ONLY="$ALL"; RESULTS="$ROOT/bench/results"; OUT="$ROOT/docs/benchmarks.md"; RUN=1; INVOCATION="bench/report.sh $*"
while [ $# -gt 0 ]; do case "$1" in
  --quick) QUICK=1;; --only) ONLY="${2//,/ }"; shift;; --results) RESULTS="$2"; shift;; --out) OUT="$2"; shift;;
  --no-run) RUN=0;;
  *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2;; esac; shift; done
for b in $ONLY; do case " $ALL " in *" $b "*) ;; *) echo "unknown benchmark: $b (one of: $ALL)" >&2; exit 2;; esac; done
mkdir -p "$RESULTS"
log() { echo "[report] $(date -u +%T) $*" >&2; }

# The command of each benchmark; FRAG is where its fragment goes. Quick sizes are for smoke tests only.
command_for() { # NAME FRAG
  local f=$2
  if [ "$QUICK" = 1 ]; then case "$1" in
    edge)     echo "bench/edge/run.sh -n 1 -d 5 -F -S -o $f";;
    # quick: the bridge jar already in ~/.m2, so a smoke run never re-installs what other processes use
    bridge)   echo "env BRIDGE_BENCH_NO_INSTALL=${BRIDGE_BENCH_NO_INSTALL:-1} bench/bridge/run.sh -o $f 20000 1024 1";;
    delivery) echo "bench/delivery/run.sh -n 5000 -N 5000 -w 10 -W 0 -r 1 -o $f";;
    e2e)      echo "bench/e2e/run.sh -n 1 -b 20000 -w 10 -S 5 -o $f";;
    sdk)      echo "bench/sdk/run.sh -t 4 -b 2 -o $f";;
    mirror)   echo "bench/mirror/run.sh -o $f 20000 200 15 5";;
    dlq)      echo "bench/dlq/run.sh -n 20000 -r 200 -l 50 -o $f";;
  esac; else case "$1" in
    edge)     echo "bench/edge/run.sh -n 3 -d 15 -F -S -o $f";;
    bridge)   echo "bench/bridge/run.sh -o $f 200000 1024 3";;
    delivery) echo "bench/delivery/run.sh -n 100000 -N 100000 -w 30 -o $f";;
    e2e)      echo "bench/e2e/run.sh -n 3 -b 1000000 -w 30 -o $f";;
    sdk)      echo "bench/sdk/run.sh -t 15 -b 4 -o $f";;
    mirror)   echo "bench/mirror/run.sh -o $f 200000 1000 60 10";;
    dlq)      echo "bench/dlq/run.sh -n 1000000 -r 1000 -l 100 -x 64m -o $f";;
  esac; fi
}

# --- run the selected benchmarks, one at a time
if [ "$RUN" = 1 ]; then for b in $ALL; do
  case " $ONLY " in *" $b "*) ;; *) continue;; esac
  frag="$RESULTS/$b.md"; cmd=$(command_for "$b" "$frag")
  rm -f "$frag" "$RESULTS/$b.meta"
  load=$(cut -d' ' -f1-3 /proc/loadavg); start=$(date +%s)
  log "$b: $cmd (load $load)"
  rc=0; (cd "$ROOT" && $cmd) > "$RESULTS/$b.log" 2>&1 || rc=$?
  { echo "command=${cmd/$frag/FILE}"; echo "mode=$([ "$QUICK" = 1 ] && echo quick || echo full)"; echo "started=$(date -u -d "@$start" +%FT%TZ)"
    echo "load_before=$load"; echo "seconds=$(( $(date +%s) - start ))"; echo "rc=$rc"; echo "report=$INVOCATION"; } > "$RESULTS/$b.meta"
  log "$b: rc=$rc in $(( $(date +%s) - start )) s; log $RESULTS/$b.log"
done; fi

# --- assemble
meta() { sed -n "s/^$2=//p" "$RESULTS/$1.meta" 2>/dev/null | head -1 || true; }
state() { # ok | failed | not run
  if [ ! -f "$RESULTS/$1.meta" ]; then echo "not run"; elif [ "$(meta "$1" rc)" != 0 ] || [ ! -s "$RESULTS/$1.md" ]; then echo failed; else echo ok; fi
}
title() { case "$1" in
  edge) echo "Edge: accepted req/s and latency";; bridge) echo "Bridge: Redis → Kafka";;
  delivery) echo "Delivery: Kafka → upstream, one instance";; e2e) echo "End to end: events/s, backlog drain, Redis bytes per event, RSS";;
  sdk) echo "sentry-java 8: highest steady rate without drops, through the edge vs direct";;
  mirror) echo "Mirror (multi-datacenter): events/s DC → central vs one bridge, latency the mirror hop adds";;
  dlq) echo "DLQ tools on a DLQ of 1,000,000: time and memory of each dlq command";; esac; }
# e2e's fragment has no summary lines: its rows come from the RESULT lines it printed (kept in e2e.log);
# with several rounds, the median of the rounds (peak RSS: the highest of the rounds)
e2e_rows() {
  local L="$RESULTS/e2e.log"
  g() { grep "^RESULT $1 " "$L" | grep -- "$2" | grep -o " $3=[^ ]*" | cut -d= -f2 | sort -n \
        | awk '{a[NR]=$1} END{ if (NR==0) print ""; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }' || true; }
  r() { awk -v a="$1" -v b="$2" -v s="${3:-}" 'BEGIN{ if (a+0 > 0 && b+0 > 0) printf "%.1f× %s", a/b, s; else print "-" }'; }
  local l s n
  n=$(grep '^RESULT e2e ' "$L" | grep -o ' round=[0-9]*' | sort -u | wc -l || true)
  for m in return delay; do
    l=$(g e2e "stack=legacy upstream=$m " sink_events_s); s=$(g e2e "stack=spillway upstream=$m " sink_events_s)
    echo "| end-to-end events/s, $([ $m = return ] && echo instant || echo '50 ms') upstream, edge saturated (median of ${n:-1}) | ${l:--} | ${s:--} | $(r "$s" "$l") | e2e |"
  done
  l=$(g drain stack=legacy drain_s); s=$(g drain stack=spillway drain_s)
  echo "| drain time of a $(g drain stack=legacy events)-event backlog, s | ${l:--} | ${s:--} | $(awk -v l="$l" -v s="$s" 'BEGIN{ if (l+0 <= 0 || s+0 <= 0) print "-"; else if (l >= s) printf "%.1f× faster", l/s; else printf "%.1f× slower", s/l }') | e2e |"
  l=$(g redis_bytes stack=legacy bytes_per_event); s=$(g redis_bytes stack=spillway bytes_per_event)
  echo "| Redis bytes per buffered event | ${l:--} | ${s:--} | $(awk -v a="$s" -v b="$l" 'BEGIN{ if (b+0 > 0) printf "%.2f× legacy", a/b; else print "-" }') | e2e |"
  rss() { grep "^RESULT rss " "$L" | grep " stack=$1 " | sed 's/.* process=\([^ ]*\) peak_rss_mib=\([^ ]*\).*/\1 \2/' \
          | awk '{ if (!($1 in m)) o[++n]=$1; if ($2+0 > m[$1]+0) m[$1]=$2; else if (!($1 in m)) m[$1]=$2 } END{ for (i=1;i<=n;i++) printf "%s%s %s", (i>1?", ":""), o[i], m[o[i]] }' || true; }
  echo "| peak RSS per process at full load, MiB | $(rss legacy) | $(rss spillway) | | e2e |"
}
rows_for() { # NAME: the summary rows of one section, or "not run"/"failed" rows
  local b=$1 st; st=$(state "$b")
  if [ "$st" = ok ]; then
    if [ "$b" = e2e ] && ! grep -q '^<!-- summary: ' "$RESULTS/e2e.md"; then e2e_rows; return; fi
    sed -n 's/^<!-- summary: | \(.*\) -->$/| \1/p' "$RESULTS/$b.md" | sed "s/| *\$/| $b |/" | sed "s|$ROOT/||g"
  else
    echo "| $(title "$b") | $st | $st | | $b |"
  fi
}

tmp="$OUT.tmp.$$"
{
  echo "# Benchmarks"
  echo
  echo "<!-- generated by bench/report.sh: do not edit by hand; edit bench/notes.md or the benchmark scripts and rerun -->"
  echo "**Generated by \`bench/report.sh\`**, do not edit by hand. Last invocation: \`$INVOCATION\` on $(date -u +%FT%TZ)."
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM,"
  echo "$(uname -sr), $(java -version 2>&1 | head -1). Every benchmark runs Spillway and the legacy pipeline"
  echo "(\`../shared/baseline/\`) one after the other on this machine; only the columns of one run compare, and"
  echo "figures from a busy machine (see the load average before each section) are noise. Each section names"
  echo "its command, when it ran and the load average just before it."
  modes=$(for b in $ALL; do if [ -f "$RESULTS/$b.meta" ]; then meta "$b" mode; fi; done | sort -u | paste -sd/ -)
  case "$modes" in *quick*) echo; echo "> **Quick mode** (\`--quick\`, small sizes for smoke testing) in at least one section: these figures are not results.";; esac
  echo
  echo "## Summary"
  echo
  echo "| figure | legacy (or reference) | Spillway | Spillway vs legacy | section |"
  echo "|---|---|---|---|---|"
  for b in $ALL; do rows_for "$b"; done
  for b in $ALL; do
    echo
    echo "## $(title "$b")"
    echo
    case "$(state "$b")" in
      "not run") echo "_Not run._ \`$(command_for "$b" FILE)\` produces this section.";;
      failed) echo "_Failed_ (exit $(meta "$b" rc)) at $(meta "$b" started), command \`$(meta "$b" command)\`. Last lines of its log:"
              echo; echo '```'; tail -15 "$RESULTS/$b.log" 2>/dev/null || true; echo '```';;
      ok) echo "_Ran $(meta "$b" started) ($(meta "$b" mode) mode, $(meta "$b" seconds) s), load average before: $(meta "$b" load_before); from \`$(meta "$b" report)\`._"
          echo
          grep -v '^<!-- summary: ' "$RESULTS/$b.md" | sed "s|$ROOT/||g" || true;;
    esac
  done
  echo
  echo "## Notes (hand-written, from \`bench/notes.md\`)"
  echo
  if [ -f "$ROOT/bench/notes.md" ]; then sed '1{/^# /d}' "$ROOT/bench/notes.md"; else echo "_bench/notes.md is missing._"; fi
} > "$tmp"
mv "$tmp" "$OUT"
log "wrote $OUT"
