package dev.runway.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A real PostgreSQL that tests can break the way production ones break: stopped cleanly, killed
 * with SIGKILL, or frozen with SIGSTOP (the incident's hung connections).
 */
public final class PostgresProcess implements AutoCloseable {
  private final Path dataDir;
  private final int port;
  private EmbeddedPostgres pg;

  public PostgresProcess(Path dataDir, int port) {
    this.dataDir = dataDir;
    this.port = port;
  }

  public PostgresProcess start() throws IOException {
    pg =
        EmbeddedPostgres.builder()
            .setDataDirectory(dataDir)
            .setCleanDataDirectory(false)
            .setPort(port)
            .start();
    return this;
  }

  public String jdbcUrl() {
    return pg.getJdbcUrl("postgres", "postgres");
  }

  public EmbeddedPostgres embedded() {
    return pg;
  }

  /** The postmaster and every backend, workers included. */
  private List<Long> pids() throws IOException {
    long postmaster =
        Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).trim());
    List<Long> pids = new ArrayList<>();
    pids.add(postmaster);
    ProcessHandle.of(postmaster).ifPresent(h -> h.descendants().forEach(d -> pids.add(d.pid())));
    return pids;
  }

  private void signal(String sig, List<Long> pids) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("kill", "-" + sig));
    pids.forEach(p -> cmd.add(String.valueOf(p)));
    new ProcessBuilder(cmd).inheritIO().start().waitFor();
  }

  /** Freezes every PostgreSQL process: connections stay open and nothing answers. */
  public List<Long> freeze() throws IOException, InterruptedException {
    List<Long> pids = pids();
    signal("STOP", pids);
    return pids;
  }

  public void thaw(List<Long> pids) throws IOException, InterruptedException {
    signal("CONT", pids);
  }

  /** SIGKILL, as an OOM killer or a node loss would; the next start runs crash recovery. */
  public void kill() throws IOException, InterruptedException {
    List<Long> pids = pids();
    signal("KILL", pids);
    for (long p : pids) {
      ProcessHandle.of(p).ifPresent(h -> h.onExit().join());
    }
    // Let the library release its lock on the data directory; the server is gone already.
    try {
      pg.close();
    } catch (IOException | RuntimeException alreadyDead) {
      // pg_ctl stop fails on a killed server; the lock is what matters.
    }
    pg = null;
  }

  @Override
  public void close() throws IOException {
    if (pg != null) {
      pg.close();
      pg = null;
    }
  }
}
