#!/usr/bin/env bash
# Runway's benchmark comparison, in one command (see docs/benchmarks.md).
#
#   bench/run.sh                 full run (about 40 minutes on 2 cores); run it on a quiet machine
#   BENCH_SMOKE=1 bench/run.sh   a short run that only checks the tooling works (numbers mean nothing)
#
# Scenarios (BENCH_SCENARIOS, in this order by default):
#   limit         Jetty 12 handler answering 200 without reading the body (the HTTP limit)
#   octokit       @octokit/webhooks on Node (createNodeMiddleware): verifies, answers 200, stores nothing
#   runway        Runway on its embedded PostgreSQL, healthy; also end-to-end time to claimable and RSS
#   runway-spool  Runway with its PostgreSQL stopped after start (every delivery goes to the disk spool)
#   dispatch      inbox -> claimable jobs per second with RUNWAY_DISPATCH_THREADS 1 2 4 8
#   memory        RSS at rest and with a backlog of 100,000 undispatched deliveries
# For each receiver: a closed-loop warm-up, then fixed-rate steps (open model) up to the highest rate
# whose p99 stays under 25 ms with no error, then a closed-loop max-throughput run with 32
# connections, then (if wrk is installed) the same with wrk -t2 -c32 as in PERFORMANCE.md.
#
# Every load goes to 127.0.0.1, every loop is bounded in time and count, and every process this
# script starts is stopped by its own PID when it ends. Raw JSON lines and a markdown summary land in
# bench/results/<UTC time>/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SMOKE=${BENCH_SMOKE:-0}
if [[ $SMOKE == 1 ]]; then
  d_step=3 d_warm=3 d_max=3 d_rates="200 400" d_jobs=1500 d_threads="1 2" d_backlog=3000 d_rest=3
else
  d_step=20 d_warm=15 d_max=20 d_rest=10
  d_rates="250 500 1000 1500 2000 3000 4000 5000 6000 8000 10000 12000 16000 20000 25000 30000"
  d_jobs=20000 d_threads="1 2 4 8" d_backlog=100000
fi
STEP_SECONDS=${BENCH_STEP_SECONDS:-$d_step}       # measured seconds per fixed-rate step
WARMUP_SECONDS=${BENCH_WARMUP_SECONDS:-$d_warm}   # closed-loop warm-up per receiver, not counted
MAX_SECONDS=${BENCH_MAX_SECONDS:-$d_max}          # closed-loop max-throughput run
REST_SECONDS=${BENCH_REST_SECONDS:-$d_rest}       # idle time before the at-rest RSS reading
RATES=${BENCH_RATES:-$d_rates}
OPEN_CONNECTIONS=${BENCH_CONNECTIONS:-64}         # open-model steps
MAX_CONNECTIONS=${BENCH_MAX_CONNECTIONS:-32}      # closed loop, as the wrk reference (-c32)
P99_BUDGET_MS=${BENCH_P99_MS:-25}
E2E_SAMPLE=${BENCH_E2E_SAMPLE:-0.02}
DISPATCH_JOBS=${BENCH_DISPATCH_JOBS:-$d_jobs}
DISPATCH_THREADS=${BENCH_DISPATCH_THREADS:-$d_threads}
BACKLOG=${BENCH_BACKLOG:-$d_backlog}
OUTAGE_RATE=${BENCH_OUTAGE_RATE:-60}              # req/s during the outage runs
OUTAGE_SECONDS=${BENCH_OUTAGE_SECONDS:-20}
OUTAGE_AT=${BENCH_OUTAGE_AT:-5}
SCENARIOS=${BENCH_SCENARIOS:-"limit octokit runway runway-spool dispatch memory outage"}
GEN_OPTS=${BENCH_GEN_OPTS:-"-Xmx1g"}
RUNWAY_JAVA_OPTS=${RUNWAY_JAVA_OPTS:-}
SECRET=bench-secret
TMP_BASE=${BENCH_TMP:-/tmp}

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$ROOT/bench/results/$STAMP
JSON=$OUT/results.jsonl
SUMMARY=$OUT/summary.md
mkdir -p "$OUT"
WORK=$(mktemp -d "$TMP_BASE/runway-bench.XXXXXX")

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- setup
setup() {
  if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
    log "building target/runway.jar and target/runway-bench.jar (mvn -Pbench -DskipTests package)"
    mvn -q -Pbench -DskipTests package
  fi
  [[ -f target/runway.jar && -f target/runway-bench.jar ]] || { log "jars missing"; exit 1; }
  if [[ " $SCENARIOS " == *" octokit "* ]]; then
    command -v node >/dev/null || { log "node is required for the octokit scenario"; exit 1; }
    if [[ ! -d bench/octokit/node_modules/@octokit/webhooks ]]; then
      log "npm ci in bench/octokit"
      (cd bench/octokit && timeout 600 npm ci --no-audit --no-fund)
    fi
  fi
  if ! command -v wrk >/dev/null && [[ $(id -u) == 0 && ${BENCH_INSTALL:-1} == 1 ]]; then
    log "installing wrk (apt-get)"
    (timeout 300 apt-get update -qq && timeout 300 apt-get install -y -qq wrk) >/dev/null 2>&1 ||
      log "wrk could not be installed; the wrk rows are skipped"
  fi
  {
    echo "# Runway benchmark run $STAMP"
    echo
    echo "- machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
    echo "- java: $(java -version 2>&1 | head -1); node: $(node --version 2>/dev/null || echo none); wrk: $(command -v wrk >/dev/null && { wrk -v 2>&1 || true; } | head -1 | cut -d' ' -f1-2)"
    echo "- git: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (dirty)')"
    echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- body: bench/payload-queued.json ($(wc -c <bench/payload-queued.json) bytes), a new GUID and job id per request"
    echo "- steps: ${STEP_SECONDS}s each at rates [$RATES] req/s, $OPEN_CONNECTIONS connections, open model;"
    echo "  max throughput: closed loop, $MAX_CONNECTIONS connections, ${MAX_SECONDS}s; p99 budget ${P99_BUDGET_MS} ms"
    [[ $SMOKE == 1 ]] && echo "- **SMOKE RUN: short durations, the numbers are not results**"
    echo
  } >"$SUMMARY"
}

# ---------------------------------------------------------------- one receiver: steps, max, wrk
# measure_receiver NAME [generator args for every step...]
# Sets BEST_RATE BEST_P50 BEST_P99 BEST_LINE MAX_LINE WRK_RPS WRK_P99 RSS_REST RSS_LOAD
measure_receiver() {
  local name=$1; shift
  local line p99 err non2xx tput ok r
  BEST_RATE=0 BEST_P50= BEST_P99= BEST_LINE= MAX_LINE= WRK_RPS= WRK_P99=
  sleep "$REST_SECONDS"
  RSS_REST=$(rss_kb "$SERVICE_PID")
  record "{\"bench\":\"rss\",\"label\":\"$name-rest\",\"rss_kb\":$RSS_REST}"
  log "$name: warm-up ${WARMUP_SECONDS}s closed loop (not counted); RSS at rest ${RSS_REST} kB"
  gen --url "$SERVICE_URL" --duration "$WARMUP_SECONDS" --connections "$MAX_CONNECTIONS" \
    --label "$name-warmup" >/dev/null
  sleep 2
  rss_start "$SERVICE_PID" "$OUT/$name-steps.rss"
  for r in $RATES; do
    line=$(gen --url "$SERVICE_URL" --rate "$r" --duration "$STEP_SECONDS" --warmup 2 \
      --connections "$OPEN_CONNECTIONS" --label "$name-rate-$r" --json-out "$JSON" "$@")
    p99=$(jget "$line" p99_ms); err=$(jget "$line" errors); non2xx=$(jget "$line" non2xx)
    tput=$(jget "$line" throughput_rps)
    ok=$(awk -v p="$p99" -v b="$P99_BUDGET_MS" -v e="$err" -v n="$non2xx" -v t="$tput" -v r="$r" \
      'BEGIN { print (p < b && e == 0 && n == 0 && t >= 0.95 * r) ? 1 : 0 }')
    log "$name: $r req/s -> $tput req/s, p50 $(jget "$line" p50_ms) p99 $p99 max $(jget "$line" max_ms) ms, errors $err, non-2xx $non2xx$( [[ -n $(jget "$line" e2e_p50_ms) ]] && echo ", e2e p50 $(jget "$line" e2e_p50_ms) p99 $(jget "$line" e2e_p99_ms) ms")"
    if [[ $ok == 1 ]]; then
      BEST_RATE=$r BEST_P50=$(jget "$line" p50_ms) BEST_P99=$p99 BEST_LINE=$line
    else
      break
    fi
    sleep 2
  done
  RSS_LOAD=$(rss_stop "$OUT/$name-steps.rss")
  record "{\"bench\":\"rss\",\"label\":\"$name-steps-peak\",\"rss_kb\":${RSS_LOAD:-0}}"
  record "{\"bench\":\"sustained\",\"label\":\"$name\",\"rate\":$BEST_RATE,\"p50_ms\":${BEST_P50:-null},\"p99_ms\":${BEST_P99:-null}}"
  log "$name: highest rate with p99 < ${P99_BUDGET_MS} ms: $BEST_RATE req/s; peak RSS ${RSS_LOAD} kB"
  sleep 2
  MAX_LINE=$(gen --url "$SERVICE_URL" --duration "$MAX_SECONDS" --connections "$MAX_CONNECTIONS" \
    --label "$name-max" --json-out "$JSON")
  log "$name: max throughput $(jget "$MAX_LINE" throughput_rps) req/s, p50 $(jget "$MAX_LINE" p50_ms) p99 $(jget "$MAX_LINE" p99_ms) ms, errors $(jget "$MAX_LINE" errors), non-2xx $(jget "$MAX_LINE" non2xx)"
  if command -v wrk >/dev/null; then
    local sig wout
    sig="sha256=$(openssl dgst -sha256 -hmac "$SECRET" -r bench/payload-queued.json | cut -d' ' -f1)"
    sleep 2
    wout=$(BODY=bench/payload-queued.json SIG=$sig timeout $((MAX_SECONDS + 30)) \
      wrk -t2 -c"$MAX_CONNECTIONS" -d"${MAX_SECONDS}s" --latency -s bench/wrk/webhook.lua "$SERVICE_URL" 2>&1 || true)
    echo "$wout" >"$OUT/$name-wrk.txt"
    WRK_RPS=$(awk '/^Requests\/sec:/ {print $2}' <<<"$wout")
    WRK_P99=$(awk '/^p99_ms:/ {print $2}' <<<"$wout")
    record "{\"bench\":\"wrk\",\"label\":\"$name-wrk\",\"throughput_rps\":${WRK_RPS:-null},\"p50_ms\":$(awk '/^p50_ms:/ {print $2}' <<<"$wout" | grep . || echo null),\"p99_ms\":${WRK_P99:-null},\"non2xx_or_errors\":$(awk '/^non2xx_or_errors:/ {print $2}' <<<"$wout" | grep . || echo null)}"
    log "$name: wrk -t2 -c$MAX_CONNECTIONS: ${WRK_RPS:-?} req/s, p99 ${WRK_P99:-?} ms"
  fi
}

ROWS=""
row() { # row NAME: one line of the receivers table
  local n=$1
  ROWS+="| $n | ${BEST_RATE} | ${BEST_P50:--} / ${BEST_P99:--} | $(jget "$MAX_LINE" throughput_rps) | $(jget "$MAX_LINE" p50_ms) / $(jget "$MAX_LINE" p99_ms) / $(jget "$MAX_LINE" max_ms) | $(( $(num "$(jget "$MAX_LINE" errors)") + $(num "$(jget "$MAX_LINE" non2xx)") )) | ${WRK_RPS:--} | $((RSS_REST / 1024)) | $((${RSS_LOAD:-0} / 1024)) |"$'\n'
}
declare -A SUSTAINED MAXRPS P99AT

scenario_limit() {
  start_limit
  measure_receiver limit
  stop_pid "$SERVICE_PID"; row "limit (Jetty 12, 200, body unread)"
  SUSTAINED[limit]=$BEST_RATE MAXRPS[limit]=$(jget "$MAX_LINE" throughput_rps)
}

scenario_octokit() {
  start_octokit
  measure_receiver octokit
  stop_pid "$SERVICE_PID"; row "@octokit/webhooks $(node -p 'require("./bench/octokit/node_modules/@octokit/webhooks/package.json").version') on Node $(node --version)"
  SUSTAINED[octokit]=$BEST_RATE MAXRPS[octokit]=$(jget "$MAX_LINE" throughput_rps) P99AT[octokit]=${BEST_P99:-}
}

scenario_runway() {
  local data=$WORK/runway
  start_runway "$data" 4 "file:$ROOT/pools.yaml"
  runway_ready "$data"
  measure_receiver runway --e2e-sample "$E2E_SAMPLE" --e2e-wait 10 --data-dir "$data"
  E2E_LINE=$BEST_LINE
  curl -fsS --max-time 5 "$ADMIN_BASE/metrics" >"$OUT/runway-metrics.txt" 2>/dev/null || true
  stop_pid "$SERVICE_PID"; row "Runway (embedded PostgreSQL, healthy)"
  SUSTAINED[runway]=$BEST_RATE MAXRPS[runway]=$(jget "$MAX_LINE" throughput_rps) P99AT[runway]=${BEST_P99:-}
  RSS_RUNWAY_REST=$RSS_REST RSS_RUNWAY_LOAD=$RSS_LOAD
  keep_log "$data" runway
  rm -rf "$data"
}

scenario_runway_spool() {
  local data=$WORK/runway-spool
  # The spool must not fill up during the run: allow 32 GiB (the default is 1 GiB).
  start_runway "$data" 4 "file:$ROOT/pools.yaml" RUNWAY_SPOOL_MAX_BYTES=$((32 << 30))
  runway_ready "$data"
  stop_postgres "$data"
  measure_receiver runway-spool
  curl -fsS --max-time 5 "$ADMIN_BASE/metrics" >"$OUT/runway-spool-metrics.txt" 2>/dev/null || true
  log "runway-spool: $(grep -E '^runway_webhook_requests_total' "$OUT/runway-spool-metrics.txt" | tr '\n' ' ')"
  stop_pid "$SERVICE_PID"; row "Runway, PostgreSQL stopped (spool only)"
  keep_log "$data" runway-spool
  rm -rf "$data"
}

scenario_dispatch() {
  local k data since line
  DISPATCH_ROWS=""
  for k in $DISPATCH_THREADS; do
    data=$WORK/dispatch-$k
    # 1. Fill the inbox with one dispatch thread and batches of 2 (it keeps up with only part of
    #    the intake, so most of the deliveries stay queued, enqueued as a batching Runway does).
    start_runway "$data" 1 "file:$ROOT/pools.yaml" RUNWAY_DISPATCH_BATCH="${BENCH_FILL_BATCH:-2}"
    runway_ready "$data"
    line=$(gen --url "$SERVICE_URL" --duration 600 --requests "$DISPATCH_JOBS" \
      --connections "$MAX_CONNECTIONS" --label "dispatch-fill-$k" --json-out "$JSON")
    log "dispatch: filled $(jget "$line" requests) deliveries at $(jget "$line" throughput_rps) req/s"
    stop_pid "$SERVICE_PID"
    # 2. Restart with k threads and time the backlog from the inbox to claimable jobs.
    rm -f "$data/embedded-jdbc-url"
    since=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
    start_runway "$data" "$k" "file:$ROOT/pools.yaml"
    line=$(java $GEN_OPTS -jar target/runway-bench.jar dispatch-watch --data-dir "$data" \
      --since "$since" --timeout 600 --idle 15 --label "dispatch-threads-$k" --json-out "$JSON" | tail -1)
    log "dispatch: $k thread(s): $(jget "$line" dispatched) jobs, $(jget "$line" jobs_per_s) jobs/s (steady $(jget "$line" steady_jobs_per_s)), $(jget "$line" queue_left) left"
    DISPATCH_ROWS+="| $k | $(jget "$line" dispatched) | $(jget "$line" claimable) | $(jget "$line" span_s) | $(jget "$line" jobs_per_s) | $(jget "$line" steady_jobs_per_s) | $(jget "$line" queue_left) |"$'\n'
    stop_pid "$SERVICE_PID"
    keep_log "$data" "dispatch-$k"
    rm -rf "$data"
  done
}

scenario_memory() {
  local data=$WORK/memory line rest fill after depth
  # The pools file does not exist, so every dispatch is retried with backoff (an unknown pool
  # source is never "no pools"): the backlog stays undispatched, as during a Kubernetes outage.
  # Where the memory goes: the GC log (heap size after each collection), native memory tracking
  # (heap vs metaspace, threads, code, GC structures) and a class histogram, read after the figures.
  local RUNWAY_JAVA_OPTS="$RUNWAY_JAVA_OPTS -Xlog:gc*:file=$OUT/memory-gc.log:uptime -XX:NativeMemoryTracking=summary"
  start_runway "$data" 1 "file:$WORK/no-such-pools.yaml"
  runway_ready "$data"
  sleep "$REST_SECONDS"
  rest=$(rss_kb "$SERVICE_PID")
  jcmd "$SERVICE_PID" VM.native_memory summary >"$OUT/memory-nmt-rest.txt" 2>&1 || true
  rss_start "$SERVICE_PID" "$OUT/memory-fill.rss"
  line=$(gen --url "$SERVICE_URL" --duration 900 --requests "$BACKLOG" \
    --connections "$MAX_CONNECTIONS" --label "memory-backlog-fill" --json-out "$JSON")
  fill=$(rss_stop "$OUT/memory-fill.rss")
  jcmd "$SERVICE_PID" VM.native_memory summary >"$OUT/memory-nmt-filled.txt" 2>&1 || true
  jcmd "$SERVICE_PID" GC.heap_info >"$OUT/memory-heap-filled.txt" 2>&1 || true
  sleep 30
  after=$(rss_kb "$SERVICE_PID")
  # The histogram forces a full collection, so it comes after every RSS reading.
  jcmd "$SERVICE_PID" GC.class_histogram 2>&1 | head -40 >"$OUT/memory-histogram.txt" || true
  sleep 6 # the queue-depth gauge refreshes every 5 s
  depth=$(curl -fsS --max-time 5 "$ADMIN_BASE/metrics" | awk '/^runway_queue_depth/ {printf "%d", $2}' || true)
  record "{\"bench\":\"memory\",\"label\":\"backlog\",\"sent\":$(jget "$line" requests),\"queue_depth\":${depth:-null},\"rss_rest_kb\":$rest,\"rss_fill_peak_kb\":${fill:-0},\"rss_after_30s_kb\":$after}"
  log "memory: rest $((rest / 1024)) MiB, peak while filling $((${fill:-0} / 1024)) MiB, 30 s later $((after / 1024)) MiB, queue depth $depth"
  MEMORY_ROWS="| at rest (${REST_SECONDS}s after start, 1 dispatch thread) | $((rest / 1024)) |"$'\n'
  MEMORY_ROWS+="| peak while $(jget "$line" requests) deliveries arrive (dispatch blocked) | $((${fill:-0} / 1024)) |"$'\n'
  MEMORY_ROWS+="| 30 s later, backlog ${depth:-?} undispatched | $((after / 1024)) |"$'\n'
  stop_pid "$SERVICE_PID"
  keep_log "$data" memory
  rm -rf "$data"
}

pg_pids() { # pg_pids DATA_DIR: the embedded postmaster and its children
  local pid; pid=$(head -1 "$1/postgres/postmaster.pid")
  echo "$pid" $(pgrep -P "$pid" || true)
}

scenario_outage() {
  # Ack latency at OUTAGE_RATE req/s while the embedded PostgreSQL is frozen (SIGSTOP) and then
  # killed (SIGKILL): each run sends for OUTAGE_SECONDS, the fault comes OUTAGE_AT seconds in and
  # lasts to the end, so the detection window is inside the measured requests.
  local data=$WORK/outage line pids kind fault
  OUTAGE_ROWS=""
  for kind in frozen killed; do
    rm -rf "$data"
    start_runway "$data" 4 "file:$ROOT/pools.yaml"
    runway_ready "$data"
    gen --url "$SERVICE_URL" --rate "$OUTAGE_RATE" --duration 10 --connections "$OPEN_CONNECTIONS" \
      --label "outage-$kind-warmup" >/dev/null
    pids=$(pg_pids "$data")
    ( sleep "$OUTAGE_AT"
      if [[ $kind == frozen ]]; then kill -STOP $pids; else kill -KILL $pids; fi ) &
    fault=$!
    line=$(gen --url "$SERVICE_URL" --rate "$OUTAGE_RATE" --duration "$OUTAGE_SECONDS" --warmup 0 \
      --connections "$OPEN_CONNECTIONS" --label "outage-$kind" --json-out "$JSON")
    wait "$fault" || true
    log "outage ($kind at ${OUTAGE_AT}s): p50 $(jget "$line" p50_ms) p99 $(jget "$line" p99_ms) max $(jget "$line" max_ms) ms, errors $(jget "$line" errors), non-2xx $(jget "$line" non2xx)"
    curl -fsS --max-time 5 "$ADMIN_BASE/metrics" >"$OUT/outage-$kind-metrics.txt" 2>/dev/null || true
    OUTAGE_ROWS+="| PostgreSQL $kind | $(jget "$line" requests) | $(jget "$line" p50_ms) | $(jget "$line" p99_ms) | $(jget "$line" max_ms) | $(( $(num "$(jget "$line" errors)") + $(num "$(jget "$line" non2xx)") )) |"$'\n'
    [[ $kind == frozen ]] && kill -CONT $pids 2>/dev/null || true
    stop_pid "$SERVICE_PID"
    kill -KILL $pids 2>/dev/null || true
    keep_log "$data" "outage-$kind"
  done
  rm -rf "$data"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }

write_summary() {
  {
    echo "## Receivers"
    echo
    echo "| receiver | highest rate with p99 < ${P99_BUDGET_MS} ms (req/s) | p50 / p99 there (ms) | max throughput, closed loop (req/s) | p50 / p99 / max there (ms) | errors + non-2xx | wrk -t2 -c${MAX_CONNECTIONS} (req/s) | RSS at rest (MiB) | RSS peak in steps (MiB) |"
    echo "|---|---|---|---|---|---|---|---|---|"
    printf '%s' "$ROWS"
    echo
    if [[ -n ${SUSTAINED[runway]:-} ]]; then
      echo "- Runway sustained rate / the limit's: $(ratio "${SUSTAINED[runway]}" "${SUSTAINED[limit]:-}")"
      echo "- Runway sustained rate / octokit's: $(ratio "${SUSTAINED[runway]}" "${SUSTAINED[octokit]:-}"); max throughput ratio: $(ratio "${MAXRPS[runway]}" "${MAXRPS[octokit]:-}"); p99 at the sustained rate, Runway / octokit: $(ratio "${P99AT[runway]}" "${P99AT[octokit]:-}")"
    fi
    if [[ -n ${E2E_LINE:-} ]]; then
      echo "- Runway end-to-end, delivery sent to job claimable, at $(jget "$E2E_LINE" target_rate) req/s ($(jget "$E2E_LINE" e2e_found) sampled jobs, $(jget "$E2E_LINE" e2e_missing) missing): p50 $(jget "$E2E_LINE" e2e_p50_ms) ms, p99 $(jget "$E2E_LINE" e2e_p99_ms) ms, max $(jget "$E2E_LINE" e2e_max_ms) ms"
    fi
    if [[ -n ${DISPATCH_ROWS:-} ]]; then
      echo
      echo "## Dispatch: inbox to claimable (backlog of up to $DISPATCH_JOBS deliveries, drained after a restart)"
      echo
      echo "| RUNWAY_DISPATCH_THREADS | jobs dispatched | claimable | span (s) | jobs/s | steady jobs/s (10-90%) | left in queue |"
      echo "|---|---|---|---|---|---|---|"
      printf '%s' "$DISPATCH_ROWS"
    fi
    if [[ -n ${OUTAGE_ROWS:-} ]]; then
      echo
      echo "## Ack latency during a PostgreSQL outage ($OUTAGE_RATE req/s, fault ${OUTAGE_AT}s into ${OUTAGE_SECONDS}s)"
      echo
      echo "| fault | requests | p50 (ms) | p99 (ms) | max (ms) | errors + non-2xx |"
      echo "|---|---|---|---|---|---|"
      printf '%s' "$OUTAGE_ROWS"
    fi
    if [[ -n ${MEMORY_ROWS:-} ]]; then
      echo
      echo "## Memory (VmRSS of the Runway JVM; the embedded PostgreSQL is separate processes)"
      echo
      echo "| state | RSS (MiB) |"
      echo "|---|---|"
      [[ -n ${RSS_RUNWAY_REST:-} ]] && echo "| healthy, at rest | $((RSS_RUNWAY_REST / 1024)) |"
      [[ -n ${RSS_RUNWAY_LOAD:-} ]] && echo "| healthy, peak during the fixed-rate steps | $((RSS_RUNWAY_LOAD / 1024)) |"
      printf '%s' "$MEMORY_ROWS"
    fi
    echo
    echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- raw JSON lines: results.jsonl; log: run.log"
  } >>"$SUMMARY"
}

setup
for s in $SCENARIOS; do
  case $s in
    limit) scenario_limit ;;
    octokit) scenario_octokit ;;
    runway) scenario_runway ;;
    runway-spool) scenario_runway_spool ;;
    dispatch) scenario_dispatch ;;
    memory) scenario_memory ;;
    outage) scenario_outage ;;
    *) log "unknown scenario $s"; exit 2 ;;
  esac
done
write_summary
log "done: $SUMMARY"
cat "$SUMMARY"
