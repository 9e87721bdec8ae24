package dev.runway.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Dispatch throughput, read from the database: how many jobs the dispatch workers wrote since
 * {@code --since}, and at what rate. Waits until the dispatch queue is empty (or nothing moved for
 * {@code --idle} seconds, or {@code --timeout} passed), then reports the overall rate (first to
 * last {@code dispatched_at}) and the steady rate between the 10th and 90th percentile of the
 * {@code dispatched_at} times, which leaves out the start-up ramp and the tail.
 */
@Command(
    name = "dispatch-watch",
    mixinStandardHelpOptions = true,
    description = "Wait for the dispatch queue to drain and report jobs dispatched per second.")
final class DispatchWatch implements Callable<Integer> {
  @Option(names = "--jdbc-url", description = "the service's database")
  String jdbcUrl;

  @Option(
      names = "--data-dir",
      description = "Runway data dir of an embedded database: reads embedded-jdbc-url, waiting"
          + " for it to appear")
  Path dataDir;

  @Option(names = "--db-user", defaultValue = "postgres")
  String dbUser;

  @Option(names = "--db-password", defaultValue = "postgres")
  String dbPassword;

  @Option(names = "--since", description = "count jobs dispatched at or after (ISO-8601; now)")
  Instant since;

  @Option(names = "--timeout", defaultValue = "300", description = "seconds, at most")
  double timeout;

  @Option(names = "--idle", defaultValue = "10", description = "stop when nothing moved for")
  double idle;

  @Option(names = "--label", defaultValue = "")
  String label;

  @Option(names = "--json-out")
  Path jsonOut;

  @Override
  public Integer call() throws Exception {
    Instant from = since != null ? since : Instant.now();
    long deadline = System.nanoTime() + (long) (timeout * 1e9);
    long lastCount = -1;
    long lastChange = System.nanoTime();
    long queue = -1;
    Connection c = null;
    try {
      while (System.nanoTime() < deadline) {
        try {
          if (c == null) {
            c = connect();
          }
          long count = count(c, from);
          queue = queueDepth(c);
          if (count != lastCount) {
            lastCount = count;
            lastChange = System.nanoTime();
          }
          if (queue == 0 && count > 0) {
            break;
          }
          if (count > 0 && System.nanoTime() - lastChange > idle * 1e9) {
            break;
          }
        } catch (SQLException | java.io.IOException e) {
          if (c != null) {
            c.close();
            c = null;
          }
        }
        Thread.sleep(500);
      }
      if (c == null) {
        c = connect();
      }
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("bench", "dispatch");
      r.put("label", label);
      r.put("since", from.toString());
      try (PreparedStatement ps =
          c.prepareStatement(
              "select count(*), extract(epoch from max(dispatched_at) - min(dispatched_at)),"
                  + " extract(epoch from percentile_disc(0.9) within group (order by dispatched_at)"
                  + " - percentile_disc(0.1) within group (order by dispatched_at)),"
                  + " count(*) filter (where status = 'queued' and outcome is null)"
                  + " from jobs where dispatched_at >= ?")) {
        ps.setTimestamp(1, Timestamp.from(from));
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          long n = rs.getLong(1);
          double span = rs.getDouble(2);
          double span80 = rs.getDouble(3);
          r.put("dispatched", n);
          r.put("claimable", rs.getLong(4));
          r.put("span_s", Math.round(span * 1000) / 1000.0);
          r.put("jobs_per_s", span > 0 ? Math.round((n - 1) / span * 10) / 10.0 : 0);
          r.put(
              "steady_jobs_per_s", span80 > 0 ? Math.round(0.8 * n / span80 * 10) / 10.0 : 0);
        }
      }
      r.put("queue_left", queueDepth(c));
      String line = new ObjectMapper().writeValueAsString(r);
      System.out.println(
          String.format(
              "%s: %s jobs dispatched in %s s = %s jobs/s (steady 10-90%%: %s jobs/s),"
                  + " %s left in the queue",
              label,
              r.get("dispatched"),
              r.get("span_s"),
              r.get("jobs_per_s"),
              r.get("steady_jobs_per_s"),
              r.get("queue_left")));
      System.out.println(line);
      if (jsonOut != null) {
        Files.writeString(
            jsonOut,
            line + "\n",
            StandardCharsets.UTF_8,
            StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
      }
      return 0;
    } finally {
      if (c != null) {
        c.close();
      }
    }
  }

  private Connection connect() throws SQLException, java.io.IOException {
    String url = jdbcUrl;
    if (url == null) {
      if (dataDir == null) {
        throw new IllegalArgumentException("give --jdbc-url or --data-dir");
      }
      url = Files.readString(dataDir.resolve("embedded-jdbc-url")).trim();
    }
    return DriverManager.getConnection(url, dbUser, dbPassword);
  }

  private static long count(Connection c, Instant from) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("select count(*) from jobs where dispatched_at >= ?")) {
      ps.setTimestamp(1, Timestamp.from(from));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  static long queueDepth(Connection c) throws SQLException {
    try (PreparedStatement ps =
            c.prepareStatement("select count(*) from scheduled_tasks where task_name = 'dispatch'");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
