-- wrk script: POSTs the same signed workflow_job body with a fresh X-GitHub-Delivery per request.
-- The signature covers only the body, so one signature serves every request.
-- Usage: BODY=bench/payload-queued.json SIG=sha256=... wrk -s bench/wrk/webhook.lua URL
local body_file = os.getenv("BODY") or "bench/payload-queued.json"
local f = assert(io.open(body_file, "rb"))
local body = f:read("*a")
f:close()
local sig = os.getenv("SIG")
local counter = 0
local prefix

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  prefix = string.format("%d-%d-%d", os.time(), id or 0, math.random(1, 1e9))
  n = 0
end

function request()
  n = n + 1
  return wrk.format("POST", "/webhooks/github", {
    ["Content-Type"] = "application/json",
    ["X-GitHub-Event"] = "workflow_job",
    ["X-GitHub-Delivery"] = prefix .. "-" .. n,
    ["X-GitHub-Hook-ID"] = "1",
    ["X-Hub-Signature-256"] = sig,
    ["User-Agent"] = "GitHub-Hookshot/bench",
  }, body)
end

function done(summary, latency, requests)
  io.write(string.format("non2xx_or_errors: %d\n", summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  for _, p in pairs({50, 99, 99.9}) do
    io.write(string.format("p%s_ms: %.2f\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("max_ms: %.2f\n", latency.max / 1000))
end
