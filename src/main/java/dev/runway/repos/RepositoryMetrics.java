package dev.runway.repos;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * {@code runway_repository_running{account,repository}}: claimed and in-progress jobs per
 * repository, read from the database by the poller. Only repositories that have settings or running
 * jobs are exported, and a repository that has neither any more is dropped at the next refresh, so
 * the series are bounded by the operator's settings plus the sum of the accounts' {@code
 * max_concurrent}, never by how many repositories ever queued a job.
 */
public final class RepositoryMetrics {
  private final MultiGauge running;

  public RepositoryMetrics(MeterRegistry registry) {
    this.running =
        MultiGauge.builder("runway.repository.running")
            .description(
                "Claimed and in-progress jobs per repository (repositories with settings or"
                    + " running jobs only)")
            .register(registry);
  }

  /** Reads the counts; called from a background poller, never on scrape. */
  public void refresh(Connection c) throws SQLException {
    List<MultiGauge.Row<?>> rows =
        new RepositoryShares()
            .list(c, null).stream()
                .filter(s -> s.configured() || s.running() > 0)
                .<MultiGauge.Row<?>>map(
                    s ->
                        MultiGauge.Row.of(
                            Tags.of("account", s.account(), "repository", s.repository()),
                            s.running()))
                .toList();
    running.register(rows, true);
  }
}
