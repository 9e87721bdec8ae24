package dev.runway.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * End-to-end latency: from the intended send time of a sampled {@code queued} delivery until its
 * job is claimable (status {@code queued}, no ignore outcome, a pool). Two readings per job:
 *
 * <ul>
 *   <li>{@code dispatched}: the job row's {@code dispatched_at}, written by the dispatch
 *       transaction (PostgreSQL's {@code now()}, so the start of that transaction; same host
 *       clock as the generator);
 *   <li>{@code seen}: when this poller first saw the job claimable, an upper bound that includes
 *       up to one poll interval.
 * </ul>
 *
 * <p>The poller reads the database by primary key (cheap, default in run.sh) or, without a JDBC
 * URL, {@code GET /api/v1/jobs?status=queued&limit=1000}, which sorts the jobs table on every poll
 * and so loads the service it measures.
 */
final class E2eTracker implements AutoCloseable {
  private final Map<Long, Long> pending = new ConcurrentHashMap<>(); // job id -> intended µs
  private final Histogram dispatched = new Histogram();
  private final Histogram seen = new Histogram();
  private final AtomicLong registered = new AtomicLong();
  private final String jdbcUrl;
  private final String user;
  private final String password;
  private final URI jobsApi;
  private final long pollMillis;
  private final int maxSamples;
  private volatile boolean stop;
  private Thread thread;
  private Connection db;
  private HttpClient http;
  private final ObjectMapper json = new ObjectMapper();
  private long pollErrors;
  private String lastError;

  E2eTracker(
      String jdbcUrl, String user, String password, URI jobsApi, long pollMillis, int maxSamples) {
    this.jdbcUrl = jdbcUrl;
    this.user = user;
    this.password = password;
    this.jobsApi = jobsApi;
    this.pollMillis = pollMillis;
    this.maxSamples = maxSamples;
  }

  String mode() {
    return jdbcUrl != null ? "jdbc" : "api";
  }

  void start() {
    thread = new Thread(this::loop, "e2e-poller");
    thread.setDaemon(true);
    thread.start();
  }

  /** Called after a sampled delivery was acknowledged with 2xx. */
  void register(long jobId, long intendedEpochMicros) {
    if (registered.incrementAndGet() <= maxSamples) {
      pending.put(jobId, intendedEpochMicros);
    } else {
      registered.decrementAndGet();
    }
  }

  /** Keeps polling until every sample was seen or {@code wait} passed, then stops. */
  void finish(Duration wait) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (!pending.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    close();
  }

  private void loop() {
    while (!stop) {
      try {
        if (!pending.isEmpty()) {
          poll();
        }
      } catch (Exception e) {
        pollErrors++;
        lastError = e.toString();
        closeDb();
      }
      try {
        Thread.sleep(pollMillis);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void poll() throws Exception {
    if (jdbcUrl != null) {
      pollDb();
    } else {
      pollApi();
    }
  }

  private void pollDb() throws SQLException {
    if (db == null) {
      db = DriverManager.getConnection(jdbcUrl, user, password);
      db.setAutoCommit(true);
    }
    List<Long> ids = new ArrayList<>(pending.keySet());
    for (int from = 0; from < ids.size(); from += 1000) {
      List<Long> chunk = ids.subList(from, Math.min(ids.size(), from + 1000));
      try (PreparedStatement ps =
          db.prepareStatement(
              "select job_id, (extract(epoch from dispatched_at) * 1000000)::bigint from jobs"
                  + " where job_id = any(?) and run_attempt = 1 and status = 'queued'"
                  + " and outcome is null and pool is not null and dispatched_at is not null")) {
        Array arr = db.createArrayOf("bigint", chunk.toArray());
        ps.setArray(1, arr);
        ps.setQueryTimeout(5);
        try (ResultSet rs = ps.executeQuery()) {
          long now = nowMicros();
          while (rs.next()) {
            found(rs.getLong(1), rs.getLong(2), now);
          }
        }
      }
    }
  }

  private void pollApi() throws Exception {
    if (http == null) {
      http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    }
    HttpResponse<byte[]> r =
        http.send(
            HttpRequest.newBuilder(jobsApi).timeout(Duration.ofSeconds(5)).GET().build(),
            HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("jobs API answered " + r.statusCode());
    }
    long now = nowMicros();
    for (JsonNode j : json.readTree(r.body())) {
      if (!j.path("outcome").isNull() && !j.path("outcome").isMissingNode()) {
        continue;
      }
      JsonNode at = j.path("dispatched_at");
      long dispatchedMicros = -1;
      if (at.isTextual()) {
        Instant i = Instant.parse(at.asText());
        dispatchedMicros = i.getEpochSecond() * 1_000_000L + i.getNano() / 1000;
      }
      found(j.path("job_id").asLong(), dispatchedMicros, now);
    }
  }

  private void found(long jobId, long dispatchedMicros, long nowMicros) {
    Long intended = pending.remove(jobId);
    if (intended == null) {
      return;
    }
    synchronized (this) {
      if (dispatchedMicros > 0) {
        dispatched.record(dispatchedMicros - intended);
      }
      seen.record(nowMicros - intended);
    }
  }

  static long nowMicros() {
    Instant i = Instant.now();
    return i.getEpochSecond() * 1_000_000L + i.getNano() / 1000;
  }

  synchronized Map<String, Object> summary() {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("e2e_mode", mode());
    m.put("e2e_samples", registered.get());
    m.put("e2e_found", seen.count());
    m.put("e2e_missing", pending.size());
    m.put("e2e_p50_ms", ms(dispatched.percentile(50)));
    m.put("e2e_p99_ms", ms(dispatched.percentile(99)));
    m.put("e2e_max_ms", ms(dispatched.max()));
    m.put("e2e_seen_p50_ms", ms(seen.percentile(50)));
    m.put("e2e_seen_p99_ms", ms(seen.percentile(99)));
    m.put("e2e_poll_errors", pollErrors);
    if (lastError != null) {
      m.put("e2e_last_error", lastError);
    }
    return m;
  }

  private static double ms(long micros) {
    return Math.round(micros / 10.0) / 100.0;
  }

  private void closeDb() {
    if (db != null) {
      try {
        db.close();
      } catch (SQLException ignored) {
        // reconnect on the next poll
      }
      db = null;
    }
  }

  @Override
  public void close() {
    stop = true;
    if (thread != null) {
      thread.interrupt();
      try {
        thread.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    closeDb();
  }
}
