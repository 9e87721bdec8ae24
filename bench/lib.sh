# Shared helpers for Runway's benchmark and fault-drill scripts. Source it after setting:
#   ROOT (repository root), OUT (results directory), JSON (results.jsonl), WORK (scratch directory
#   removed at exit), SECRET (webhook secret), GEN_OPTS (JVM options of the generator),
#   RUNWAY_JAVA_OPTS (JVM options of the service); then `trap cleanup EXIT`.
# Every helper is bounded in time, sends traffic to 127.0.0.1 only, and signals only processes
# this script started (their PIDs are kept in PIDS).

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$OUT/run.log" >&2; }

# ---------------------------------------------------------------- processes we started, by PID
PIDS=()
forget_pid() { # drop a PID that has ended, so that cleanup never signals a reused PID
  local p keep=()
  for p in "${PIDS[@]:-}"; do [[ -n $p && $p != "$1" ]] && keep+=("$p"); done
  PIDS=("${keep[@]:-}")
}
cleanup() {
  local p f
  for p in "${PIDS[@]:-}"; do
    [[ -n $p ]] && kill -TERM "$p" 2>/dev/null || true
  done
  for p in "${PIDS[@]:-}"; do
    [[ -n $p ]] || continue
    for _ in $(seq 1 40); do kill -0 "$p" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$p" 2>/dev/null || true
  done
  # An embedded PostgreSQL left behind by a service that had to be killed: ours only, by the
  # PID in its own data directory, checked against its command line.
  for f in "$WORK"/*/postgres/postmaster.pid; do
    [[ -f $f ]] || continue
    p=$(head -1 "$f")
    if [[ -n $p ]] && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q "$WORK"; then
      kill -INT "$p" 2>/dev/null || true
    fi
  done
  rm -rf "$WORK"
}

stop_pid() { # stop_pid PID: TERM, wait up to 30 s, then KILL
  local p=$1
  if kill -TERM "$p" 2>/dev/null; then
    for _ in $(seq 1 120); do kill -0 "$p" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$p" 2>/dev/null; then
      log "PID $p did not stop in 30 s; killing it"
      kill -KILL "$p" 2>/dev/null || true
    fi
  fi
  wait "$p" 2>/dev/null || true
  forget_pid "$p"
}

free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$(shuf -i 20000-60000 -n 1)
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  echo "no free port found" >&2; return 1
}

wait_http() { # wait_http URL SECONDS
  local url=$1 limit=$2 i
  for i in $(seq 1 $((limit * 4))); do
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
    sleep 0.25
  done
  log "timed out waiting for $url"; return 1
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

RSS_SAMPLER=
rss_start() { # rss_start PID FILE: sample VmRSS once a second (at most an hour) into FILE
  local pid=$1 file=$2
  : >"$file"
  ( for _ in $(seq 1 3600); do kill -0 "$pid" 2>/dev/null || break; rss_kb "$pid" >>"$file"; sleep 1; done ) &
  RSS_SAMPLER=$!
  PIDS+=("$RSS_SAMPLER")
}
rss_stop() { # rss_stop FILE: prints the highest sample in kB
  [[ -n $RSS_SAMPLER ]] && kill "$RSS_SAMPLER" 2>/dev/null || true
  wait "$RSS_SAMPLER" 2>/dev/null || true
  forget_pid "$RSS_SAMPLER"
  RSS_SAMPLER=
  sort -n "$1" | tail -1
}

jget() { # jget JSON_LINE FIELD: a number or string field of a flat JSON object
  local v
  v=$(grep -o "\"$2\":[^,}]*" <<<"$1" | head -1 | cut -d: -f2- | tr -d '"')
  echo "${v:-}"
}

record() { echo "$1" >>"$JSON"; }
num() { echo "${1:-0}"; }

gen() { # gen ARGS...: the Java load generator, JSON line on stdout
  # shellcheck disable=SC2086
  java $GEN_OPTS -jar "$ROOT/target/runway-bench.jar" load --quiet --secret "$SECRET" \
    --payload "$ROOT/bench/payload-queued.json" "$@" | tail -1 || true
}

# ---------------------------------------------------------------- receivers and the service
start_limit() { # -> SERVICE_PID, SERVICE_URL
  local port; port=$(free_port)
  java -jar target/runway-bench.jar limit-server --port "$port" --max-seconds 7200 >"$OUT/limit.log" 2>&1 &
  SERVICE_PID=$!; PIDS+=("$SERVICE_PID")
  SERVICE_URL=http://127.0.0.1:$port/webhooks/github
  for _ in $(seq 1 120); do grep -q listening "$OUT/limit.log" && return 0; sleep 0.25; done
  log "limit server did not start"; return 1
}

start_octokit() {
  local port; port=$(free_port)
  (cd bench/octokit && PORT=$port SECRET=$SECRET MAX_SECONDS=7200 exec node server.mjs) >"$OUT/octokit.log" 2>&1 &
  SERVICE_PID=$!; PIDS+=("$SERVICE_PID")
  SERVICE_URL=http://127.0.0.1:$port/webhooks/github
  for _ in $(seq 1 120); do grep -q listening "$OUT/octokit.log" && return 0; sleep 0.25; done
  log "octokit receiver did not start"; return 1
}

# start_runway DATA_DIR THREADS POOLS [EXTRA_ENV...]
#   -> SERVICE_PID, SERVICE_URL, RUNWAY_BASE (public port), ADMIN_BASE (management port: /metrics)
start_runway() {
  local data=$1 threads=$2 pools=$3; shift 3
  local port admin; port=$(free_port); admin=$(free_port)
  mkdir -p "$data"
  ADMIN_BASE=http://127.0.0.1:$admin
  # shellcheck disable=SC2086
  env RUNWAY_PORT="$port" RUNWAY_ADMIN_PORT="$admin" RUNWAY_WEBHOOK_SECRETS="$SECRET" RUNWAY_DATA_DIR="$data" \
    RUNWAY_POOLS="$pools" RUNWAY_DISPATCH_THREADS="$threads" "$@" \
    java $RUNWAY_JAVA_OPTS -jar target/runway.jar serve >>"$data/service.log" 2>&1 &
  SERVICE_PID=$!; PIDS+=("$SERVICE_PID")
  RUNWAY_BASE=http://127.0.0.1:$port
  SERVICE_URL=$RUNWAY_BASE/webhooks/github
}

runway_ready() { # runway_ready DATA_DIR: wait for /readyz, then enable the payload's account
  wait_http "$RUNWAY_BASE/readyz" 120
  RUNWAY_DATA_DIR=$1 timeout 60 java -jar target/runway.jar accounts set acme \
    --installation-id 4242 --max-concurrent 1000000 --enabled >>"$1/cli.log" 2>&1
}

keep_log() { # keep_log DATA_DIR NAME: the service's log, gzipped, into the results
  [[ -f $1/service.log ]] && gzip -c "$1/service.log" >"$OUT/$2-service.log.gz" || true
}

stop_postgres() { # stop_postgres DATA_DIR: fast shutdown of the embedded PostgreSQL (SIGINT)
  local pid; pid=$(head -1 "$1/postgres/postmaster.pid")
  log "stopping the embedded PostgreSQL (postmaster PID $pid)"
  kill -INT "$pid"
  for _ in $(seq 1 80); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.25; done
  kill -KILL "$pid" 2>/dev/null || true
}

