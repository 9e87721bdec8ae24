#!/usr/bin/env bash
# Issue 20, item 4: unsigned traffic bounded in aggregate, measured black-box.
#
#   FLOOD_CONNECTIONS (64) senders each post unsigned FLOOD_MB (24) MB bodies, one after another,
#   as fast as they are answered, for FLOOD_SECONDS (60). Meanwhile SIGNED_RATE (5) signed
#   deliveries a second are sent. Reported: the Runway JVM's peak RSS growth over its RSS before
#   the flood (goal: under 300 MiB), the answers the flood got, the signed deliveries' answers
#   (goal: every one 2xx) and how many of them are in the inbox, and the unverified-bytes gauges.
#
#   bench/unverified.sh
#   FLOOD_SECONDS=30 BENCH_SKIP_BUILD=1 bench/unverified.sh
#
# Every load goes to 127.0.0.1; every process this script starts is stopped by its PID. The
# senders are curl processes streaming one file (-T), so the generator holds no 24 MB buffers.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
FLOOD_SECONDS=${FLOOD_SECONDS:-60}
FLOOD_CONNECTIONS=${FLOOD_CONNECTIONS:-64}
FLOOD_MB=${FLOOD_MB:-24}
SIGNED_RATE=${SIGNED_RATE:-5}
SECRET=bench-secret
GEN_OPTS=${BENCH_GEN_OPTS:--Xmx512m}
RUNWAY_JAVA_OPTS=${RUNWAY_JAVA_OPTS:-}
OUT=$ROOT/bench/results/unverified-$(date -u +%Y%m%dT%H%M%SZ)
WORK=$(mktemp -d "${BENCH_TMP:-/tmp}/runway-unverified.XXXXXX")
JSON=$OUT/results.jsonl
mkdir -p "$OUT"
# shellcheck source=bench/lib.sh
source bench/lib.sh
trap cleanup EXIT

command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }
if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
  log "building (mvn -Pbench -DskipTests package)"
  mvn -B -q -o -Pbench -DskipTests package >"$OUT/build.log" 2>&1 || mvn -B -q -Pbench -DskipTests package >"$OUT/build.log" 2>&1
fi
log "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

data=$WORK/svc
start_runway "$data" 4 "file:$ROOT/pools.yaml"
runway_ready "$data"
# Warm the signed path, then let the JVM settle before the baseline.
gen --url "$SERVICE_URL" --rate 50 --duration 10 --warmup 0 --connections 8 --label warmup >/dev/null
sleep 5
base_kb=$(rss_kb "$SERVICE_PID")
log "RSS before the flood: $base_kb kB"

body=$WORK/unsigned.bin
head -c $((FLOOD_MB * 1024 * 1024)) /dev/urandom >"$body"
rss_start "$SERVICE_PID" "$OUT/rss.txt"

sender() { # sender N: unsigned bodies, back to back, until the flood's end
  local n=$1 end=$(( $(date +%s) + FLOOD_SECONDS )) i=0
  while (( $(date +%s) < end )); do
    i=$((i + 1))
    curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 -X POST -T "$body" \
      -H 'Expect:' -H 'Content-Type: application/json' -H 'X-GitHub-Event: workflow_job' \
      -H "X-GitHub-Delivery: flood-$n-$i" -H "X-Hub-Signature-256: sha256=$(printf '0%.0s' {1..64})" \
      "$SERVICE_URL" >>"$WORK/codes-$n.txt" 2>/dev/null || echo 000 >>"$WORK/codes-$n.txt"
  done
}
senders=()
for n in $(seq 1 "$FLOOD_CONNECTIONS"); do
  sender "$n" &
  senders+=("$!"); PIDS+=("$!")
done
# Sample the gauges while the flood is on.
( for _ in $(seq 1 $((FLOOD_SECONDS + 30))); do
    { curl -fsS --max-time 5 "$ADMIN_BASE/metrics" 2>/dev/null || true; } |
      { grep -E '^runway_webhook_unverified_bytes' || true; } | tr '\n' ' '
    echo; sleep 1
  done ) >"$OUT/gauges.txt" &
gauges=$!; PIDS+=("$gauges")
sleep 3
signed=$(gen --url "$SERVICE_URL" --rate "$SIGNED_RATE" --duration $((FLOOD_SECONDS - 6)) --warmup 0 \
  --connections 4 --label signed-during-flood --record "$OUT/signed.csv" --json-out "$JSON")
for p in "${senders[@]}"; do wait "$p" 2>/dev/null || true; forget_pid "$p"; done
peak_kb=$(rss_stop "$OUT/rss.txt")
kill "$gauges" 2>/dev/null || true; wait "$gauges" 2>/dev/null || true; forget_pid "$gauges"

cat "$WORK"/codes-*.txt 2>/dev/null | sort | uniq -c | sort -rn >"$OUT/flood-codes.txt"
mem_max=$({ grep -o 'where="memory"} [0-9.E+]*' "$OUT/gauges.txt" || true; } | awk '{ v = $2 + 0; if (v > m) m = v } END { printf "%d", m }')
disk_max=$({ grep -o 'where="disk"} [0-9.E+]*' "$OUT/gauges.txt" || true; } | awk '{ v = $2 + 0; if (v > m) m = v } END { printf "%d", m }')
stored=$(java -jar target/runway-bench.jar store-check --data-dir "$data" --record "$OUT/signed.csv" || true)
curl -fsS --max-time 5 "$ADMIN_BASE/metrics" >"$OUT/metrics.txt" 2>/dev/null || true
growth_mib=$(( (peak_kb - base_kb) / 1024 ))

log "flood answers (count code): $(tr '\n' ' ' <"$OUT/flood-codes.txt")"
log "signed during the flood: $signed"
log "signed stored: $stored"
log "unverified bytes in memory, highest sample: $mem_max (cap 67108864); on disk: $disk_max"
log "RSS: before $base_kb kB, peak $peak_kb kB, growth $growth_mib MiB (goal < 300 MiB)"
record "{\"bench\":\"unverified\",\"base_kb\":$base_kb,\"peak_kb\":$peak_kb,\"growth_mib\":$growth_mib,\"memory_max\":${mem_max:-0},\"disk_max\":${disk_max:-0}}"
grep -E '^runway_webhook_requests_total' "$OUT/metrics.txt" | tee -a "$OUT/run.log" >&2 || true
stop_pid "$SERVICE_PID"
cp "$data/service.log" "$OUT/service.log" 2>/dev/null || true
log "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
log "results in $OUT"
