#!/usr/bin/env bash
# Where the time goes, per delivery (docs/benchmarks.md, "Issue 12, second pass").
#
#   bench/where.sh stream [RATE] [SECONDS]   CPU of the Runway JVM and of PostgreSQL per delivery
#                                            at a fixed rate (open model, 64 connections), and
#                                            PostgreSQL's statements by total time
#   bench/where.sh drain [DELIVERIES]        a backlog filled by a Runway that falls behind, then drained with
#                                            RUNWAY_DISPATCH_THREADS=4: jobs/s, CPU per job, statements
#
# PostgreSQL is a separate server started from the embedded binaries (the same PostgreSQL 18 as the
# embedded one, fsync and synchronous_commit on) with pg_stat_statements loaded, on 127.0.0.1:55432
# with its data in $WHERE_PG (default /tmp/runway-where-pg). Needs target/runway.jar and
# target/runway-bench.jar (mvn -Pbench -DskipTests package) and psql. Everything it starts, it stops.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-stream}
PGDATA_DIR=${WHERE_PG:-/tmp/runway-where-pg}
PGPORT=55432
BIN=$(ls -d /tmp/embedded-pg/PG-*/bin 2>/dev/null | head -1)
[[ -n $BIN ]] || { echo "no embedded PostgreSQL binaries under /tmp/embedded-pg: run Runway once first"; exit 1; }
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

psql_() { psql -qAtX -h 127.0.0.1 -p $PGPORT -U postgres "$@"; }
if ! psql_ -c 'select 1' >/dev/null 2>&1; then
  rm -rf "$PGDATA_DIR"
  unshare -U "$BIN/initdb" -A trust -U postgres -D "$PGDATA_DIR" -E UTF-8 >/dev/null
  unshare -U "$BIN/postgres" -D "$PGDATA_DIR" -p $PGPORT -c listen_addresses=127.0.0.1 \
    -c shared_preload_libraries=pg_stat_statements -c fsync=on -c synchronous_commit=on \
    -c max_connections=200 >"$PGDATA_DIR.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 40); do psql_ -c 'select 1' >/dev/null 2>&1 && break; sleep 0.25; done
fi
DB=where$(date +%s)
psql_ -c "create database $DB"
psql_ -d "$DB" -c "create extension pg_stat_statements"
URL=jdbc:postgresql://127.0.0.1:$PGPORT/$DB
DATA=$(mktemp -d /tmp/runway-where.XXXX)
PM=$(head -1 "$(psql_ -c "show data_directory")/postmaster.pid")
ticks() { local t=0 p; for p in "$@"; do [[ -r /proc/$p/stat ]] && t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat"))); done; echo $t; }
pg_ticks() { ticks "$PM" $(pgrep -P "$PM"); }
start() { # start ENV...: Runway on the external database; sets RPID
  env RUNWAY_PORT=18181 RUNWAY_ADMIN_PORT=18182 RUNWAY_WEBHOOK_SECRETS=bench-secret RUNWAY_DATA_DIR="$DATA" \
    RUNWAY_DATABASE_URL="$URL" RUNWAY_DATABASE_USER=postgres RUNWAY_POOLS="file:$PWD/pools.yaml" "$@" \
    java -jar target/runway.jar serve >>"$DATA/service.log" 2>&1 &
  RPID=$!; PIDS+=($RPID)
  for _ in $(seq 1 120); do curl -fsS localhost:18181/readyz >/dev/null 2>&1 && return; sleep 0.5; done
  echo "Runway did not start; see $DATA/service.log"; exit 1
}
stop() { kill "$RPID"; wait "$RPID" 2>/dev/null || true; }
gen() { java -Xmx1g -jar target/runway-bench.jar load --url http://127.0.0.1:18181/webhooks/github --secret bench-secret "$@"; }
statements() {
  psql -X -h 127.0.0.1 -p $PGPORT -U postgres -d "$DB" -c "select calls, round(total_exec_time::numeric) as total_ms,
    round((total_exec_time / calls)::numeric, 3) as ms_per_call, rows,
    left(regexp_replace(query, '\s+', ' ', 'g'), 90) as statement
    from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
    order by total_exec_time desc limit 12"
}
accounts() { RUNWAY_DATABASE_URL="$URL" RUNWAY_DATABASE_USER=postgres java -jar target/runway.jar accounts set acme \
  --installation-id 4242 --max-concurrent 1000000 --enabled >/dev/null; }

case $MODE in
  stream)
    RATE=${2:-500} SECS=${3:-30}
    start RUNWAY_DISPATCH_THREADS=4
    accounts
    gen --rate 300 --duration 15 --connections 32 --quiet >/dev/null # warm-up, not counted
    sleep 5
    psql_ -d "$DB" -c "select pg_stat_statements_reset()" >/dev/null
    J0=$(ticks "$RPID"); P0=$(pg_ticks)
    gen --rate "$RATE" --duration "$SECS" --warmup 0 --connections 64 | tail -1
    sleep 5
    J1=$(ticks "$RPID"); P1=$(pg_ticks)
    N=$((RATE * SECS))
    awk -v j=$((J1 - J0)) -v p=$((P1 - P0)) -v n=$N -v hz="$(getconf CLK_TCK)" \
      'BEGIN { printf "CPU per delivery: Runway JVM %.3f ms, PostgreSQL %.3f ms (%d deliveries)\n", j*1000/hz/n, p*1000/hz/n, n }'
    curl -fsS localhost:18182/metrics | grep -E '^runway_webhook_ack_seconds_count|^runway_intake_batch_size_(count|sum)'
    statements
    stop ;;
  drain)
    N=${2:-30000}
    # Batches of 2 on one thread fall behind a closed-loop fill, so most deliveries stay queued,
    # enqueued as a batching Runway enqueues them. WHERE_FILL_BATCH=1 fills with batching off.
    start RUNWAY_DISPATCH_THREADS=1 RUNWAY_DISPATCH_BATCH="${WHERE_FILL_BATCH:-2}"
    accounts
    gen --requests "$N" --duration 600 --connections 32 --quiet | tail -1
    stop
    # WHERE_VACUUM=1 vacuums before the drain, as if autovacuum had come by after the fill.
    [[ ${WHERE_VACUUM:-0} == 1 ]] && psql_ -d "$DB" -c "vacuum analyze" >/dev/null
    psql_ -d "$DB" -c "select pg_stat_statements_reset()" >/dev/null
    echo "backlog: $(psql_ -d "$DB" -c "select count(*) from scheduled_tasks") tasks"
    SINCE=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
    P0=$(pg_ticks)
    start RUNWAY_DISPATCH_THREADS=4
    J0=$(ticks "$RPID")
    for _ in $(seq 1 600); do [[ $(psql_ -d "$DB" -c "select count(*) from scheduled_tasks") == 0 ]] && break; sleep 0.5; done
    J1=$(ticks "$RPID"); P1=$(pg_ticks)
    psql_ -d "$DB" -F ' ' -c "select count(*), round(count(*) / extract(epoch from max(dispatched_at) - min(dispatched_at))) from jobs where dispatched_at > '$SINCE'" |
      while read -r n rate; do
        echo "drained $n jobs at $rate jobs/s"
        awk -v j=$((J1 - J0)) -v p=$((P1 - P0)) -v n="$n" -v hz="$(getconf CLK_TCK)" \
          'BEGIN { printf "CPU per job: Runway JVM %.3f ms (start-up included), PostgreSQL %.3f ms\n", j*1000/hz/n, p*1000/hz/n }'
      done
    statements
    stop ;;
  *) echo "usage: bench/where.sh stream [RATE] [SECONDS] | drain [DELIVERIES]"; exit 2 ;;
esac
rm -rf "$DATA"
