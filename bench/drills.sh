#!/usr/bin/env bash
# Fault drills, longer than the versions the CI suite runs, from one command:
#
#   bench/drills.sh                 # DRILL_MIN=1500 deliveries per sender thread (4 threads)
#   DRILL_MIN=300 bench/drills.sh
#
# It runs the drill tests against real PostgreSQL processes (SIGKILL, SIGSTOP/SIGCONT), two
# replicas on one database, the service as a child JVM killed with SIGKILL and stopped with
# SIGTERM, the Kubernetes mock API server stopped after sync or never reachable, and GitHub's
# stand-in answering 5xx. Each drill asserts that every request was answered 2xx inside GitHub's
# 10 s and that nothing was lost or duplicated, and prints a DRILL line; this script collects those
# lines into bench/results/drills-<UTC>.md. All traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
MIN=${DRILL_MIN:-1500}
OUT=bench/results/drills-$(date -u +%Y%m%dT%H%M%SZ).md
mkdir -p bench/results
LOG=$(mktemp)
mvn -B verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test='FaultDrillsIT,ServiceProcessIT,KubernetesDispatchIT,DatabaseOutageIT,ClaimsIT,ClaimsOutageDrillIT' \
  -Ddrill.min="$MIN" | tee "$LOG" | grep -E 'DRILL|Tests run:|BUILD' || true
{
  echo "# Drill run $(date -u +%FT%TZ), DRILL_MIN=$MIN"
  echo
  echo "| drill | acknowledged | non-2xx | stored | via spool | jobs | lost | duplicated |"
  echo "|---|---|---|---|---|---|---|---|"
  grep -o 'DRILL .*' "$LOG" | sed -E 's/DRILL ([^ ]+) acknowledged=([0-9]+) non2xx=([0-9]+) stored=([0-9]+) via_spool=([0-9]+) jobs=([0-9]+) lost=([0-9]+) duplicated=([0-9]+).*/| \1 | \2 | \3 | \4 | \5 | \6 | \7 | \8 |/'
  echo
  grep -E 'Tests run:.*in dev' "$LOG" | sed 's/^\[[A-Z]*\] /- /'
} > "$OUT"
cat "$OUT"
grep -q 'BUILD SUCCESS' "$LOG"
