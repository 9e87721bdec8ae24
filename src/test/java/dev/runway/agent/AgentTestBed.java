package dev.runway.agent;

import static dev.runway.claims.ClaimsFixture.ACME;

import dev.runway.claims.ClaimsFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The service with pool {@code linux}, an account, a pool token in a file, and a {@link FakeRunner}
 * directory; the test plays GitHub's part with {@link #playGitHub()}.
 */
final class AgentTestBed implements AutoCloseable {
  static final String POOLS =
      """
      pools:
        - name: linux
          labels: [linux]
      """;

  final ClaimsFixture f;
  final FakeRunner runner;
  final String token;
  final Path tokenFile;
  private final Set<Long> played = new HashSet<>();

  AgentTestBed(Path dir) throws Exception {
    f = ClaimsFixture.start(Files.createDirectories(dir.resolve("svc")), POOLS, Map.of());
    f.account("acme", ACME, 50);
    token = f.token("linux");
    tokenFile = dir.resolve("pool-token");
    Files.writeString(tokenFile, token + "\n");
    runner = new FakeRunner(dir);
  }

  long jobOf(long claimId) throws Exception {
    return Long.parseLong(f.string("select job_id from claims where id = ?", claimId));
  }

  /**
   * GitHub's part for every runner that started and is waiting: its job goes in progress on that
   * runner and completes, then the runner may exit. A claim that names no job (another runner took
   * it) is given none: its runner waits, as at GitHub with nothing queued for it.
   */
  void playGitHub() throws Exception {
    for (var e : runner.byClaim().entrySet()) {
      long claim = e.getKey();
      String job = f.string("select job_id from claims where id = ?", claim);
      if (e.getValue().contains("start")
          && !e.getValue().contains("failed")
          && !Files.exists(runner.rec.resolve("hang"))
          && job != null
          && played.add(claim)) {
        f.event("in_progress", Long.parseLong(job), "acme", ACME, "runway-linux-" + claim, "linux");
        f.event("completed", Long.parseLong(job), "acme", ACME, "runway-linux-" + claim, "linux");
        runner.release(claim);
      }
    }
  }

  void queue(long first, int n) throws Exception {
    for (long j = first; j < first + n; j++) {
      f.queue(j, "acme", ACME, "linux");
    }
  }

  long count(String sql, Object... args) throws Exception {
    return Long.parseLong(f.string(sql, args));
  }

  @Override
  public void close() {
    f.close();
  }
}
