package dev.runway.providers;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes an instance (by provider id, or by name when it never got one, as GARM does), and then
 * its row. From the first attempt on, its token opens nothing and its JIT config is gone. Exit code
 * 30 counts as deleted; a failed delete is retried after {@link #RETRY}, and until it succeeds the
 * row (and the machine's place under {@code maxRunners}) stays. Runs on the launcher's call
 * threads; thread-safe.
 */
final class InstanceDeleter {
  private static final Logger log = LoggerFactory.getLogger(InstanceDeleter.class);
  static final Duration RETRY = Duration.ofSeconds(30);

  private final DataSource ds;
  private final InstanceRepository repo;
  private final Executables executables;
  private final Clock clock;

  /** Until when a claim's delete is not tried again (System.nanoTime), after a failed one. */
  private final Map<Long, Long> held = new HashMap<>();

  InstanceDeleter(DataSource ds, InstanceRepository repo, Executables executables, Clock clock) {
    this.ds = ds;
    this.repo = repo;
    this.executables = executables;
    this.clock = clock;
  }

  void delete(InstanceRepository.Row row, String why) {
    synchronized (held) {
      Long until = held.get(row.claimId());
      if (until != null && System.nanoTime() - until < 0) {
        return;
      }
    }
    try (Connection c = ds.getConnection()) {
      repo.deleting(c, row.claimId(), clock.instant());
    } catch (SQLException e) {
      log.warn("instance {}: not deleted now: database: {}", row.name(), e.getMessage());
      return;
    }
    Optional<ProviderExecutable> exe = executables.last(row.pool());
    if (exe.isEmpty()) {
      log.warn(
          "instance {}: not deleted: pool {} has no provider known to this replica since it"
              + " started; delete it by hand",
          row.name(),
          row.pool());
      hold(row.claimId());
      return;
    }
    ProviderCall result = exe.get().delete(row.instanceId());
    if (!(result instanceof ProviderCall.Ok) && !(result instanceof ProviderCall.NotFound)) {
      hold(row.claimId());
      log.warn(
          "pool {}: DeleteInstance of {} failed ({}); retried in {}",
          row.pool(),
          row.name(),
          ProviderCall.describe(result),
          RETRY);
      return;
    }
    try (Connection c = ds.getConnection()) {
      repo.remove(c, row.claimId());
    } catch (SQLException e) {
      log.warn("instance {}: row not removed now: {}", row.name(), e.getMessage());
      return;
    }
    synchronized (held) {
      held.remove(row.claimId());
    }
    log.info(
        "pool {}: instance {} deleted{}: {}",
        row.pool(),
        row.name(),
        result instanceof ProviderCall.NotFound ? " (the provider had no such instance)" : "",
        why);
  }

  private void hold(long claimId) {
    synchronized (held) {
      held.put(claimId, System.nanoTime() + RETRY.toNanos());
    }
  }
}
