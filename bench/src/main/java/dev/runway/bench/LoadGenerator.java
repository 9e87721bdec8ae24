package dev.runway.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Sends signed {@code workflow_job} deliveries, each with a new GUID and (unless it is a duplicate)
 * a new job id, over a fixed number of HTTP/1.1 keep-alive connections.
 *
 * <p>With {@code --rate R} (open model) request {@code i} has the intended send time {@code start +
 * i/R}; connection {@code c} owns the requests {@code i ≡ c (mod connections)}. A connection that
 * falls behind sends at once, and latency is measured from the intended time, so a stall shows in
 * the latency of every request it delayed (no coordinated omission). With {@code --rate 0} each
 * connection sends its next request as soon as the previous one is answered (closed loop), and
 * latency is measured from the actual send.
 */
@Command(
    name = "load",
    mixinStandardHelpOptions = true,
    description = "Send signed workflow_job deliveries and report ack and end-to-end latency.")
final class LoadGenerator implements Callable<Integer> {
  @Option(
      names = "--url",
      defaultValue = "http://127.0.0.1:8080/webhooks/github",
      description = "webhook URL (default ${DEFAULT-VALUE})")
  URI url;

  @Option(
      names = "--secret",
      defaultValue = "${env:RUNWAY_BENCH_SECRET:-bench-secret}",
      description = "webhook secret (default env RUNWAY_BENCH_SECRET or bench-secret)")
  String secret;

  @Option(
      names = "--rate",
      defaultValue = "0",
      description = "requests per second, open model; 0 = closed loop, as fast as answers come")
  double rate;

  @Option(names = "--duration", defaultValue = "10", description = "measured seconds")
  double duration;

  @Option(
      names = "--warmup",
      defaultValue = "0",
      description = "seconds sent the same way before the measured part, not counted")
  double warmup;

  @Option(names = "--connections", defaultValue = "64", description = "keep-alive connections")
  int connections;

  @Option(
      names = "--requests",
      defaultValue = "0",
      description = "stop after this many requests in total (0 = only the duration bounds it)")
  long maxRequests;

  @Option(
      names = "--duplicates",
      defaultValue = "0",
      description = "fraction of requests that resend an earlier delivery (same GUID and body)")
  double duplicates;

  @Option(
      names = "--out-of-order",
      defaultValue = "0",
      description =
          "fraction of jobs sent as queued, in_progress and completed in a shuffled order")
  double outOfOrder;

  @Option(
      names = "--payload",
      defaultValue = "bench/payload-queued.json",
      description = "workflow_job payload to template (default ${DEFAULT-VALUE})")
  Path payload;

  @Option(names = "--timeout-ms", defaultValue = "10000", description = "socket timeout")
  int timeoutMillis;

  @Option(
      names = "--e2e-sample",
      defaultValue = "0",
      description = "fraction of plain queued jobs whose time to claimable is measured")
  double e2eSample;

  @Option(names = "--e2e-max", defaultValue = "20000", description = "most jobs sampled")
  int e2eMax;

  @Option(
      names = "--e2e-wait",
      defaultValue = "15",
      description = "seconds to wait after the load for sampled jobs to become claimable")
  double e2eWait;

  @Option(names = "--e2e-poll-ms", defaultValue = "100", description = "poll interval")
  long e2ePollMillis;

  @Option(
      names = "--jdbc-url",
      description = "read claimable jobs from this database (else from GET /api/v1/jobs)")
  String jdbcUrl;

  @Option(
      names = "--data-dir",
      description = "Runway data dir of an embedded database: reads its embedded-jdbc-url file")
  Path dataDir;

  @Option(names = "--db-user", defaultValue = "postgres")
  String dbUser;

  @Option(names = "--db-password", defaultValue = "postgres")
  String dbPassword;

  @Option(names = "--label", defaultValue = "", description = "name of this run in the output")
  String label;

  @Option(names = "--json-out", description = "append the JSON result line to this file")
  Path jsonOut;

  @Option(names = "--quiet", description = "print only the JSON line")
  boolean quiet;

  @Option(
      names = "--record",
      description =
          "write one CSV line per request (guid,job_id,action,status; status -1 = no answer),"
              + " for fault drills that check nothing was lost or duplicated")
  Path record;

  private final AtomicLong budget = new AtomicLong(Long.MAX_VALUE);
  private final AtomicLong jobIds = new AtomicLong();
  private final AtomicLong lastDone = new AtomicLong();
  private volatile boolean abort;

  @Override
  public Integer call() throws Exception {
    if (connections < 1 || duration <= 0 || rate < 0) {
      throw new IllegalArgumentException("need --connections >= 1, --duration > 0, --rate >= 0");
    }
    if (!"127.0.0.1".equals(url.getHost()) && !"localhost".equals(url.getHost())) {
      throw new IllegalArgumentException("load goes to 127.0.0.1 or localhost only: " + url);
    }
    if (maxRequests > 0) {
      budget.set(maxRequests);
    }
    Deliveries deliveries = new Deliveries(payload, secret, url);
    // Job ids unique across runs against the same database: milliseconds * 100 + a counter.
    jobIds.set(System.currentTimeMillis() * 100);
    E2eTracker e2e = null;
    if (e2eSample > 0) {
      String jdbc = jdbcUrl;
      if (jdbc == null && dataDir != null) {
        jdbc = Files.readString(dataDir.resolve("embedded-jdbc-url")).trim();
      }
      URI api =
          url.resolve("/api/v1/jobs?status=queued&limit=1000"); // same host and port as the hook
      e2e = new E2eTracker(jdbc, dbUser, dbPassword, api, e2ePollMillis, e2eMax);
      e2e.start();
    }

    long start = System.nanoTime() + 100_000_000L;
    long startWallMicros = E2eTracker.nowMicros() + 100_000L;
    long measureFrom = start + (long) (warmup * 1e9);
    long end = measureFrom + (long) (duration * 1e9);
    long hardStop = end + Duration.ofMillis(timeoutMillis).toNanos() + 5_000_000_000L;

    List<Worker> workers = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < connections; c++) {
      Worker w =
          new Worker(c, deliveries, e2e, start, startWallMicros, measureFrom, end, hardStop);
      workers.add(w);
      Thread t = new Thread(w, "conn-" + c);
      t.setDaemon(true);
      threads.add(t);
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      long left = hardStop + 2_000_000_000L - System.nanoTime();
      if (left > 0) {
        t.join(Math.max(1, left / 1_000_000));
      }
    }
    abort = true;
    for (Worker w : workers) {
      w.conn.close(); // unblocks a read stuck past the hard stop
    }
    for (Thread t : threads) {
      t.join(1000);
    }
    if (e2e != null) {
      e2e.finish(Duration.ofMillis((long) (e2eWait * 1000)));
    }
    if (record != null) {
      try (var out = Files.newBufferedWriter(record, StandardCharsets.UTF_8)) {
        out.write("guid,job_id,action,status\n");
        for (Worker w : workers) {
          synchronized (w.log) {
            out.write(w.log.toString());
          }
        }
      }
    }

    Histogram h = new Histogram();
    long errors = 0;
    long unsent = 0;
    long dupSent = 0;
    long oooSent = 0;
    long sent = 0;
    Map<Integer, Long> codes = new TreeMap<>();
    for (Worker w : workers) {
      h.add(w.hist);
      errors += w.errors;
      unsent += w.unsent;
      dupSent += w.duplicatesSent;
      oooSent += w.outOfOrderSent;
      sent += w.sent;
      w.codes.forEach((k, v) -> codes.merge(k, v, Long::sum));
    }
    long non2xx = codes.entrySet().stream().filter(e -> e.getKey() / 100 != 2).mapToLong(e -> e.getValue()).sum();
    double elapsed =
        Math.max(duration, lastDone.get() > measureFrom ? (lastDone.get() - measureFrom) / 1e9 : 0);
    if (maxRequests > 0 && lastDone.get() > measureFrom) {
      elapsed = (lastDone.get() - measureFrom) / 1e9; // a count-bounded run may end early
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("bench", "load");
    r.put("label", label);
    r.put("time", Instant.now().toString());
    r.put("url", url.toString());
    r.put("mode", rate > 0 ? "open" : "closed");
    r.put("target_rate", rate);
    r.put("connections", connections);
    r.put("duration_s", round(elapsed, 3));
    r.put("body_bytes", deliveries.bodySize());
    r.put("requests", h.count());
    r.put("sent_total", sent);
    r.put("throughput_rps", round(h.count() / elapsed, 1));
    r.put("p50_ms", ms(h.percentile(50)));
    r.put("p90_ms", ms(h.percentile(90)));
    r.put("p99_ms", ms(h.percentile(99)));
    r.put("p999_ms", ms(h.percentile(99.9)));
    r.put("max_ms", ms(h.max()));
    r.put("mean_ms", round(h.mean() / 1000, 3));
    r.put("errors", errors);
    r.put("non2xx", non2xx);
    r.put("unsent_late", unsent);
    Map<String, Long> codeNames = new LinkedHashMap<>();
    codes.forEach((k, v) -> codeNames.put(String.valueOf(k), v));
    r.put("status", codeNames);
    r.put("duplicates_sent", dupSent);
    r.put("out_of_order_events_sent", oooSent);
    if (e2e != null) {
      r.putAll(e2e.summary());
    }
    String line = new ObjectMapper().writeValueAsString(r);
    if (!quiet) {
      System.out.println(human(r));
    }
    System.out.println(line);
    if (jsonOut != null) {
      if (jsonOut.getParent() != null) {
        Files.createDirectories(jsonOut.getParent());
      }
      Files.writeString(
          jsonOut,
          line + "\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    }
    return 0;
  }

  private static String human(Map<String, Object> r) {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            "%s %s rate=%s conns=%s: %s req in %s s = %s req/s%n",
            r.get("label"),
            r.get("mode"),
            r.get("target_rate"),
            r.get("connections"),
            r.get("requests"),
            r.get("duration_s"),
            r.get("throughput_rps")));
    b.append(
        String.format(
            "  ack latency ms: p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  mean %s%n",
            r.get("p50_ms"),
            r.get("p90_ms"),
            r.get("p99_ms"),
            r.get("p999_ms"),
            r.get("max_ms"),
            r.get("mean_ms")));
    b.append(
        String.format(
            "  errors %s  non-2xx %s  unsent (late at hard stop) %s  status %s%n",
            r.get("errors"), r.get("non2xx"), r.get("unsent_late"), r.get("status")));
    if (r.containsKey("e2e_mode")) {
      b.append(
          String.format(
              "  end-to-end to claimable (%s, %s sampled, %s missing): p50 %s  p99 %s  max %s ms;"
                  + " first seen p50 %s  p99 %s ms%n",
              r.get("e2e_mode"),
              r.get("e2e_samples"),
              r.get("e2e_missing"),
              r.get("e2e_p50_ms"),
              r.get("e2e_p99_ms"),
              r.get("e2e_max_ms"),
              r.get("e2e_seen_p50_ms"),
              r.get("e2e_seen_p99_ms")));
    }
    return b.toString().stripTrailing();
  }

  private static double ms(long micros) {
    return Math.round(micros / 10.0) / 100.0;
  }

  private static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }

  /** One connection, its schedule and its own counters. */
  private final class Worker implements Runnable {
    final HttpConnection conn;
    final Histogram hist = new Histogram();
    final Map<Integer, Long> codes = new TreeMap<>();
    final StringBuilder log = new StringBuilder();
    long errors;
    long unsent;
    long sent;
    long duplicatesSent;
    long outOfOrderSent;
    private final int index;
    private final Deliveries deliveries;
    private final E2eTracker e2e;
    private final long start;
    private final long startWallMicros;
    private final long measureFrom;
    private final long end;
    private final long hardStop;
    private final SplittableRandom random;
    private final ArrayDeque<Deliveries.Request> pendingEvents = new ArrayDeque<>();
    private final String guidPrefix;
    private long guidCounter;
    private Deliveries.Request last;

    Worker(
        int index,
        Deliveries deliveries,
        E2eTracker e2e,
        long start,
        long startWallMicros,
        long measureFrom,
        long end,
        long hardStop) {
      this.index = index;
      this.deliveries = deliveries;
      this.e2e = e2e;
      this.start = start;
      this.startWallMicros = startWallMicros;
      this.measureFrom = measureFrom;
      this.end = end;
      this.hardStop = hardStop;
      this.conn = new HttpConnection(url, timeoutMillis);
      this.random = new SplittableRandom(System.nanoTime() ^ ((long) index << 32));
      long r = random.nextLong();
      // GUID-shaped: 8-4-4-4-12 hex, unique per connection and counter.
      String hex = String.format("%016x", r);
      this.guidPrefix =
          hex.substring(0, 8)
              + "-"
              + hex.substring(8, 12)
              + "-"
              + hex.substring(12, 16)
              + "-"
              + String.format("%04x", index & 0xffff)
              + "-";
    }

    @Override
    public void run() {
      long k = 0;
      try {
        while (!abort) {
          long intended;
          if (rate > 0) {
            intended = start + (long) ((k * (double) connections + index) * 1e9 / rate);
            k++;
            if (intended >= end) {
              break;
            }
            if (System.nanoTime() > hardStop) {
              unsent++;
              continue; // count what could not be sent; the loop ends at `end`
            }
            long wait;
            while ((wait = intended - System.nanoTime()) > 0) {
              LockSupport.parkNanos(wait);
            }
          } else {
            if (k == 0) {
              long wait;
              while ((wait = start - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
              }
            }
            k++;
            intended = System.nanoTime();
            if (intended >= end) {
              break;
            }
          }
          if (budget.getAndDecrement() <= 0) {
            break;
          }
          Deliveries.Request req = next();
          boolean measured = intended >= measureFrom;
          int code;
          sent++;
          try {
            code = conn.exchange(req.head(), req.body());
          } catch (IOException | RuntimeException e) {
            errors += measured ? 1 : 0;
            note(req, -1);
            if (rate == 0) {
              LockSupport.parkNanos(1_000_000); // a refused connection must not spin
            }
            continue;
          }
          long done = System.nanoTime();
          note(req, code);
          if (measured) {
            hist.record((done - intended) / 1000);
            codes.merge(code, 1L, Long::sum);
            lastDone.accumulateAndGet(done, Math::max);
          }
          last = req;
          if (e2e != null
              && measured
              && code / 100 == 2
              && req.action() == Deliveries.Action.QUEUED
              && req.jobId() < 0) {
            e2e.register(-req.jobId(), startWallMicros + (intended - start) / 1000);
          }
        }
      } finally {
        conn.close();
      }
    }

    private void note(Deliveries.Request req, int code) {
      if (record != null) {
        synchronized (log) {
          log.append(req.guid())
              .append(',')
              .append(Math.abs(req.jobId()))
              .append(',')
              .append(req.action().wire)
              .append(',')
              .append(code)
              .append('\n');
        }
      }
    }

    /** Picks the next delivery: a duplicate, a pending lifecycle event, or a new job. */
    private Deliveries.Request next() {
      if (last != null && duplicates > 0 && random.nextDouble() < duplicates) {
        duplicatesSent++;
        Deliveries.Request d = last;
        // Never register a duplicate for end-to-end timing.
        return d.jobId() < 0 ? new Deliveries.Request(d.action(), -d.jobId(), d.guid(), d.head(), d.body()) : d;
      }
      if (!pendingEvents.isEmpty()) {
        outOfOrderSent++;
        return pendingEvents.poll();
      }
      long job = jobIds.incrementAndGet();
      if (outOfOrder > 0 && random.nextDouble() < outOfOrder) {
        List<Deliveries.Action> order = new ArrayList<>(List.of(Deliveries.Action.values()));
        Collections.shuffle(order, new java.util.Random(random.nextLong()));
        for (int i = 1; i < order.size(); i++) {
          pendingEvents.add(deliveries.request(order.get(i), job, guid()));
        }
        outOfOrderSent++;
        return deliveries.request(order.get(0), job, guid());
      }
      Deliveries.Request r = deliveries.request(Deliveries.Action.QUEUED, job, guid());
      if (e2eSample > 0 && random.nextDouble() < e2eSample) {
        // A negative id marks the request as sampled; the body carries the real id.
        return new Deliveries.Request(r.action(), -job, r.guid(), r.head(), r.body());
      }
      return r;
    }

    private String guid() {
      return guidPrefix + String.format("%012x", guidCounter++);
    }
  }
}
