#!/usr/bin/env bash
# Delivery benchmark, side by side in one run with the legacy Python consumer (issue 4, acceptance 8).
#   bench/delivery/run.sh [-n EVENTS=100000] [-N DELAY_EVENTS=100000] [-w WINDOW_S=30] [-c MAX_IN_FLIGHT=256] [-W WARMUP_EVENTS=300000]
#                         [-r ROUNDS=3] [-T TLS_MAX_IN_FLIGHT=384] [-o FRAGMENT.md]
# For each upstream kind — an instant one (nginx `return 200`) and one answering after 50 ms — it runs
#   1. the legacy consumer: ../shared/baseline/bench-consumer.sh (its own Redis + sink)
#   2. Spillway's delivery: a real KRaft broker with a backlog of the same 1 KiB gzip'd envelope, one
#      delivery instance (DeliveryBench) draining it to the baseline's sink.sh on its own port
# then a third upstream for Spillway only (issue 11): nginx over TLS (a CA made here with openssl) offering HTTP/2,
# answering after 200 ms (like sentry.io from another continent), TLS_MAX_IN_FLIGHT in flight.
# Legacy and Spillway run one after the other, never at the same time.
# Spillway's JVM first drains WARMUP_EVENTS to the instant upstream, not measured: a long-running delivery is
# JIT-compiled; a fresh JVM spends 15-30 us of compiler CPU per event during its first few hundred thousand.
# Then ROUNDS drains of EVENTS to the instant upstream; the figure is their median (rounds differ by ~10 %).
# The hand-written HTTP/1.1 client that the Netty one replaced was measured beside it by this script in the commit
# before its deletion (`--client http1` there); those figures are in docs/benchmarks.md.
# The machine is small and shared: figures move from run to run; compare only the columns of one run.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
B="${SPILLWAY_BASELINE:-$(cd "$ROOT/../shared/baseline" 2>/dev/null && pwd || echo /work/shared/baseline)}"
N=100000; ND=100000; WINDOW=30; INFLIGHT=256; WARM=300000; ROUNDS=3; TLS_INFLIGHT=384
FRAG=""
while getopts "n:N:w:c:W:r:T:o:h" o; do case "$o" in
  n) N="$OPTARG";; N) ND="$OPTARG";; w) WINDOW="$OPTARG";; c) INFLIGHT="$OPTARG";; W) WARM="$OPTARG";; r) ROUNDS="$OPTARG";;
  T) TLS_INFLIGHT="$OPTARG";; o) FRAG="$OPTARG";;
  *) sed -n '2,18p' "$0"; exit 2;; esac; done
SINK_FAST=18291; SINK_SLOW=18292; LEG_REDIS=16391; LEG_FAST=18293; LEG_SLOW=18294; SINK_TLS=18295
OUT="${TMPDIR:-/tmp}/spillway-bench-delivery"; mkdir -p "$OUT"
TLS_DIR="$OUT/tls-sink"

# nginx on 127.0.0.1:$SINK_TLS: TLS with a certificate for "localhost" from a CA made here, HTTP/2 by ALPN (nginx's
# default 128 streams per connection), every answer after 200 ms (Lua ngx.sleep, no worker blocked).
tls_sink_up() {
  rm -rf "$TLS_DIR"; mkdir -p "$TLS_DIR/tmp"; chmod 0777 "$TLS_DIR/tmp"
  ( cd "$TLS_DIR"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=Spillway bench CA" \
      -addext basicConstraints=critical,CA:true -keyout ca.key -out ca.pem
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr
    printf 'subjectAltName=DNS:localhost\n' > san.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out server.pem
  ) > "$TLS_DIR/openssl.log" 2>&1 || { cat "$TLS_DIR/openssl.log" >&2; return 1; }
  cat > "$TLS_DIR/nginx.conf" <<NGINX
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
worker_processes 1;
daemon off;
pid $TLS_DIR/nginx.pid;
error_log $TLS_DIR/error.log warn;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path $TLS_DIR/tmp/body;
    proxy_temp_path $TLS_DIR/tmp/proxy;
    fastcgi_temp_path $TLS_DIR/tmp/fastcgi;
    uwsgi_temp_path $TLS_DIR/tmp/uwsgi;
    scgi_temp_path $TLS_DIR/tmp/scgi;
    client_max_body_size 20m;
    client_body_buffer_size 1m;
    keepalive_requests 100000000;
    keepalive_timeout 75s;
    default_type application/json;
    server {
        listen 127.0.0.1:$SINK_TLS ssl http2 backlog=4096;
        ssl_certificate $TLS_DIR/server.pem;
        ssl_certificate_key $TLS_DIR/server.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        location / { content_by_lua_block { ngx.req.read_body(); ngx.sleep(0.2); ngx.print('{"id":"', ngx.var.request_id, '"}\\n') } }
    }
}
NGINX
  nginx -t -p "$TLS_DIR" -c "$TLS_DIR/nginx.conf" -e "$TLS_DIR/error.log" 2> "$TLS_DIR/nginx-t.log" || { cat "$TLS_DIR/nginx-t.log" >&2; return 1; }
  nohup nginx -p "$TLS_DIR" -c "$TLS_DIR/nginx.conf" -e "$TLS_DIR/error.log" > "$TLS_DIR/stdout.log" 2>&1 < /dev/null &
  echo $! > "$TLS_DIR/master.pid"
  for _ in $(seq 1 100); do
    curl -fsS --max-time 5 --http2 --cacert "$TLS_DIR/ca.pem" -o /dev/null -X POST --data-binary x "https://localhost:$SINK_TLS/" 2> /dev/null && break
    sleep 0.1
  done
  curl -fsS --max-time 5 --http2 --cacert "$TLS_DIR/ca.pem" -o /dev/null -w 'READY tls sink %{http_version} ' -X POST --data-binary x \
    "https://localhost:$SINK_TLS/" >&2 || { cat "$TLS_DIR/error.log" >&2; return 1; }
  echo "pid=$(cat "$TLS_DIR/master.pid")" >&2
}
tls_sink_down() {
  local p
  p=$(cat "$TLS_DIR/master.pid" 2> /dev/null) || return 0
  kill -TERM "$p" 2> /dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$p" 2> /dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2> /dev/null || true
}

cleanup() {
  "$B/sink.sh" down -p "$SINK_FAST" -x > /dev/null 2>&1 || true
  "$B/sink.sh" down -p "$SINK_SLOW" -x > /dev/null 2>&1 || true
  tls_sink_down
}
trap cleanup EXIT

echo "# $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); events=$N delayed_events=$ND window_s=$WINDOW max_in_flight=$INFLIGHT warmup_events=$WARM rounds=$ROUNDS tls_max_in_flight=$TLS_INFLIGHT"
# One reactor build: the sibling modules resolve to their target/classes (nothing is installed into ~/.m2); the
# last module built (delivery) writes cp.txt last.
(cd "$ROOT" && mvn -B -o -q -pl delivery -am test-compile dependency:build-classpath -Dmdep.outputFile="$OUT/cp.txt" \
  -Dmdep.includeScope=test) >&2
CP="$ROOT/delivery/target/test-classes:$ROOT/delivery/target/classes:$(cat "$OUT/cp.txt")"

echo "## legacy consumer, instant upstream"
"$B/bench-consumer.sh" -n "$N" -m return -r "$LEG_REDIS" -s "$LEG_FAST" | tail -2 | tee "$OUT/legacy-return.txt"
echo "## legacy consumer, 50 ms upstream (${WINDOW}s window)"
"$B/bench-consumer.sh" -n "$ND" -m delay -d 0.05 -w "$WINDOW" -r "$LEG_REDIS" -s "$LEG_SLOW" | tail -2 | tee "$OUT/legacy-delay.txt"

"$B/sink.sh" up -p "$SINK_FAST" -m return >&2
"$B/sink.sh" up -p "$SINK_SLOW" -m delay -d 0.05 >&2
tls_sink_up
echo "## spillway delivery (1 instance): warm-up (not measured), instant upstream, 50 ms upstream (${WINDOW}s window),"
echo "## then a 200 ms TLS upstream over HTTP/2 (${WINDOW}s window)"
RUNS=()
[ "$WARM" -gt 0 ] && RUNS+=(--upstream "http://127.0.0.1:$SINK_FAST" --label "warm-up" --events "$WARM" --max-in-flight "$INFLIGHT")
for r in $(seq "$ROUNDS"); do
  RUNS+=(--upstream "http://127.0.0.1:$SINK_FAST" --label "mode=return round=$r" --events "$N" --max-in-flight "$INFLIGHT")
done
RUNS+=(--upstream "http://127.0.0.1:$SINK_SLOW" --label "mode=delay(50ms)" --events "$ND" --window-s "$WINDOW" --max-in-flight "$INFLIGHT")
RUNS+=(--upstream "https://localhost:$SINK_TLS" --label "mode=tls-h2-delay(200ms)" --ca-file "$TLS_DIR/ca.pem"
  --events "$ND" --window-s "$WINDOW" --max-in-flight "$TLS_INFLIGHT")
java -Xmx1g -cp "$CP" io.spillway.delivery.DeliveryBench "${RUNS[@]}" 2> "$OUT/spillway.log" | tee "$OUT/spillway.txt"
echo "sink received: fast=$("$B/sink.sh" count -p "$SINK_FAST") slow=$("$B/sink.sh" count -p "$SINK_SLOW")"

lf=$(grep -o 'events/s=[0-9]*' "$OUT/legacy-return.txt" | tail -1 | cut -d= -f2)
ld=$(grep -o 'events/s=[0-9]*' "$OUT/legacy-delay.txt" | tail -1 | cut -d= -f2)
field() { grep -o "$1=[0-9.-]*" | cut -d= -f2; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
# The median of the rounds (each its own backlog of N, one after the other in the same warm JVM).
sf=$(grep '^spillway: mode=return ' "$OUT/spillway.txt" | field steady_events_s | median)
cpu=$(grep '^spillway: mode=return ' "$OUT/spillway.txt" | field jvm_cpu_us_per_event | median)
sd=$(grep '^spillway: mode=delay(50ms) ' "$OUT/spillway.txt" | field steady_events_s)
tls_line=$(grep '^spillway: mode=tls-h2-delay(200ms) ' "$OUT/spillway.txt" || true)
st=$(echo "$tls_line" | field steady_events_s)
st_conn=$(echo "$tls_line" | field connections)
st_cpu=$(echo "$tls_line" | field jvm_cpu_us_per_event)
st_machine=$(grep -A1 '^spillway: mode=tls-h2-delay(200ms) ' "$OUT/spillway.txt" | field machine_cpu_us_per_event)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b>0) printf "%.1fx", a/b; else print "-" }'; }
echo "## summary (events/s)"
printf 'instant upstream: legacy=%s spillway=%s ratio=%s jvm_cpu_us_per_event=%s\n' "$lf" "$sf" "$(ratio "$sf" "$lf")" "$cpu"
printf '50 ms upstream:   legacy=%s spillway=%s ratio=%s\n' "$ld" "$sd" "$(ratio "$sd" "$ld")"
printf '200 ms TLS upstream over HTTP/2 (%s in flight): spillway=%s over %s connections, jvm_cpu_us_per_event=%s machine_cpu_us_per_event=%s\n' \
  "$TLS_INFLIGHT" "$st" "$st_conn" "$st_cpu" "$st_machine"

# --- Markdown fragment for bench/report.sh: -o FILE (or BENCH_FRAGMENT=FILE)
FRAG="${FRAG:-${BENCH_FRAGMENT:-}}"
[ -n "$FRAG" ] || exit 0
mkdir -p "$(dirname "$FRAG")"
rat() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b>0) printf "%.1f×", a/b; else print "-" }'; }
{
  echo "<!-- summary: | delivery events/s, 1 instance, instant upstream | $lf | $sf | $(rat "$sf" "$lf") | -->"
  echo "<!-- summary: | delivery events/s, 1 instance, 50 ms upstream | $ld | $sd | $(rat "$sd" "$ld") | -->"
  echo "<!-- summary: | delivery events/s, 1 instance, 200 ms TLS upstream over HTTP/2 | - | $st | - | -->"
  echo "**Command:** \`bench/delivery/run.sh -n $N -N $ND -w $WINDOW -c $INFLIGHT -W $WARM -r $ROUNDS -T $TLS_INFLIGHT\` ($(date -u +%FT%TZ), $(nproc) cores)."
  echo
  echo "Legacy: the baseline's \`bench-consumer.sh\` (the Python consumer, its own Redis and \`sink.sh\`): a full drain"
  echo "of $N records to an instant upstream (\`-m return\`), then $ND records to a 50 ms upstream (\`-m delay -d 0.05\`,"
  echo "${WINDOW} s window). Spillway: \`DeliveryBench\` (delivery's test classes): a real KRaft broker holding a backlog"
  echo "of the same 1 KiB gzip'd envelope, one delivery instance (\`max_in_flight: $INFLIGHT\`) draining it to \`sink.sh\`"
  echo "(steady rate between 10 % and 90 % of the backlog; 50 ms: events delivered in the window). One after the other."
  echo "The delivery JVM first drains $WARM events to the instant upstream (\`warm-up\` line, not measured): what is"
  echo "measured is a JIT-compiled delivery, as in production; then $ROUNDS drains of $N to the instant upstream, whose"
  echo "median is the figure. Last, delivery drains to nginx over TLS offering HTTP/2 (ALPN, 128 streams per connection)"
  echo "and answering after 200 ms, with \`max_in_flight: $TLS_INFLIGHT\` (${WINDOW} s window). Each"
  echo "\`cpu_us_per_event_by_thread\` line splits the delivery JVM's CPU per event by thread kind (\`http\`: the HTTP"
  echo "client's threads, TLS included; \`jit\`: compiler threads; \`gc\`); \`machine_cpu_us_per_event\` is all processes"
  echo "on the machine (broker and sink included) per delivered event: 2 cores / that = the ceiling."
  echo
  echo "| upstream | legacy consumer | Spillway delivery (1 instance) | ratio |"
  echo "|---|---|---|---|"
  echo "| instant (\`sink.sh -m return\`) | $lf events/s | $sf events/s | **$(rat "$sf" "$lf")** |"
  echo "| 50 ms (\`sink.sh -m delay -d 0.05\`) | $ld events/s | $sd events/s | **$(rat "$sd" "$ld")** |"
  echo "| 200 ms, TLS, HTTP/2 (nginx, $TLS_INFLIGHT in flight) | - | $st events/s over $st_conn connections | - |"
  echo
  echo "Delivery JVM CPU per event: instant upstream $cpu µs (median of the rounds); 200 ms TLS HTTP/2 upstream $st_cpu µs"
  echo "(machine: $st_machine µs, TLS on both ends included)."
  echo
  echo '```'
  grep -h -E '^(consumer|spillway):|^cpu_us_per_event' "$OUT/legacy-return.txt" "$OUT/legacy-delay.txt" "$OUT/spillway.txt" 2>/dev/null || true
  echo '```'
} > "$FRAG"
echo "fragment: $FRAG" >&2
