package dev.runway.providers;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runway.pools.Pool;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pool's {@code ListInstances} against its rows: an instance of the pool's {@code GARM_POOL_ID}
 * that has no row is an orphan and is deleted; a created instance the provider no longer lists
 * (older than {@link #LIST_LAG}, as a cloud's list may lag behind its creates) has vanished, and
 * the launcher releases its claim. Runs on the launcher's call threads; thread-safe.
 */
final class InstanceSync {
  private static final Logger log = LoggerFactory.getLogger(InstanceSync.class);

  /** How long a new instance may be missing from ListInstances before it counts as vanished. */
  static final Duration LIST_LAG = Duration.ofMinutes(2);

  private final DataSource ds;
  private final InstanceRepository repo;
  private final Executables executables;
  private final ObjectMapper json;

  InstanceSync(DataSource ds, InstanceRepository repo, Executables executables, ObjectMapper json) {
    this.ds = ds;
    this.repo = repo;
    this.executables = executables;
    this.json = json;
  }

  /** Deletes the pool's orphans; returns the rows whose instance vanished. */
  List<InstanceRepository.Row> sync(Pool pool, Instant now) {
    ProviderExecutable exe = executables.of(pool.name(), pool.provider());
    ProviderCall result = exe.list();
    if (!(result instanceof ProviderCall.Ok ok)) {
      log.warn("pool {}: ListInstances failed ({})", pool.name(), ProviderCall.describe(result));
      return List.of();
    }
    List<ProviderInstance> listed;
    try {
      listed = ProviderInstance.parseList(json, ok.stdout());
    } catch (IOException e) {
      log.warn(
          "pool {}: ListInstances printed no list of instances: {}", pool.name(), e.getMessage());
      return List.of();
    }
    List<InstanceRepository.Row> rows;
    try (Connection c = ds.getConnection()) {
      rows = repo.list(c).stream().filter(r -> r.pool().equals(pool.name())).toList();
    } catch (SQLException e) {
      log.warn("pool {}: ListInstances not acted on: database: {}", pool.name(), e.getMessage());
      return List.of();
    }
    Set<String> known = new HashSet<>();
    for (InstanceRepository.Row r : rows) {
      known.add(r.name());
      if (r.providerId() != null && !r.providerId().isEmpty()) {
        known.add(r.providerId());
      }
    }
    Set<String> seen = new HashSet<>();
    for (ProviderInstance i : listed) {
      seen.add(i.name());
      seen.add(i.providerId());
      if (!known.contains(i.name()) && !known.contains(i.providerId())) {
        deleteOrphan(pool, exe, i);
      }
    }
    return rows.stream()
        .filter(r -> InstanceRepository.CREATED.equals(r.phase()))
        .filter(r -> !seen.contains(r.name()) && !seen.contains(r.providerId()))
        .filter(r -> r.createdAt().plus(LIST_LAG).isBefore(now))
        .toList();
  }

  private static void deleteOrphan(Pool pool, ProviderExecutable exe, ProviderInstance i) {
    ProviderCall d = exe.delete(i.id());
    if (d instanceof ProviderCall.Ok || d instanceof ProviderCall.NotFound) {
      log.info(
          "pool {}: orphan instance {} deleted: it is the pool's, and no claim of Runway's has it",
          pool.name(),
          i.name().isEmpty() ? i.id() : i.name());
    } else {
      log.warn(
          "pool {}: orphan instance {} not deleted ({})",
          pool.name(),
          i.id(),
          ProviderCall.describe(d));
    }
  }
}
