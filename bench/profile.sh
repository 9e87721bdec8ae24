#!/usr/bin/env bash
# Profiles Runway's intake path under closed-loop load with Java Flight Recorder:
#
#   bench/profile.sh                # PROFILE_SECONDS=20, wrk -t2 -c32, dispatch running
#
# Starts Runway on a fresh embedded PostgreSQL with -XX:StartFlightRecording (settings=profile),
# sends the bench body with wrk, stops Runway, and writes to bench/results/profile-<UTC>/ the
# recording, `jfr summary`, and the hottest frames of jdk.ExecutionSample: top frames (self time)
# and, for each package, the share of samples whose stack passes through it (total time).
# All traffic stays on 127.0.0.1; only the processes it started are stopped.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SECONDS_LOAD=${PROFILE_SECONDS:-20}
SECRET=bench-secret
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$ROOT/bench/results/profile-$STAMP
JSON=$OUT/results.jsonl
mkdir -p "$OUT"
WORK=$(mktemp -d "${BENCH_TMP:-/tmp}/runway-profile.XXXXXX")
GEN_OPTS=${BENCH_GEN_OPTS:-"-Xmx1g"}
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
trap cleanup EXIT
[[ ${BENCH_SKIP_BUILD:-0} == 1 ]] || mvn -q -Pbench -DskipTests package
RUNWAY_JAVA_OPTS="-XX:StartFlightRecording=filename=$OUT/runway.jfr,settings=profile,dumponexit=true"
start_runway "$WORK/runway" 4 "file:$ROOT/pools.yaml"
runway_ready "$WORK/runway"
gen --url "$SERVICE_URL" --duration 10 --connections 32 --label profile-warmup >/dev/null
sig="sha256=$(openssl dgst -sha256 -hmac "$SECRET" -r bench/payload-queued.json | cut -d' ' -f1)"
top -b -d "$SECONDS_LOAD" -n 2 >"$OUT/top.txt" 2>&1 &
TOP_PID=$!; PIDS+=("$TOP_PID")
BODY=bench/payload-queued.json SIG=$sig wrk -t2 -c32 -d"${SECONDS_LOAD}s" --latency \
  -s bench/wrk/webhook.lua "$SERVICE_URL" >"$OUT/wrk.txt" 2>&1 || true
wait "$TOP_PID" || true
stop_pid "$SERVICE_PID"
jfr summary "$OUT/runway.jfr" >"$OUT/jfr-summary.txt"
jfr print --events jdk.ExecutionSample --stack-depth 64 "$OUT/runway.jfr" | python3 -c '
import collections, re, sys
samples, top, through = 0, collections.Counter(), collections.Counter()
stack = None
for line in sys.stdin:
    s = line.strip()
    if s.startswith("stackTrace = ["):
        stack = []
    elif stack is not None and s.startswith("]"):
        if stack:
            samples += 1
            top[stack[0]] += 1
            seen = set()
            for f in stack:
                m = re.match(r"([a-z0-9_.]+)\.[A-Z]", f)
                pkg = ".".join(m.group(1).split(".")[:3]) if m else f.split("(")[0]
                if pkg not in seen:
                    seen.add(pkg); through[pkg] += 1
        stack = None
    elif stack is not None and s and not s.startswith("..."):
        stack.append(re.sub(r"\s+line:.*", "", s))
print(f"samples: {samples}\n\ntop frames (self):")
for f, n in top.most_common(25):
    print(f"{100*n/samples:5.1f}%  {f}")
print("\npackages on the stack (total):")
for p, n in through.most_common(25):
    print(f"{100*n/samples:5.1f}%  {p}")
' >"$OUT/hot-frames.txt"
grep -E "Requests/sec|p99_ms|Latency" "$OUT/wrk.txt" || true
cat "$OUT/hot-frames.txt"
log "done: $OUT"
