package dev.runway.providers;

import dev.runway.pools.ProviderSpec;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * The provider executables of the pools, with GARM's ids: {@code GARM_CONTROLLER_ID} (this
 * installation's, from the database) and {@code GARM_POOL_ID} (a UUID of it and the pool's name,
 * stable across restarts). Remembers each pool's last provider, so that the instances of a pool
 * removed from the pools file can still be deleted by this replica. Thread-safe.
 */
final class Executables {
  private final Executor readers;
  private final Map<String, ProviderSpec> lastSpec = new ConcurrentHashMap<>();
  private volatile String controllerId;

  Executables(Executor readers) {
    this.readers = readers;
  }

  boolean knowsController() {
    return controllerId != null;
  }

  void controllerId(String id) {
    controllerId = id;
  }

  /** The pool's provider, as the pools say now. */
  void remember(String pool, ProviderSpec spec) {
    lastSpec.put(pool, spec);
  }

  String poolId(String pool) {
    return UUID.nameUUIDFromBytes((controllerId + "/" + pool).getBytes(StandardCharsets.UTF_8))
        .toString();
  }

  ProviderExecutable of(String pool, ProviderSpec spec) {
    return new ProviderExecutable(spec, controllerId, poolId(pool), readers);
  }

  /** The executable of the pool's last known provider; empty when this replica never saw one. */
  Optional<ProviderExecutable> last(String pool) {
    ProviderSpec spec = lastSpec.get(pool);
    return spec == null ? Optional.empty() : Optional.of(of(pool, spec));
  }
}
