package dev.runway.pools;

import java.util.Map;
import java.util.TreeMap;

/**
 * Which provisioned pools are {@code Degraded} now, as the replica that leads provisioning knows it
 * (the same state as {@code runway_pool_degraded} and the pool's {@code Degraded} condition). Read
 * by the web UI; a replica that does not lead, or runs no provisioner, knows of none.
 */
public interface DegradedPools {
  /** Without a provisioner: no pool is ever Degraded. */
  DegradedPools NONE = Map::of;

  /** Degraded pools by name, each with a short operator-facing why; never null. */
  Map<String, String> degraded();

  /** Both views: a pool Degraded in either is Degraded, with {@code first}'s why when in both. */
  static DegradedPools both(DegradedPools first, DegradedPools second) {
    return () -> {
      Map<String, String> out = new TreeMap<>(second.degraded());
      out.putAll(first.degraded());
      return out;
    };
  }
}
