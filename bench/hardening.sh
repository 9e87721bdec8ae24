#!/usr/bin/env bash
# Issue 16's two measurements (see docs/benchmarks.md, "Hardening"):
#
#   flood  200 req/s of good deliveries alone, then the same alongside a flood of wrongly signed
#          ones (BENCH_FLOOD_RATE, default 5000 req/s); every acknowledged good delivery must be in
#          the inbox, and the good deliveries' ack p99 is reported for both.
#   prune  200 req/s of good deliveries alone, then the same while retention prunes
#          BENCH_PRUNE_ROWS (default 1,000,000) expired inbox rows; ack p99 for both, and how long
#          the prune took.
#
#   bench/hardening.sh                  both (about 10 minutes on 2 cores)
#   BENCH_SCENARIOS=flood bench/hardening.sh
#
# Every load goes to 127.0.0.1; every process this script starts is stopped by its PID.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_MEASURED=${BENCH_SECONDS:-60}
GOOD_RATE=${BENCH_GOOD_RATE:-200}
FLOOD_RATE=${BENCH_FLOOD_RATE:-5000}
PRUNE_ROWS=${BENCH_PRUNE_ROWS:-1000000}
SCENARIOS=${BENCH_SCENARIOS:-flood prune}
SECRET=bench-secret
GEN_OPTS=${BENCH_GEN_OPTS:--Xmx1g}
RUNWAY_JAVA_OPTS=${RUNWAY_JAVA_OPTS:-}
OUT=$ROOT/bench/results/hardening-$(date -u +%Y%m%dT%H%M%SZ)
WORK=$(mktemp -d "${BENCH_TMP:-/tmp}/runway-hardening.XXXXXX")
JSON=$OUT/results.jsonl
mkdir -p "$OUT"
# shellcheck source=bench/lib.sh
source bench/lib.sh
trap cleanup EXIT

if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
  log "building (mvn -Pbench -DskipTests package)"
  mvn -B -q -o -Pbench -DskipTests package >"$OUT/build.log" 2>&1 || mvn -B -q -Pbench -DskipTests package >"$OUT/build.log" 2>&1
fi
log "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

good() { # good LABEL [ARGS...]: GOOD_RATE req/s of signed deliveries, recorded
  local label=$1; shift
  gen --url "$SERVICE_URL" --rate "$GOOD_RATE" --duration "$SECONDS_MEASURED" --warmup 5 \
    --connections 16 --label "$label" --record "$OUT/$label.csv" --json-out "$JSON" "$@"
}

stored() { # stored DATA LABEL: acknowledged vs stored for a recorded run
  java -jar target/runway-bench.jar store-check --data-dir "$1" --record "$OUT/$2.csv" || true
}

scenario_flood() {
  local data=$WORK/flood line alone flooded bad_pid
  start_runway "$data" 4 "file:$ROOT/pools.yaml"
  runway_ready "$data"
  alone=$(good good-alone)
  log "good alone: $alone"
  log "good alone stored: $(stored "$data" good-alone)"
  # The flood: the same body and headers, signed with another secret.
  # shellcheck disable=SC2086
  java $GEN_OPTS -jar target/runway-bench.jar load --quiet --secret wrong-secret \
    --payload bench/payload-queued.json --url "$SERVICE_URL" --rate "$FLOOD_RATE" \
    --duration $((SECONDS_MEASURED + 10)) --warmup 0 --connections 64 --label flood \
    --json-out "$JSON" >"$OUT/flood.txt" 2>&1 &
  bad_pid=$!; PIDS+=("$bad_pid")
  sleep 3
  flooded=$(good good-flooded)
  wait "$bad_pid" 2>/dev/null || true; forget_pid "$bad_pid"
  log "good during flood: $flooded"
  log "flood: $(tail -1 "$OUT/flood.txt")"
  log "good during flood stored: $(stored "$data" good-flooded)"
  curl -fsS --max-time 5 "$ADMIN_BASE/metrics" >"$OUT/flood-metrics.txt" 2>/dev/null ||
    curl -fsS --max-time 5 "$RUNWAY_BASE/metrics" >"$OUT/flood-metrics.txt" 2>/dev/null || true
  grep -E '^runway_webhook_requests_total' "$OUT/flood-metrics.txt" | tee -a "$OUT/run.log" >&2 || true
  stop_pid "$SERVICE_PID"
  keep_log "$data" flood 2>/dev/null || cp "$data/service.log" "$OUT/flood-service.log"
}

scenario_prune() {
  local data=$WORK/prune alone during t0 t1
  # A round runs at start (nothing to prune yet) and then every 20 s.
  start_runway "$data" 4 "file:$ROOT/pools.yaml" RUNWAY_RETENTION_INTERVAL=20s
  runway_ready "$data"
  alone=$(good prune-alone)
  log "good alone: $alone"
  log "seeding $PRUNE_ROWS expired inbox rows (40 days old, settled, 400-byte payloads)"
  java -jar target/runway-bench.jar store-check --data-dir "$data" --sql \
    "insert into inbox (guid, event, action, received_at, payload, outcome, settled_at)
     select 'expired-' || g, 'workflow_job', 'queued', now() - interval '40 days' - g * interval '1 ms',
            convert_to(repeat('x', 400), 'UTF8'), 'queued', now() - interval '40 days'
     from generate_series(1, $PRUNE_ROWS) g" | tee -a "$OUT/run.log" >&2
  java -jar target/runway-bench.jar store-check --data-dir "$data" --sql "vacuum analyze inbox" >/dev/null 2>&1 || true
  t0=$(date +%s)
  during=$(good prune-during)
  t1=$(date +%s)
  log "good during prune: $during"
  log "good during prune stored: $(stored "$data" prune-during)"
  log "expired rows left after the measured window: $(java -jar target/runway-bench.jar store-check --data-dir "$data" --sql "select count(*) from inbox where guid like 'expired-%'")"
  grep -E "retention pruned" "$data/service.log" | tee -a "$OUT/run.log" >&2 || true
  curl -fsS --max-time 5 "$ADMIN_BASE/metrics" >"$OUT/prune-metrics.txt" 2>/dev/null ||
    curl -fsS --max-time 5 "$RUNWAY_BASE/metrics" >"$OUT/prune-metrics.txt" 2>/dev/null || true
  grep -E '^runway_pruned_rows_total' "$OUT/prune-metrics.txt" | tee -a "$OUT/run.log" >&2 || true
  log "measured window: $t0 .. $t1"
  stop_pid "$SERVICE_PID"
  cp "$data/service.log" "$OUT/prune-service.log"
}

for s in $SCENARIOS; do
  "scenario_$s"
done
log "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
log "results in $OUT"
