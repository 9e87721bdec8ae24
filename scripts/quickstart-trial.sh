#!/usr/bin/env bash
# Tries docs/quickstart.md on one machine, with GitHub replaced by a WireMock stand-in (no
# internet needed): github-app create through its local page, serve, doctor, accounts, a pool
# token, and a job carried from a signed workflow_job webhook to a claim. When `runway agent`
# exists, the claim is taken by the agent running a stand-in run.sh; otherwise by curl.
#
#   scripts/quickstart-trial.sh            # builds first; SKIP_BUILD=1 to use target/runway.jar
#
# Every step is checked: the script exits non-zero at the first one that does not do what the
# docs say, after printing the logs. .ci/run runs it after the tests. It removes its work
# directory and stops what it started on exit (KEEP_WORK=1 keeps the directory).
#
# The stand-in answers what the quickstart needs (the App-manifest form and conversion, GET
# /app, installations, hook config, deliveries, access tokens, generate-jitconfig); it does not
# check JWTs. The tests (GitHubAppCreateIT, DoctorIT) use a stand-in that does.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-$(mktemp -d /tmp/runway-quickstart.XXXXXX)}
WIREMOCK_JAR=${WIREMOCK_JAR:-$HOME/.m2/repository/org/wiremock/wiremock-standalone/3.13.2/wiremock-standalone-3.13.2.jar}
GH_PORT=${GH_PORT:-18089}
PAGE_PORT=${PAGE_PORT:-18090}
PORT=${PORT:-18080}
ADMIN_PORT=${ADMIN_PORT:-19090}
PIDS=()
OK=""
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -z "$OK" ]; then
    echo "quickstart trial FAILED; logs:"
    for f in "$WORK"/*.log "$WORK"/*.err; do [ -f "$f" ] && { echo "--- $f"; tail -40 "$f"; }; done
  fi
  if [ -z "${KEEP_WORK:-}" ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT
fail() { echo "FAILED: $*"; exit 1; }
say() { printf '\n### %s\n' "$*"; }
JAR="$PWD/target/runway.jar"
runway() { java -jar "$JAR" "$@"; }
# Background processes are started straight from this shell, so that $! is the JVM to stop.
until_ok() { for _ in $(seq 1 120); do if "$@" >/dev/null 2>&1; then return 0; fi; sleep 0.5; done; echo "timed out: $*"; return 1; }

if [ -z "${SKIP_BUILD:-}" ]; then say "mvn -q -DskipTests package"; mvn -q -DskipTests package; fi
echo "work directory: $WORK"

say "GitHub stand-in (WireMock on :$GH_PORT)"
mkdir -p "$WORK/github/mappings"
openssl genrsa -traditional -out "$WORK/standin-app.pem" 2048 2>/dev/null
python3 - "$WORK" "$GH_PORT" "$PORT" <<'PY'
import json, sys, os
work, gh, port = sys.argv[1], sys.argv[2], sys.argv[3]
pem = open(os.path.join(work, "standin-app.pem")).read()
base = f"http://127.0.0.1:{gh}"
perms = {"organization_self_hosted_runners": "write", "actions": "read", "metadata": "read"}
def stub(name, method, path, status, body, query=None):
    req = {"method": method, "urlPath": path}
    m = {"request": req, "response": {"status": status, "headers": {"Content-Type": "application/json"},
         "body": body if isinstance(body, str) else json.dumps(body)}}
    json.dump(m, open(os.path.join(work, "github", "mappings", name + ".json"), "w"))
stub("form", "POST", "/settings/apps/new", 200, "<html>GitHub would ask for the App's name here</html>")
stub("org-form", "POST", "/organizations/acme/settings/apps/new", 200, "<html>GitHub would ask for the App's name here</html>")
stub("conversion", "POST", "/api/v3/app-manifests/standin-code/conversions", 201,
     {"id": 123456, "slug": "runway-standin", "name": "runway-standin", "html_url": base + "/apps/runway-standin",
      "client_id": "Iv1.standin", "client_secret": "standin-client-secret", "webhook_secret": "standin-webhook-secret", "pem": pem})
stub("app", "GET", "/api/v3/app", 200, {"id": 123456, "slug": "runway-standin", "name": "runway-standin",
     "html_url": base + "/apps/runway-standin", "permissions": perms, "events": ["workflow_job"]})
stub("installations", "GET", "/api/v3/app/installations", 200, [{"id": 4242, "account": {"login": "acme", "type": "Organization"},
     "permissions": perms, "events": ["workflow_job"], "suspended_at": None}])
stub("hook-config", "GET", "/api/v3/app/hook/config", 200, {"content_type": "json", "secret": "********",
     "url": f"http://127.0.0.1:{port}/webhooks/github", "insecure_ssl": "0"})
stub("deliveries", "GET", "/api/v3/app/hook/deliveries", 200, [])
stub("token", "POST", "/api/v3/app/installations/4242/access_tokens", 201, {"token": "ghs_standin", "expires_at": "2099-01-01T00:00:00Z"})
stub("jit", "POST", "/api/v3/orgs/acme/actions/runners/generate-jitconfig", 201,
     {"runner": {"id": 77, "name": "runway-local-1"}, "encoded_jit_config": "c3RhbmQtaW4gaml0IGNvbmZpZw=="})
PY
java -jar "$WIREMOCK_JAR" --port "$GH_PORT" --bind-address 127.0.0.1 --root-dir "$WORK/github" --disable-banner >"$WORK/github.log" 2>&1 &
PIDS+=($!)
until_ok curl -sf "http://127.0.0.1:$GH_PORT/__admin/mappings"

say "runway github-app create --url http://127.0.0.1:$PORT --org acme --github-url http://127.0.0.1:$GH_PORT --out $WORK/app --port $PAGE_PORT"
java -jar "$JAR" github-app create --url "http://127.0.0.1:$PORT" --org acme --github-url "http://127.0.0.1:$GH_PORT" \
  --out "$WORK/app" --port "$PAGE_PORT" >"$WORK/create.out" 2>"$WORK/create.err" &
CREATE=$!
until_ok grep -q "Open http" "$WORK/create.out"
cat "$WORK/create.out"
echo "(the browser:) GET the page, POST its form to GitHub, follow GitHub's redirect back"
curl -sf "http://127.0.0.1:$PAGE_PORT/" >"$WORK/page.html"
STATE=$(sed -n 's/.*name="state" value="\([^"]*\)".*/\1/p' "$WORK/page.html")
python3 -c 'import html,re,sys; print(html.unescape(re.search(r"name=\"manifest\" value=\"([^\"]*)\"", open(sys.argv[1]).read()).group(1)))' \
  "$WORK/page.html" >"$WORK/manifest.json"
curl -sf -o /dev/null -X POST "http://127.0.0.1:$GH_PORT/organizations/acme/settings/apps/new?state=$STATE" \
  --data-urlencode "manifest@$WORK/manifest.json" --data-urlencode "state=$STATE"
echo "a redirect with a wrong state answers: $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PAGE_PORT/callback?code=standin-code&state=forged")"
curl -sf -o /dev/null "http://127.0.0.1:$PAGE_PORT/callback?code=standin-code&state=$STATE"
wait "$CREATE"
cat "$WORK/create.out" | sed -n '2,$p'
cat "$WORK/create.err"
ls -l "$WORK/app"
if grep -q "standin-webhook-secret\|BEGIN RSA" "$WORK/create.out" "$WORK/create.err"; then echo "SECRET PRINTED"; exit 1; fi
grep -q "^  export RUNWAY_GITHUB_APP_ID=123456$" "$WORK/create.out" || fail "github-app create printed no App id"

say "runway.env: the settings every runway command in this directory reads (no exports needed)"
cd "$WORK"
APP_ID=$(sed -n 's/^  export RUNWAY_GITHUB_APP_ID=//p' "$WORK/create.out")
KEY_FILE=$(sed -n 's/^  export RUNWAY_GITHUB_PRIVATE_KEY_FILE=//p' "$WORK/create.out")
{
  echo "RUNWAY_GITHUB_APP_ID=$APP_ID"
  echo "RUNWAY_GITHUB_PRIVATE_KEY_FILE=$KEY_FILE"
  echo "RUNWAY_WEBHOOK_SECRETS=$(cat "$WORK/app/webhook-secret")"
  echo "RUNWAY_GITHUB_API_URL=http://127.0.0.1:$GH_PORT/api/v3"
  echo "RUNWAY_POOLS=file:pools.yaml"
  echo "RUNWAY_PORT=$PORT"
  echo "RUNWAY_ADMIN_PORT=$ADMIN_PORT"
} >runway.env
chmod 600 runway.env
sed 's/^\(RUNWAY_WEBHOOK_SECRETS=\).*/\1.../' runway.env
# Only the signing below needs the secret in this shell; no runway command gets it but from the file.
SECRET=$(cat "$WORK/app/webhook-secret")
unset RUNWAY_WEBHOOK_SECRETS RUNWAY_GITHUB_APP_ID RUNWAY_GITHUB_PRIVATE_KEY_FILE RUNWAY_GITHUB_API_URL

say "pools.yaml, then runway serve"
printf 'pools:\n  - name: local\n    labels: [linux, x64]\n    maxRunners: 2\n' >pools.yaml
java -jar "$JAR" serve >"$WORK/serve.log" 2>&1 &
SERVE=$!
PIDS+=($SERVE)
# /readyz turns ready as soon as the spool takes webhooks; the CLI needs the database itself.
until_ok grep -q "database schema at version" "$WORK/serve.log"
until_ok curl -sf "http://127.0.0.1:$PORT/readyz"
grep -o "database schema at version.*" "$WORK/serve.log"

say "runway doctor   (before the account is enabled: fails, saying what to type)"
if runway doctor >doctor-1.out 2>&1; then cat doctor-1.out; fail "doctor passed before the account was enabled"; fi
cat doctor-1.out
grep -q "runway accounts set acme --installation-id 4242" doctor-1.out || fail "doctor did not say what to type"

say "runway accounts set acme --installation-id 4242 --max-concurrent 2 --enabled"
runway accounts set acme --installation-id 4242 --max-concurrent 2 --enabled

say "runway doctor"
runway doctor || fail "doctor exited $? with the account enabled"

say "runway pools token create nosuchpool   (refused: the pool source does not list it)"
if runway pools token create nosuchpool >/dev/null 2>refused.err; then fail "a token for an unlisted pool"; fi
cat refused.err

say "runway pools token create local > pool-token"
runway pools token create local >pool-token && chmod 600 pool-token && echo "($(wc -c <pool-token) bytes)"

say "a stand-in Actions runner: run.sh checks it got a JIT config and runs until the job is done"
mkdir -p actions-runner
cat >actions-runner/run.sh <<SH
#!/bin/sh
if [ -z "\$ACTIONS_RUNNER_INPUT_JITCONFIG" ]; then echo "stand-in runner: no JIT config"; exit 1; fi
echo "stand-in runner: got a JIT config, running the job"
# Runs "the job" until GitHub's completed event has been sent (the script touches this file).
for i in \$(seq 1 120); do [ -f "$WORK/job-done" ] && echo "stand-in runner: job done" && exit 0; sleep 0.5; done
exit 1
SH
chmod +x actions-runner/run.sh

# What GitHub sends for job 1001: $1 is the action, $2 the extra workflow_job fields.
send_job() {
  body='{"action":"'$1'","workflow_job":{"id":1001,"run_id":10,"run_attempt":1,"name":"hello","labels":["self-hosted","linux","x64"]'$2'},"repository":{"id":1,"name":"app","full_name":"acme/app","owner":{"login":"acme","type":"Organization"}},"organization":{"login":"acme"},"installation":{"id":4242}}'
  sig="sha256=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/.*= //')"
  curl -sf -w ' %{http_code}\n' "http://127.0.0.1:$PORT/webhooks/github" -H 'Content-Type: application/json' \
    -H 'X-GitHub-Event: workflow_job' -H "X-GitHub-Delivery: trial-$1-$(date +%s%N)" -H "X-Hub-Signature-256: $sig" --data-binary "$body"
}
say "GitHub sends workflow_job.queued (signed with the App's webhook secret)"
send_job queued ',"status":"queued"'
until_ok sh -c "java -jar '$JAR' jobs list | grep -q 1001"
runway jobs list

if runway --help | grep -qE '^  agent '; then
  say "runway agent --url http://127.0.0.1:$PORT --pool local --token-file pool-token --runner-dir ./actions-runner --slots 1 --work-root ./runner-work"
  java -jar "$JAR" agent --url "http://127.0.0.1:$PORT" --pool local --token-file pool-token --runner-dir ./actions-runner --slots 1 --work-root ./runner-work >"$WORK/agent.log" 2>&1 &
  PIDS+=($!)
  until_ok grep -q "stand-in runner: got a JIT config" "$WORK/agent.log"
  say "GitHub sends in_progress (the runner took the job) and completed"
  send_job in_progress ',"status":"in_progress","runner_id":77,"runner_name":"runway-local-1"'
  until_ok sh -c "java -jar '$JAR' jobs list | grep -q in_progress"
  runway jobs list
  send_job completed ',"status":"completed","conclusion":"success","runner_id":77,"runner_name":"runway-local-1"'
  until_ok sh -c "java -jar '$JAR' jobs list | grep -q completed"
  touch "$WORK/job-done"
  until_ok grep -q "stand-in runner: job done" "$WORK/agent.log"
  grep "stand-in runner" "$WORK/agent.log"
else
  say "no runway agent in this build: claim as the agent would, then run the stand-in runner"
  claim=$(curl -sf -X POST -H "Authorization: Bearer $(cat pool-token)" "http://127.0.0.1:$PORT/api/v1/pools/local/claims")
  echo "$claim" | python3 -c 'import json,sys; c=json.load(sys.stdin); print("claimed job", c["job"]["job_id"], "as runner", c["runner_name"])'
  ACTIONS_RUNNER_INPUT_JITCONFIG=$(echo "$claim" | python3 -c 'import json,sys; print(json.load(sys.stdin)["encoded_jit_config"])') ./actions-runner/run.sh
fi
runway jobs list | grep -q "1001 .* completed" || fail "job 1001 is not completed"
runway jobs list

say "stop runway serve with SIGTERM: exit 0, and its closing line"
kill -TERM "$SERVE"
if wait "$SERVE"; then echo "exit 0"; else fail "serve exited $? on SIGTERM"; fi
tail -1 "$WORK/serve.log" | grep -q "Runway stopped" || fail "no closing line"
tail -1 "$WORK/serve.log"
if grep -E " ERROR |Exception" "$WORK/serve.log"; then fail "errors in the service's log"; fi
OK=1
say "quickstart trial passed"
