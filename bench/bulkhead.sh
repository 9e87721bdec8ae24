#!/usr/bin/env bash
# Issue 20, item 1 (see docs/benchmarks.md, "Bulkheads"): the webhook's ack while claims are
# blocked on a slow GitHub.
#
#   alone    BENCH_RATE (default 50) signed deliveries a second for BENCH_SECONDS (60), nothing else
#   claims   the same, while BENCH_CLAIMS (300) claim requests are kept in flight against a pool
#            whose GitHub (bench `slow-github`) answers every call after BENCH_GITHUB_DELAY_MS
#            (15000); each claimer sends its next claim when the last is answered (after its
#            Retry-After when it was a 503), as an agent does
#
# Prints, for both runs, the ack p50/p99/max and the count of 2xx answers, plus the claims'
# answers by status. Every load goes to 127.0.0.1; every process this script starts is stopped by
# its PID.
#
#   bench/bulkhead.sh
#   BENCH_SKIP_BUILD=1 BENCH_SECONDS=30 bench/bulkhead.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_MEASURED=${BENCH_SECONDS:-60}
RATE=${BENCH_RATE:-50}
CLAIMS=${BENCH_CLAIMS:-300}
GITHUB_DELAY_MS=${BENCH_GITHUB_DELAY_MS:-15000}
SECRET=bench-secret
GEN_OPTS=${BENCH_GEN_OPTS:--Xmx512m}
RUNWAY_JAVA_OPTS=${RUNWAY_JAVA_OPTS:-}
OUT=$ROOT/bench/results/bulkhead-$(date -u +%Y%m%dT%H%M%SZ)
WORK=$(mktemp -d "${BENCH_TMP:-/tmp}/runway-bulkhead.XXXXXX")
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

# The App's key: any RSA key will do, the stand-in checks no JWT.
openssl genrsa -out "$WORK/app.pem" 2048 2>/dev/null
cat >"$WORK/pools.yaml" <<'YAML'
pools:
  - name: linux-x64
    labels: [linux, x64]
YAML

gh_port=$(free_port)
java -Xmx256m -jar target/runway-bench.jar slow-github --port "$gh_port" --delay-ms "$GITHUB_DELAY_MS" \
  --max-seconds 3600 >"$OUT/slow-github.log" 2>&1 &
GH_PID=$!; PIDS+=("$GH_PID")
for _ in $(seq 1 120); do grep -q listening "$OUT/slow-github.log" && break; sleep 0.25; done

data=$WORK/svc
start_runway "$data" 4 "file:$WORK/pools.yaml" \
  RUNWAY_GITHUB_APP_ID=1 RUNWAY_GITHUB_PRIVATE_KEY_FILE="$WORK/app.pem" \
  RUNWAY_GITHUB_API_URL="http://127.0.0.1:$gh_port" RUNWAY_REDELIVERY_ENABLED=false
runway_ready "$data"
RUNWAY_DATA_DIR=$data timeout 60 java -jar target/runway.jar pools token create linux-x64 \
  >"$WORK/token" 2>>"$data/cli.log"

# Jobs for the claims to take: every claim then reaches GitHub (a pool with nothing claimable
# would answer 204 at once and measure nothing).
log "queueing jobs for the claims"
gen --url "$SERVICE_URL" --rate 200 --duration 10 --warmup 0 --connections 8 --label prime >/dev/null

alone=$(gen --url "$SERVICE_URL" --rate "$RATE" --duration "$SECONDS_MEASURED" --warmup 5 \
  --connections 16 --label webhooks-alone --json-out "$JSON")
log "webhooks alone: $alone"

java -Xmx512m -jar target/runway-bench.jar claim-flood --url "$RUNWAY_BASE" --pool linux-x64 \
  --token-file "$WORK/token" --in-flight "$CLAIMS" --duration $((SECONDS_MEASURED + 15)) \
  >"$OUT/claims.txt" 2>&1 &
FLOOD_PID=$!; PIDS+=("$FLOOD_PID")
sleep 5
during=$(gen --url "$SERVICE_URL" --rate "$RATE" --duration "$SECONDS_MEASURED" --warmup 5 \
  --connections 16 --label webhooks-during-claims --json-out "$JSON")
log "webhooks during $CLAIMS claims on a ${GITHUB_DELAY_MS} ms GitHub: $during"
curl -fsS --max-time 5 "$ADMIN_BASE/metrics" >"$OUT/metrics.txt" 2>/dev/null || true
grep -E '^runway_(bulkhead|github_requests|github_busy|claims_total)' "$OUT/metrics.txt" |
  tee -a "$OUT/run.log" >&2 || true
wait "$FLOOD_PID" 2>/dev/null || true; forget_pid "$FLOOD_PID"
log "claims: $(tail -1 "$OUT/claims.txt")"
record "$(tail -1 "$OUT/claims.txt")"
stop_pid "$SERVICE_PID"
keep_log "$data" bulkhead
log "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
log "results in $OUT"
