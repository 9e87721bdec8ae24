package dev.runway.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;

/**
 * A sampling profile of the server side of a run: every couple of milliseconds it reads what each
 * other client backend is doing ({@code pg_stat_activity}: running, waiting on a lock, on the WAL,
 * or idle while the client works) and counts it. It answers where a claim's time goes when many
 * run at once, which per-statement timings taken alone cannot: a wait on another claim's lock or
 * on the commit's flush shows up here, and on-CPU time ({@code active}, no wait event) includes the
 * time a runnable backend waits for a core.
 */
final class WaitSampler implements AutoCloseable {
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Map<String, Long> counts = new TreeMap<>();
  private final Thread thread;
  private long samples;

  WaitSampler(DataSource ds) {
    thread = new Thread(() -> run(ds), "wait-sampler");
    thread.setDaemon(true);
    thread.start();
  }

  private void run(DataSource ds) {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "select state, coalesce(wait_event_type, 'CPU'), coalesce(wait_event, '-')"
                    + " from pg_stat_activity where backend_type = 'client backend'"
                    + " and pid <> pg_backend_pid()")) {
      while (running.get()) {
        try (ResultSet rs = ps.executeQuery()) {
          synchronized (counts) {
            samples++;
            while (rs.next()) {
              String state = rs.getString(1);
              String key =
                  "active".equals(state)
                      ? "active " + rs.getString(2) + "/" + rs.getString(3)
                      : String.valueOf(state);
              counts.merge(key, 1L, Long::sum);
            }
          }
        }
        Thread.sleep(2);
      }
    } catch (SQLException | InterruptedException e) {
      System.out.println("wait sampler stopped: " + e);
    }
  }

  /** The share of backend samples in each state, largest first. */
  String report() {
    synchronized (counts) {
      long total = counts.values().stream().mapToLong(Long::longValue).sum();
      StringBuilder out = new StringBuilder();
      out.append(String.format("backend states over %d samples:%n", samples));
      counts.entrySet().stream()
          .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
          .forEach(
              e ->
                  out.append(
                      String.format(
                          "  %5.1f%%  %s%n", 100.0 * e.getValue() / Math.max(1, total), e.getKey())));
      return out.toString();
    }
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    thread.join();
  }
}
